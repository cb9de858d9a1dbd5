"""EthoVision XT (Noldus) raw-data export of one trial, scored into one behaviour test.

The layout of the export ("Export > Raw data", as text, or as an Excel workbook whose first sheet has the same
rows, read with openpyxl: extra ``nwbtms[behavior]``): line 1 ``"Number of header lines:";"<n>"`` (``;``
or ``,`` separated, each cell quoted; UTF-16 with a byte-order mark or UTF-8), then ``name;value`` lines
(``Experiment``, ``Trial name``, ``Subject name`` or ``Subject``, ``Start time``, ``Trial duration``, ``Arena
name``, the experiment's independent variables), the column names on line n-1 and their units on line n, then
one row per sample (``Trial time`` in s, ``X center``, ``Distance moved``, ``Velocity``, ``In zone(<zone> /
<point>)`` 0/1, ``Mobility state(Immobile)`` 0/1, ...). ``-`` marks a sample without a detection.

Scored per trial (the measures EthoVision's own statistics give for these columns): ``distance_moved_cm`` (sum of
``Distance moved``, in its unit if cm), ``time_in_<zone>_s`` for each ``In zone`` column and ``immobility_s`` for a
``Mobility state(Immobile)`` column (sample durations, from ``Trial time``, where the state is 1);
``time_<behaviour>_s`` likewise for every other 0/1 column ``<behaviour>(<group>)`` without unit (behaviours
scored in EthoVision, e.g. ``Rearing(Mutually exclusive)``), ``time_in_zone_<n>_s`` for a zone variable ``In zone
<n>`` over a group of zones. The test is the recorded part of the trial: it starts at ``Start time`` (read with
``start_time_format``, EthoVision writes it in the computer's locale, and the recording's UTC offset; or the
``start_time`` option) plus the first sample's ``Trial time`` (the header's ``Recording after``) and lasts as long
as the samples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError
from nwbtms.sources.behavior.csv_table import BehaviorScores, BehaviorTest
from nwbtms.sources.registry import Reader, head_bytes

#: a 0/1 state column ``<behaviour>(<behaviour group>)``, e.g. ``Rearing(Mutually exclusive)``
_STATE = re.compile(r"(.+?)\((.+)\)")
_HEADER = re.compile(r"^\W*(number of )?header lines", re.IGNORECASE)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig", errors="replace")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _rows(path: Path) -> Iterator[list[str]]:
    """The export's rows as text cells: a text export (any of its encodings, separators and line ends) or the
    first sheet of an Excel export, streamed (``openpyxl`` read-only: bounded memory)."""
    if path.suffix.lower() == ".xlsx":
        try:
            import openpyxl
        except ImportError:
            raise InputError("reading an EthoVision Excel export needs openpyxl", file=path,
                             hint="pip install 'nwbtms[behavior]', or export the raw data as text") from None
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises zipfile, KeyError and its own errors on a broken workbook
            raise InputError(f"not a readable Excel workbook ({error})", file=path) from None
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v) for v in row]
        finally:
            book.close()
        return
    text = _decode(path.read_bytes())
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    # newline=None: files re-saved by Excel for Mac end their lines with a bare CR
    yield from csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)


def _first_line(path: Path) -> str:
    if path.suffix.lower() == ".xlsx":
        try:
            return next(_rows(path), [""])[0]
        except InputError:
            return ""
    lines = _decode(head_bytes(path, 512)).splitlines()
    return lines[0] if lines else ""


def read_ethovision(path: str | Path, *, test: str | None = None, session: str | None = None,
                    subject: str | None = None, start_time: str | None = None,
                    start_time_format: str = "%m/%d/%Y %H:%M:%S.%f", utc_offset: str = "+00:00",
                    subject_field: str | None = None, session_field: str | None = None) -> BehaviorScores:
    """One EthoVision XT trial export as a :class:`BehaviorScores` with one test (see the module docstring).

    ``test`` defaults to the header's ``Experiment``, ``session`` to the header line ``session_field`` or ``Trial
    name``, ``subject`` to the header line ``subject_field`` (a user-defined independent variable such as ``Mouse
    Number``) or ``Subject name`` (or ``Subject``).

    Raises
    ------
    InputError
        Not an EthoVision export, a header without the subject or start time, no ``Trial time`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("EthoVision export not found", file=path)
    rows = _rows(path)
    head = next(rows, [])
    if len(head) < 2 or not _HEADER.match(head[0]):
        raise InputError("not an EthoVision XT export: line 1 is not 'Number of header lines'", file=path, line=1)
    try:
        n_header = int(head[1])
    except ValueError:
        raise InputError(f"number of header lines {head[1]!r} is not a number", file=path, line=1) from None
    header: dict[str, str] = {}
    lines = [next(rows, []) for _ in range(n_header - 1)]
    for cells in lines[:-2]:
        if len(cells) >= 2 and cells[0].strip():
            header[cells[0].strip()] = cells[1].strip()
    if len(lines) < 2:
        raise InputError("header shorter than two lines (column names and units)", file=path, line=n_header)
    columns, units = [c.strip() for c in lines[-2]], [u.strip() for u in lines[-1]]
    if "Trial time" not in columns:
        raise InputError("no 'Trial time' column", file=path, line=n_header - 1,
                         hint="export the raw data with Trial time")
    data = {name: [] for name in columns if name}
    for line, cells in enumerate(rows, start=n_header + 1):
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(columns) - len(cells))
        for name, cell in zip(columns, cells, strict=False):
            if not name:
                continue
            cell = cell.strip()
            try:
                data[name].append(float(cell) if cell not in ("", "-") else math.nan)
            except ValueError:
                raise InputError(f"{name} {cell!r} is not a number", file=path, line=line, field=name,
                                 hint="EthoVision writes '-' for a sample without a value") from None
    arrays = {name: np.asarray(values, dtype=float) for name, values in data.items()}
    times = arrays["Trial time"]
    if not len(times):
        raise InputError("the export has no samples after its header", file=path, line=n_header + 1)
    step = np.diff(times, append=times[-1] + (np.nanmedian(np.diff(times)) if len(times) > 1 else 0.0))
    values: dict[str, float] = {}
    measures: dict[str, str] = {}
    unit_of = dict(zip(columns, units, strict=False))
    if "Distance moved" in arrays and unit_of.get("Distance moved", "cm") == "cm":
        values["distance_moved_cm"], measures["distance_moved_cm"] = float(np.nansum(arrays["Distance moved"])), "cm"
    for name, column in arrays.items():
        zone = re.fullmatch(r"In zone(?: \d+)?\((.+?)(?: / .+)?\)", name)
        if zone or re.fullmatch(r"In zone \d+", name):
            # 'In zone 2' alone: a zone variable over a group of zones, named by EthoVision
            key = f"time_in_{_slug(zone.group(1))}_s" if zone else f"time_{_slug(name)}_s"
            values[key], measures[key] = float(np.sum(step[column == 1])), "s"
        elif name == "Mobility state(Immobile)":
            values["immobility_s"], measures["immobility_s"] = float(np.sum(step[column == 1])), "s"
        elif _STATE.fullmatch(name) and not unit_of.get(name) and np.isin(column[~np.isnan(column)], (0, 1)).all():
            # a behaviour scored in EthoVision (manually or by rule): 1 while it lasts
            key = f"time_{_slug(_STATE.fullmatch(name).group(1))}_s"
            values[key], measures[key] = float(np.sum(step[column == 1])), "s"
    for field, wanted in (("subject_field", subject_field), ("session_field", session_field)):
        if wanted is not None and not header.get(wanted):
            raise InputError(f"no header line {wanted!r} with a value", file=path, field=field,
                             hint=f"the header has {', '.join(header)}")
    subject = subject or header.get(subject_field or "Subject name") or header.get("Subject")
    if not subject:
        raise InputError("no subject in the header ('Subject name')", file=path, hint="give the subject option")
    when = start_time or header.get("Start time")
    if not when:
        raise InputError("no 'Start time' in the header", file=path, hint="give the start_time option")
    try:
        begun = dt.datetime.fromisoformat(when) if start_time else dt.datetime.strptime(when, start_time_format)
    except ValueError:
        raise InputError(f"start time {when!r} does not match {start_time_format!r}", file=path,
                         field="Start time", hint="give start_time_format (EthoVision writes the PC's locale) "
                                                  "or start_time as ISO 8601") from None
    if begun.tzinfo is None:
        begun = begun.replace(tzinfo=dt.datetime.fromisoformat(f"2000-01-01T00:00:00{utc_offset}").tzinfo)
    # the samples start 'Recording after' the trial's start: at the first sample's Trial time
    if math.isfinite(times[0]) and times[0] > 0:
        begun += dt.timedelta(seconds=float(times[0]))
    duration = float(times[-1] - times[0] + step[-1])
    trial = BehaviorTest(subject=subject, session=session or header.get(session_field or "Trial name", ""),
                         test=test or _slug(header.get("Experiment", "ethovision")) or "ethovision",
                         start_time=begun, duration_s=duration, values=values, line=n_header + 1)
    return BehaviorScores(path=path, measures=measures, tests=[trial])


class EthoVisionReader(Reader):
    """EthoVision XT raw-data text export of one trial (:mod:`nwbtms.sources.registry`)."""

    name = "ethovision"
    kind = "behavior"
    display_name = "EthoVision XT raw-data export"
    suffixes = (".txt", ".csv", ".xlsx")
    info = "Noldus EthoVision XT raw-data export (text or Excel) of one trial, scored: distance, zones, states."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """Line 1 is EthoVision's 'Number of header lines'."""
        return bool(_HEADER.match(_first_line(path)))

    @classmethod
    def open(cls, path: Path, *, test: str | None = None, session: str | None = None, subject: str | None = None,
             start_time: str | None = None, start_time_format: str = "%m/%d/%Y %H:%M:%S.%f",
             utc_offset: str = "+00:00", subject_field: str | None = None,
             session_field: str | None = None) -> BehaviorScores:
        return read_ethovision(path, test=test, session=session, subject=subject, start_time=start_time,
                               start_time_format=start_time_format, utc_offset=utc_offset,
                               subject_field=subject_field, session_field=session_field)


__all__ = ["EthoVisionReader", "read_ethovision"]
