"""Small helpers to read TMS table columns from pynwb objects without loading big ones whole."""

from __future__ import annotations

import numpy as np


def has_column(table, name: str) -> bool:
    """True when ``table`` has a column ``name``."""
    return table is not None and name in table.colnames


def small_column(table, name: str, dtype=None) -> np.ndarray:
    """A whole column of a small table (protocols, sessions, thresholds...) as an array."""
    data = table[name].data
    data = getattr(data, "dataset", data)
    values = data[:] if hasattr(data, "shape") else list(data)
    if dtype is None:
        return np.asarray(values)
    return np.asarray(values, dtype=dtype)


def text_column(table, name: str) -> list[str]:
    """A text column of a small table as Python strings."""
    return [v.decode() if isinstance(v, bytes) else str(v) for v in small_column(table, name).tolist()]


def ragged_rows(table, name: str) -> list[list]:
    """The per-row lists of a ragged column (``timing_level`` ...)."""
    return [[v.decode() if isinstance(v, bytes) else v for v in table[name][i]] for i in range(len(table))]


def region_table(table, column: str):
    """The table the region column ``column`` of ``table`` declares (its ``table`` attribute), or None when
    there is no such column; the declared table, never a sibling found by name (tms.regions.target checks
    that its type is right)."""
    if not has_column(table, column):
        return None
    return getattr(table[column], "table", None)


def sibling(table, name: str):
    """Another table of the same TMSExperimentMetadata (``thresholds``, ``sessions``...), or None; only for
    plain integer columns that declare no table (``session_number``)."""
    parent = getattr(table, "parent", None)
    return getattr(parent, name, None) if parent is not None else None


def file_objects(obj, type_name: str) -> list:
    """Every object of the file holding ``obj`` whose class (or a base) is named ``type_name``, wherever the
    file keeps it (``TMSPulsesTable`` in ``/general/tms`` or ``/events``); empty when ``obj`` is in no file."""
    root = obj
    while getattr(root, "parent", None) is not None:
        root = root.parent
    objects = getattr(root, "objects", None)
    if objects is None:
        return []
    return [o for o in objects.values() if type_name in {c.__name__ for c in type(o).__mro__}]


def tms_metadata(nwbfile):
    """The ``TMSExperimentMetadata`` of ``nwbfile`` (in ``lab_meta_data``), or None."""
    for obj in nwbfile.lab_meta_data.values():
        if type(obj).__name__ == "TMSExperimentMetadata":
            return obj
    return None
