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


def sibling(table, name: str):
    """Another table of the same TMSExperimentMetadata (``thresholds``, ``sessions``...), or None."""
    parent = getattr(table, "parent", None)
    return getattr(parent, name, None) if parent is not None else None
