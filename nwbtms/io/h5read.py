"""Small h5py read helpers shared by the validator and the report: text of HDF5 values, row blocks, ragged
columns, link targets, and the pulses' session column. Reads only; numpy and h5py alone."""

from __future__ import annotations

from collections.abc import Iterator

import h5py
import numpy as np

#: Rows read per block from a long 1-D dataset by :func:`iter_blocks` unless told (65,536 float64 = 512 KiB).
CHUNK_ROWS = 65_536
#: Column of a pulses table naming each pulse's session: ``session`` (ndx-tms 0.2, a region), ``session_number``
#: (0.1); the first present is used.
PULSE_SESSION_COLUMNS = ("session", "session_number")


def text(value) -> str:
    """An HDF5 attribute or value as str (bytes decoded as UTF-8, bad bytes replaced; arrays joined by ', ')."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return ", ".join(text(v) for v in value.ravel().tolist())
    return str(value)


def read_text(group: h5py.Group | None, name: str) -> str | None:
    """Text of dataset ``name`` of ``group`` (the first value of an array); None when it is not a dataset."""
    obj = group.get(name) if group is not None else None
    if not isinstance(obj, h5py.Dataset):
        return None
    value = obj[()]
    if hasattr(value, "shape") and value.shape:
        value = value.ravel()[0] if value.size else ""
    return text(value)


def link_target(group: h5py.Group, key: str) -> str:
    """Path an entry of ``group`` points to (the soft-link target, not the path through the link)."""
    link = group.get(key, getlink=True)
    if isinstance(link, h5py.SoftLink):
        return link.path
    if isinstance(link, h5py.ExternalLink):
        return f"{link.filename}:{link.path}"
    return group[key].name


def iter_blocks(dataset: h5py.Dataset, *, rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, block)`` row blocks of ``dataset`` (first axis), never the whole dataset at once."""
    rows = rows or CHUNK_ROWS
    n = dataset.shape[0] if dataset.shape else 0
    for start in range(0, n, rows):
        yield start, dataset[start : min(start + rows, n)]


def ragged_rows(table: h5py.Group, name: str, limit_values: int) -> list[np.ndarray] | None:
    """Rows of a ragged column (``name`` + ``name_index``), at most ``limit_values`` values in all; None when
    the table has no such column."""
    if name not in table:
        return None
    data = table[name]
    index_name = f"{name}_index"
    if index_name not in table:
        return [np.atleast_1d(v) for v in data[:limit_values]]
    ends = table[index_name][:].astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    stop = int(min(ends[-1] if ends.size else 0, limit_values))
    values = data[:stop]
    return [values[min(a, stop) : min(b, stop)] for a, b in zip(starts, ends, strict=True)]


def pulse_session_column(columns) -> str | None:
    """The column of ``columns`` (names of a pulses table) that names each pulse's session, or None."""
    return next((c for c in PULSE_SESSION_COLUMNS if c in columns), None)


__all__ = ["CHUNK_ROWS", "PULSE_SESSION_COLUMNS", "iter_blocks", "link_target", "pulse_session_column",
           "ragged_rows", "read_text", "text"]
