"""Small h5py read helpers shared by the validator and the report: text of HDF5 values, row blocks of any
dataset (h5py, hdmf's wrappers of one, or an in-memory array), ragged columns, link targets, and the pulses'
session column read block by block with their times. Reads only; numpy and h5py alone."""

from __future__ import annotations

import math
from collections.abc import Iterator

import h5py
import numpy as np

#: Rows read per block from a long 1-D dataset by :func:`iter_blocks` unless told (65,536 float64 = 512 KiB).
CHUNK_ROWS = 65_536
#: Elements read per block by :func:`iter_rows` unless told: 1M float64 = 8 MB, large enough that h5py's per-read
#: overhead is negligible, small enough that memory stays flat however long the array.
CHUNK_ELEMENTS = 1_000_000
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


def find_typed(h5: h5py.File, neurodata_type: str) -> list[h5py.Group]:
    """Every group of ``h5`` (hard links, in visiting order) whose ``neurodata_type`` attribute is the one given."""
    found: list[h5py.Group] = []

    def visit(_name, obj) -> None:
        if isinstance(obj, h5py.Group) and text(obj.attrs.get("neurodata_type", "")) == neurodata_type:
            found.append(obj)

    h5.visititems(visit)
    return found


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


def unwrap(data):
    """The h5py dataset behind hdmf's wrappers (``StrDataset``, ``ContainerH5ReferenceDataset``), else ``data``."""
    return getattr(data, "dataset", data)


def n_rows(data) -> int:
    """Length of axis 0 without reading the data (0 for a scalar dataset)."""
    data = unwrap(data)
    shape = getattr(data, "shape", None)
    if shape is None:
        return len(data)
    return int(shape[0]) if len(shape) else 0


def iter_blocks(data, *, rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, block)`` blocks of ``rows`` rows (first axis; :data:`CHUNK_ROWS` unless told) of ``data``
    (an h5py dataset, hdmf's wrapper of one, an array or a list), never the whole dataset at once."""
    data = unwrap(data)
    rows = max(1, rows or CHUNK_ROWS)
    for start in range(0, n_rows(data), rows):
        yield start, np.asarray(data[start : start + rows])


def iter_rows(data, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`iter_blocks` with about ``chunk_elements`` elements per block, whatever the row size."""
    data = unwrap(data)
    shape = getattr(data, "shape", None) or (n_rows(data),)
    return iter_blocks(data, rows=max(1, chunk_elements // max(1, math.prod(shape[1:]))))


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
    """The column of ``columns`` (names of a pulses table, or an h5py group of one) that names each pulse's
    session, or None."""
    return next((c for c in PULSE_SESSION_COLUMNS if c in columns), None)


def iter_pulse_sessions(times, sessions, *, chunk_elements: int = CHUNK_ELEMENTS,
                        ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(start, times, session rows)`` blocks of a pulses table's ``timestamp`` column and its session
    column (:func:`pulse_session_column`; h5py datasets, hdmf's wrappers or arrays), the session rows as int64."""
    sessions = unwrap(sessions)
    for start, block in iter_rows(times, chunk_elements=chunk_elements):
        yield start, block, np.asarray(sessions[start : start + block.shape[0]]).astype(np.int64)


def pulse_times_by_session(times, sessions, *, chunk_elements: int = CHUNK_ELEMENTS) -> dict[int, np.ndarray]:
    """Pulse times (float) grouped by session row, read in blocks (:func:`iter_pulse_sessions`)."""
    parts: dict[int, list[np.ndarray]] = {}
    for _, block, numbers in iter_pulse_sessions(times, sessions, chunk_elements=chunk_elements):
        for number in np.unique(numbers):
            parts.setdefault(int(number), []).append(np.asarray(block[numbers == number], dtype=float))
    return {number: np.concatenate(p) for number, p in parts.items()}


__all__ = ["CHUNK_ELEMENTS", "CHUNK_ROWS", "PULSE_SESSION_COLUMNS", "find_typed", "iter_blocks",
           "iter_pulse_sessions", "iter_rows", "link_target", "n_rows", "pulse_session_column",
           "pulse_times_by_session", "ragged_rows", "read_text", "text", "unwrap"]
