"""Neurophotometrics (FP3001/FP3002) CSV files, as the Bonsai photometry node writes them (Neurophotometrics user
guide: one row per camera frame).

Columns (header row): ``FrameCounter``; a time column (``Timestamp``, or ``SystemTimestamp`` /
``ComputerTimestamp``; option ``time_column``, unit option ``time_unit``); the state word ``Flags`` (older files:
``LedState``) whose three lowest bits say which excitation LED lit the frame (1 = 415 nm, 2 = 470 nm, 4 = 560 nm)
and whose higher bits are digital input lines; then one column per region of interest (``Region0G``,
``Region1R``: the mean fluorescence of the fiber's image in the green or red camera). Files of 2021 may add
``Input0``/``Input1`` (digital lines), ``Output0``/``Output1`` and ``Stimulation``.

Frames of the LEDs alternate, so each region under each LED is one stream, ``<region>_<nm>nm`` (kind ``signal``:
the camera demultiplexes the excitations; there is no raw stream), with that LED's frames' times. Digital inputs:
``Input0``/``Input1`` when present, else ``flags_bit<k>`` for each higher bit of the state word that is ever set.

The file is parsed once, block by block, into a temporary memory-mapped table (deleted on close), so memory stays
bounded; a stream's sample range is found through per-block counts of its LED's frames.
"""

from __future__ import annotations

import csv
import os
import tempfile
import weakref
from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.photometry.base import PhotometryRecording, PhotometryStream, rising_edges_in_blocks
from nwbtms.sources.registry import Reader, head_text

#: LED bit of the state word -> excitation wavelength, nm
LED_BITS = {1: 415, 2: 470, 4: 560}
STATE_COLUMNS = ("flags", "ledstate")
TIME_COLUMNS = ("timestamp", "systemtimestamp", "computertimestamp")
NON_REGION = {"framecounter", "triggerevents", "stimulation", "output0", "output1", "input0", "input1",
              *STATE_COLUMNS, *TIME_COLUMNS}
TIME_UNITS = {"seconds": 1.0, "milliseconds": 1e-3, "microseconds": 1e-6}
#: rows parsed (and counted) per block
BLOCK_ROWS = 1 << 16


def read_neurophotometrics(path: str | Path, *, time_column: str | None = None,
                           time_unit: str = "seconds") -> PhotometryRecording:
    """Open a Neurophotometrics CSV file (see the module docstring).

    Raises
    ------
    SourceError
        No state or time column (or an unknown ``time_column``), no region column, a cell that is not a number
        (its line and column named), a row with another number of cells, time that goes back, no row.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("Neurophotometrics file not found", file=path)
    if time_unit not in TIME_UNITS:
        raise SourceError(f"unknown time_unit {time_unit!r}", file=path, field="time_unit",
                          hint=f"use one of {', '.join(TIME_UNITS)}")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    lower = [h.lower() for h in header]
    state = next((lower.index(c) for c in STATE_COLUMNS if c in lower), None)
    if state is None:
        raise SourceError("no Flags or LedState column", file=path, line=1, field="Flags",
                          hint="a Neurophotometrics CSV names each frame's LED in Flags (LedState in older files)")
    if time_column is not None:
        if time_column.lower() not in lower:
            raise SourceError(f"no time column {time_column!r}", file=path, line=1, field=time_column,
                              hint=f"columns: {', '.join(header)}")
        time = lower.index(time_column.lower())
    else:
        time = next((lower.index(c) for c in TIME_COLUMNS if c in lower), None)
        if time is None:
            raise SourceError("no Timestamp, SystemTimestamp or ComputerTimestamp column", file=path, line=1,
                              field="Timestamp", hint="give options: {time_column: <name>}")
    regions = [i for i, name in enumerate(lower) if name not in NON_REGION and not name.endswith(("timestamp",
                                                                                                    "counter"))]
    if not regions:
        raise SourceError("no region column", file=path, line=1, field="Region0G",
                          hint="the Bonsai node writes one column per region (Region0G, Region1R, ...)")
    inputs = [i for i, name in enumerate(lower) if name in ("input0", "input1")]
    columns = [time, state, *inputs, *regions]
    table, counts = _parse(path, header, columns)
    if not any(counts[bit][-1] for bit in LED_BITS):
        table._close()
        raise SourceError("no frame has an LED bit (1, 2 or 4) in its state word", file=path,
                          field=header[state], hint="check the Flags column; every frame names the LED that lit it")
    table[:, 0] *= TIME_UNITS[time_unit]
    rows = table.shape[0]
    states = lambda a, b: table[a:b, 1].astype(np.int64)  # noqa: E731

    streams: dict[str, PhotometryStream] = {}
    for bit, nm in LED_BITS.items():
        if not counts[bit][-1]:
            continue
        cum = counts[bit]

        def rows_of(a: int, b: int, bit=bit, cum=cum) -> np.ndarray:
            """Rows of samples ``a:b`` of the frames lit by ``bit`` (blocks found from the per-block counts)."""
            if b <= a:
                return np.zeros(0, dtype=np.int64)
            first = int(np.searchsorted(cum, a, side="right")) - 1
            last = int(np.searchsorted(cum, b, side="left"))
            lo, hi = first * BLOCK_ROWS, min(rows, last * BLOCK_ROWS)
            found = lo + np.flatnonzero(states(lo, hi) & bit)
            return found[a - int(cum[first]): b - int(cum[first])]

        for j, column in enumerate(regions):
            name = f"{header[column]}_{nm}nm"
            streams[name] = PhotometryStream(
                name=name, kind="signal", num_samples=int(cum[-1]), rate_hz=_rate(table, rows_of, int(cum[-1])),
                unit="a.u.", description=f"Neurophotometrics {header[column]} under {nm} nm excitation.",
                reader=lambda a, b, rows_of=rows_of, j=j: table[rows_of(a, b), 2 + len(inputs) + j],
                time_reader=lambda a, b, rows_of=rows_of: table[rows_of(a, b), 0])

    def edges_of(values) -> callable:
        def edges() -> np.ndarray:
            blocks = ((s, values(s, s + BLOCK_ROWS)) for s in range(0, rows, BLOCK_ROWS))
            return rising_edges_in_blocks(blocks, lambda i: table[i, 0])
        return edges

    digital = {}
    for k, column in enumerate(inputs):
        digital[header[column]] = edges_of(lambda a, b, k=k: table[a:b, 2 + k])
    if not inputs:
        seen = 0
        for start in range(0, rows, BLOCK_ROWS):
            seen |= int(np.bitwise_or.reduce(states(start, start + BLOCK_ROWS))) if rows else 0
        for k in range(3, 16):
            if seen >> k & 1:
                digital[f"flags_bit{k}"] = edges_of(lambda a, b, k=k: (states(a, b) >> k) & 1)
    return PhotometryRecording(path=path, reader="neurophotometrics", streams=streams, digital_inputs=digital,
                               mode="frame-interleaved LEDs", closer=getattr(table, "_close", None))


def _rate(table, rows_of, n: int) -> float:
    times = table[rows_of(0, min(n, 10_000)), 0]
    steps = np.diff(times)
    return 1.0 / float(np.median(steps)) if steps.size and np.median(steps) > 0 else 0.0


class _Table(np.memmap):
    """A memory-mapped parsed table whose temporary file is removed on close."""

    def _close(self) -> None:
        mm = getattr(self, "_mmap", None)
        if mm is not None:
            mm.close()
        name = getattr(self, "_tempname", None)
        if name and os.path.exists(name):
            os.unlink(name)


def _parse(path: Path, header: list[str], columns: list[int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The numeric ``columns`` of every row in a temporary memory-mapped table, and per LED bit the cumulative
    count of its frames at each block start (``counts[bit][k]`` = frames before block ``k``; last: total)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = sum(1 for line in handle if line.strip()) - 1
    if rows < 1:
        raise SourceError("no row after the header", file=path, line=2, hint="the recording holds no frame")
    fd, name = tempfile.mkstemp(prefix="nwbtms-npm-", suffix=".bin")
    os.close(fd)
    table = np.memmap(name, dtype=np.float64, mode="w+", shape=(rows, len(columns))).view(_Table)
    table._tempname = name
    weakref.finalize(table, _remove, name)  # an unclosed recording leaves no temporary file either
    counts = {bit: [0] for bit in LED_BITS}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            row, block = 0, []
            for line, cells in enumerate(reader, start=2):
                if not cells or not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise SourceError(f"{len(cells)} cells, the header has {len(header)}", file=path, line=line)
                try:
                    block.append([float(cells[c]) for c in columns])
                except ValueError:
                    bad = next(c for c in columns if not _is_number(cells[c]))
                    raise SourceError(f"{header[bad]} {cells[bad]!r} is not a number", file=path, line=line,
                                      field=header[bad], hint="re-export the file from Bonsai") from None
                if len(block) == BLOCK_ROWS:
                    row = _store(table, row, block, counts)
                    block = []
            row = _store(table, row, block, counts)
        times = table[:, 0]
        for start in range(0, rows, BLOCK_ROWS):
            part = np.asarray(times[max(0, start - 1): start + BLOCK_ROWS])
            if np.any(np.diff(part) < 0):
                at = max(0, start - 1) + int(np.flatnonzero(np.diff(part) < 0)[0]) + 1
                raise SourceError(f"time goes back at frame {at}", file=path, line=at + 2, field=header[columns[0]],
                                  hint="the time column must not decrease")
    except BaseException:
        table._close()
        raise
    return table, {bit: np.asarray(c, dtype=np.int64) for bit, c in counts.items()}


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _store(table, row: int, block: list, counts: dict) -> int:
    if not block:
        return row
    values = np.asarray(block, dtype=np.float64)
    table[row:row + len(values)] = values
    state = values[:, 1].astype(np.int64)
    for bit, cum in counts.items():
        cum.append(cum[-1] + int(np.count_nonzero(state & bit)))
    return row + len(values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class NeurophotometricsReader(Reader):
    """Neurophotometrics CSV as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "neurophotometrics"
    kind = "photometry"
    display_name = "Neurophotometrics CSV"
    suffixes = (".csv",)
    info = "Neurophotometrics FP3001/FP3002 Bonsai CSV: FrameCounter, time, Flags/LedState, one column per region."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A header naming FrameCounter and Flags or LedState."""
        first = head_text(path).lstrip("\ufeff").splitlines()[:1]
        names = {h.strip().lower() for h in first[0].split(",")} if first else set()
        return "framecounter" in names and bool(names & set(STATE_COLUMNS))

    @classmethod
    def open(cls, path: Path, time_column: str | None = None, time_unit: str = "seconds") -> PhotometryRecording:
        return read_neurophotometrics(path, time_column=time_column, time_unit=time_unit)


__all__ = ["LED_BITS", "NeurophotometricsReader", "read_neurophotometrics"]
