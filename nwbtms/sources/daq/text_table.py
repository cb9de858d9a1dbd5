"""Numeric text tables (CSV, TSV) read block by block with numpy's C parser; a bad row is named by line.

Shared by the generic CSV reader and the Bruker PrairieView VoltageRecording: memory is one block of
lines at a time, whatever the file size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from nwbtms.errors import SourceError


def row_problem(text: str, delimiter: str, width: int) -> str | None:
    """Why one line is not ``width`` numbers (None when it is)."""
    cells = [c.strip().strip('"') for c in text.rstrip("\r\n").split(delimiter)]
    if len(cells) != width:
        return f"row has {len(cells)} fields, header has {width}"
    for cell in cells:
        try:
            float(cell)
        except ValueError:
            return f"not a number: {cell!r}"
    return None


def iter_numeric_blocks(
    handle: TextIO, *, path: Path, delimiter: str, width: int, first_line: int, block_rows: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(line_numbers, values)`` for the rest of an open text file, ``block_rows`` lines at a time.

    Parameters
    ----------
    handle : text file
        Positioned after the header.
    path : Path
        For messages.
    delimiter : str
    width : int
        Numbers per row.
    first_line : int
        1-based line number of the handle's next line.
    block_rows : int
        Lines parsed at a time (memory bound).

    Yields
    ------
    line_numbers : ndarray of int64
        1-based line of each row (blank lines are skipped).
    values : ndarray of float64, shape (rows, width)

    Raises
    ------
    SourceError
        A row with another number of fields or a value that is not a number (file and line named).
    """
    line = first_line
    while True:
        lines = list(itertools.islice(handle, block_rows))
        if not lines:
            return
        filled = [k for k, text in enumerate(lines) if text.strip()]
        numbers = line + np.asarray(filled, dtype=np.int64)
        line += len(lines)
        if not filled:
            continue
        rows = [lines[k] for k in filled]
        try:
            values = np.loadtxt(rows, delimiter=delimiter, ndmin=2, dtype=np.float64, quotechar='"')
            ok = values.shape[1] == width
        except ValueError:
            ok = False
        if not ok:
            bad = next((k for k, text in enumerate(rows) if row_problem(text, delimiter, width)), 0)
            raise SourceError(
                row_problem(rows[bad], delimiter, width) or "unreadable row",
                file=path,
                line=int(numbers[bad]),
                hint=f"every row needs {width} numbers separated by {delimiter!r} (file truncated or corrupted?)",
            )
        yield numbers, values
