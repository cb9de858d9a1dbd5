"""Read a stimulator log: one row per polled status or per pulse, as CSV, TSV or JSON lines.

Stimulators such as the MagVenture MagPro have no per-pulse export; rigs poll their status over the
serial remote-control protocol (mode, waveform, amplitude %MSO, realised dI/dt, coil temperature) and
append it to a text log (stimulator vendors' logging or a lab script). This module reads such a log, streamed line by
line.

Documented default layout
-------------------------
The file is CSV (``.csv``), TSV (``.tsv``, ``.tab``; ``.txt`` is sniffed from the header line) or JSON
lines (``.jsonl``, ``.ndjson``: one JSON object per line). Lines starting with ``#`` before the header
and blank lines are skipped. Default column (or JSON key) names:

=========================  ==========================================================  ========
column                     meaning                                                     required
=========================  ==========================================================  ========
``time_s``                 time of the row on the log's clock (unit: ``time_unit``)    yes
``intensity_percent_mso``  stimulator output, %MSO (0-100)                             no
``di_dt_a_per_us``         realised rate of change of coil current, A/us                no
``coil_temperature_c``     coil temperature, deg C                                      no
``mode``                   stimulator mode (standard, power, twin, dual)                no
``waveform``               pulse waveform (biphasic, monophasic, ...)                   no
=========================  ==========================================================  ========

Empty cells, ``nan``, ``NA``, ``n/a``, ``null``, ``(null)`` and JSON ``null`` mean "not recorded" (NaN, or
an empty string for text). Columns that are absent give all-NaN (or empty) arrays. Other columns are
ignored.

Rigs whose logs differ pass ``column_map={our_name: their_name}``, e.g. a MagPro poller that writes
``{"t": ..., "AmplitudeA": ..., "DIDT": ..., "Temp": ...}`` reads with
``column_map={"time_s": "t", "intensity_percent_mso": "AmplitudeA", "di_dt_a_per_us": "DIDT",
"coil_temperature_c": "Temp"}``. ``time_unit`` is ``"s"``, ``"ms"``, ``"us"`` or ``"iso8601"`` (a date-time
string; ``time_s`` is then seconds since the first row and ``start_datetime`` holds that row's value).

Rules: time must be present and non-decreasing (the merge matches by order); intensities outside 0-100 %MSO
and values that are not numbers raise :class:`~nwbtms.errors.SourceError` naming the file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.registry import Reader, head_text

#: Our field names, in the documented order.
NUMERIC_FIELDS = ("time_s", "intensity_percent_mso", "di_dt_a_per_us", "coil_temperature_c")
TEXT_FIELDS = ("mode", "waveform")
ALL_FIELDS = NUMERIC_FIELDS + TEXT_FIELDS
#: Seconds per unit of the time column.
TIME_UNITS_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "(null)", "none"})
JSON_LINE_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
#: %MSO is a percentage of maximum stimulator output (Peterchev et al. 2012).
INTENSITY_RANGE_PERCENT_MSO = (0.0, 100.0)


@dataclass
class StimulatorLog:
    """Rows of a stimulator log as arrays (one entry per row, in file order).

    Attributes
    ----------
    time_s : ndarray of float64
        Row times on the log's clock, s (non-decreasing).
    intensity_percent_mso, di_dt_a_per_us, coil_temperature_c : ndarray of float64
        NaN where not recorded.
    mode, waveform : list of str
        Empty string where not recorded.
    path : Path
        The file read.
    line_numbers : ndarray of int64
        1-based line of each row in the file (for messages).
    start_datetime : str or None
        ISO 8601 time of the first row when ``time_unit="iso8601"``.
    """

    time_s: np.ndarray
    intensity_percent_mso: np.ndarray
    di_dt_a_per_us: np.ndarray
    coil_temperature_c: np.ndarray
    mode: list[str]
    waveform: list[str]
    path: Path
    line_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    start_datetime: str | None = None

    def __len__(self) -> int:
        return int(self.time_s.size)


def read_stimulator_log(
    path: str | PathLike,
    *,
    column_map: Mapping[str, str] | None = None,
    time_unit: str = "s",
) -> StimulatorLog:
    """Read a stimulator log (CSV, TSV or JSON lines), streamed line by line.

    Parameters
    ----------
    path : str or PathLike
        The log file.
    column_map : mapping, optional
        ``{our_field: column_in_file}`` for logs whose names differ from the documented defaults (module
        docstring). Fields not named keep their default name.
    time_unit : {"s", "ms", "us", "iso8601"}
        Unit of the time column.

    Returns
    -------
    StimulatorLog

    Raises
    ------
    SourceError
        Missing file or time column, a malformed row (file, line and field named), time going backwards.
    """
    path = Path(path)
    names = _resolve_names(column_map, path)
    if time_unit not in TIME_UNITS_S and time_unit != "iso8601":
        raise SourceError(f"unknown time_unit {time_unit!r}", file=path, field="time_unit",
                          hint=f"use one of {sorted(TIME_UNITS_S) + ['iso8601']}")
    if not path.is_file():
        raise SourceError("stimulator log not found", file=path, hint="check the path")
    builder = _Builder(path, time_unit)
    rows = _json_rows(path) if path.suffix.lower() in JSON_LINE_SUFFIXES else _delimited_rows(path, names)
    for line, record in rows:
        builder.add(line, record, names)
    return builder.finish()


def _resolve_names(column_map: Mapping[str, str] | None, path: Path) -> dict[str, str]:
    names = {f: f for f in ALL_FIELDS}
    for ours, theirs in (column_map or {}).items():
        if ours not in names:
            raise SourceError(f"column_map names unknown field {ours!r}", file=path, field=ours,
                              hint=f"map one of {list(ALL_FIELDS)} to a column of the log")
        names[ours] = str(theirs)
    return names


def _open_text(path: Path):
    # utf-8-sig drops a byte-order mark that Windows tools put before the header.
    return open(path, encoding="utf-8-sig", newline="")


def _delimited_rows(path: Path, names: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, {column: text})`` for each data row of a CSV/TSV file."""
    with _open_text(path) as handle:
        line_number = 0
        header_line = None
        for raw in handle:
            line_number += 1
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            header_line = raw
            break
        if header_line is None:
            raise SourceError("stimulator log has no header row", file=path, line=line_number or None,
                              hint="the first non-comment line must name the columns, e.g. "
                                   f"{','.join(ALL_FIELDS)}")
        delimiter = _delimiter(path, header_line)
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
        if names["time_s"] not in header:
            raise SourceError(
                f"time column {names['time_s']!r} not in the header {header}", file=path, line=line_number,
                field=names["time_s"], hint="name the time column with column_map={'time_s': '<column>'}",
            )
        for ours, theirs in names.items():
            if theirs != ours and theirs not in header:
                raise SourceError(f"mapped column {theirs!r} (for {ours}) not in the header {header}",
                                  file=path, line=line_number, field=theirs,
                                  hint="fix column_map to name columns that exist")
        # csv.reader on the remaining lines keeps quoted fields; line_num tracks physical lines.
        reader = csv.reader(handle, delimiter=delimiter)
        for cells in reader:
            row_line = line_number + reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise SourceError(
                    f"row has {len(cells)} fields, header has {len(header)}", file=path, line=row_line,
                    hint=f"every row needs one value per column ({delimiter!r}-separated); quote text with "
                         "delimiters in it",
                )
            yield row_line, dict(zip(header, cells, strict=True))


def _delimiter(path: Path, header_line: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    if suffix == ".csv":
        return ","
    return "\t" if header_line.count("\t") > header_line.count(",") else ","


def _json_rows(path: Path) -> Iterator[tuple[int, dict]]:
    with _open_text(path) as handle:
        for line_number, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SourceError(f"not a JSON object: {exc.msg}", file=path, line=line_number,
                                  hint="each line of a JSON-lines log must be one JSON object") from None
            if not isinstance(record, dict):
                raise SourceError(f"expected a JSON object, got {type(record).__name__}", file=path,
                                  line=line_number, hint="each line must be {\"time_s\": ..., ...}")
            yield line_number, record


class _Builder:
    """Accumulates parsed rows in compact typed arrays (8 bytes per number)."""

    def __init__(self, path: Path, time_unit: str) -> None:
        self.path = path
        self.time_unit = time_unit
        self.numbers = {f: array("d") for f in NUMERIC_FIELDS}
        self.texts: dict[str, list[str]] = {f: [] for f in TEXT_FIELDS}
        self.lines = array("q")
        self.first_datetime: dt.datetime | None = None
        self.last_time = -math.inf

    def add(self, line: int, record: Mapping, names: Mapping[str, str]) -> None:
        time_name = names["time_s"]
        if time_name not in record:
            raise SourceError(f"row has no {time_name!r}", file=self.path, line=line, field=time_name,
                              hint="every row needs a time")
        time_s = self._time(record[time_name], line, time_name)
        if time_s < self.last_time:
            raise SourceError(
                f"time goes backwards ({time_s:.6f} s after {self.last_time:.6f} s)", file=self.path,
                line=line, field=time_name,
                hint="sort the log by time, or split it where the clock was reset",
            )
        self.last_time = time_s
        self.numbers["time_s"].append(time_s)
        for name in NUMERIC_FIELDS[1:]:
            self.numbers[name].append(self._number(record.get(names[name]), line, names[name], name))
        for name in TEXT_FIELDS:
            value = record.get(names[name])
            text = "" if value is None else str(value).strip()
            self.texts[name].append("" if text.lower() in MISSING_TOKENS else text)
        self.lines.append(line)

    def _time(self, value, line: int, column: str) -> float:
        if self.time_unit == "iso8601":
            text = str(value).strip() if value is not None else ""
            try:
                stamp = dt.datetime.fromisoformat(text)
            except ValueError:
                raise SourceError(f"time {text!r} is not an ISO 8601 date-time", file=self.path, line=line,
                                  field=column, hint="write times like 2026-03-02T09:30:00.125") from None
            if self.first_datetime is None:
                self.first_datetime = stamp
            try:
                return (stamp - self.first_datetime).total_seconds()
            except TypeError:
                raise SourceError("time mixes rows with and without a time zone", file=self.path, line=line,
                                  field=column, hint="give every row the same time-zone form") from None
        number = self._number(value, line, column, "time_s")
        if not math.isfinite(number):
            raise SourceError("time is missing or not finite", file=self.path, line=line, field=column,
                              hint="every row needs a time")
        return number * TIME_UNITS_S[self.time_unit]

    def _number(self, value, line: int, column: str, ours: str) -> float:
        if value is None:
            return math.nan
        if isinstance(value, bool):
            raise SourceError(f"{column} is a boolean, expected a number", file=self.path, line=line,
                              field=column, hint="write a number or leave the cell empty")
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            text = str(value).strip()
            if text.lower() in MISSING_TOKENS:
                return math.nan
            try:
                number = float(text)
            except ValueError:
                raise SourceError(f"{column} value {text!r} is not a number", file=self.path, line=line,
                                  field=column,
                                  hint="write a number, or leave the cell empty when not recorded") from None
        if ours == "intensity_percent_mso" and math.isfinite(number):
            low, high = INTENSITY_RANGE_PERCENT_MSO
            if not low <= number <= high:
                raise SourceError(f"intensity {number} %MSO is outside {low:g}-{high:g}", file=self.path,
                                  line=line, field=column,
                                  hint="%MSO is a percentage of maximum output; check the column mapping")
        return number

    def finish(self) -> StimulatorLog:
        as_array = {name: np.frombuffer(values, dtype=np.float64).copy() if len(values) else
                    np.zeros(0, dtype=np.float64) for name, values in self.numbers.items()}
        return StimulatorLog(
            time_s=as_array["time_s"],
            intensity_percent_mso=as_array["intensity_percent_mso"],
            di_dt_a_per_us=as_array["di_dt_a_per_us"],
            coil_temperature_c=as_array["coil_temperature_c"],
            mode=self.texts["mode"],
            waveform=self.texts["waveform"],
            path=self.path,
            line_numbers=np.asarray(self.lines, dtype=np.int64),
            start_datetime=None if self.first_datetime is None else self.first_datetime.isoformat(),
        )


class StimulatorLogReader(Reader):
    """Stimulator logs as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "stimulator_log"
    kind = "stimulator_log"
    display_name = "Stimulator log"
    suffixes = (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson")
    info = "Per-pulse stimulator logs as CSV/TSV or JSON lines with a time_s column (or a column_map)."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A header row (or first JSON object) with the documented ``time_s`` column."""
        lines = [line for line in head_text(path).splitlines() if line.strip() and not line.startswith("#")]
        if not lines:
            return False
        if path.suffix.lower() in JSON_LINE_SUFFIXES:
            try:
                return "time_s" in json.loads(lines[0])
            except (ValueError, TypeError):
                return False
        return "time_s" in [h.strip() for h in lines[0].replace("\t", ",").split(",")]

    @classmethod
    def open(cls, path: str | PathLike, *, column_map: Mapping[str, str] | None = None,
             time_unit: str = "s") -> StimulatorLog:
        return read_stimulator_log(path, column_map=column_map, time_unit=time_unit)
