"""EthoVision XT (Noldus) statistics export: one row per trial (or per time bin of a trial), scored measures.

The layout ("Analysis > Export > Statistics", as comma- or semicolon-separated text; UTF-16 with a byte-order mark
or UTF-8; lines ended by CRLF, LF or a bare CR when re-saved by Excel for Mac; or the same rows in the first sheet
of an Excel workbook, extra ``nwbtms[behavior]``)::

    ,,Independent Variable,Independent Variable,Distance moved,In zone 2,In zone 2,In zone 2
    ,,Independent Variable,Independent Variable,center-point,hot zone / center-point,hot zone / center-point,...
    ,,mouse id,treatment,Total,Frequency,Cumulative Duration,Latency to First
    ,,,,cm,,s,s
    Result 1,Trial     1,582,saline,938.848,8,72.48,10.16

Four header rows give each column's dependent variable, its zone and body point, its statistic and its unit;
independent variables (the experiment's subject and group labels) say ``Independent Variable`` in rows 1 and 2
and their name in row 3. The leading columns, empty in all four header rows, are the result name, the trial name
and, in an export per time bin, the bin (``Start-0:01:00``, ``0:01:00-0:02:00``). ``-`` is a statistic without
a value (the latency to a zone never entered).

Each statistic whose unit nwbtms knows becomes a measure named ``<variable>_<zone>_<statistic>`` with the unit's
suffix (``cm`` -> ``_cm``, ``cm/s`` -> ``_cm_per_s``, ``s`` -> ``_s``, ``%`` -> ``_percent``, a ``Frequency``
without unit -> ``_count``); others are left out. The subject is the independent variable ``subject_column``
(default: the first of ``Subject``, ``Subject name``, ``Animal``, ``Animal ID``, ``Mouse ID``, ``Subject ID``);
the session is ``session`` or the independent variable ``session_column`` or the trial name; the test is ``test``
or the independent variable ``test_column`` or ``ethovision``. The export has no date unless it has the ``Start
time`` independent variable (read with ``start_time_format`` and ``utc_offset``): otherwise every trial starts at
the ``start_time`` option. A trial lasts ``duration_s``; a time bin, its bin.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

from nwbtms.errors import InputError
from nwbtms.sources.behavior.csv_table import BehaviorScores, BehaviorTest, measure_unit
from nwbtms.sources.behavior.ethovision import _decode, _slug
from nwbtms.sources.behavior.ethovision import _rows as export_rows  # text or Excel
from nwbtms.sources.registry import Reader, head_bytes

INDEPENDENT = "independent variable"
SUBJECT_COLUMNS = ("subject", "subject name", "animal", "animal id", "mouse id", "subject id")
#: EthoVision unit -> measure-name suffix (see nwbtms.sources.behavior.csv_table.UNIT_SUFFIXES)
UNITS = {"cm": "_cm", "cm/s": "_cm_per_s", "s": "_s", "%": "_percent"}
_BIN = re.compile(r"^(start|[\d:.]+)\s*-\s*([\d:.]+)$", re.IGNORECASE)


def _rows(path: Path) -> list[list[str]]:
    return [[c.strip() for c in row] for row in export_rows(path)]


def _clock(text: str) -> float:
    """``h:mm:ss(.f)``, ``mm:ss`` or ``s`` -> seconds; ``Start`` -> 0."""
    if text.lower() == "start":
        return 0.0
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _measure(variable: str, zone: str, statistic: str, unit: str) -> str | None:
    suffix = UNITS.get(unit) or ("_count" if statistic.lower() == "frequency" and not unit else None)
    if suffix is None:
        return None
    where = zone.split(" / ")[0] if " / " in zone else ""  # the zone; the body point alone names no zone
    return "_".join(p for p in (_slug(variable), _slug(where), _slug(statistic)) if p) + suffix


def _pick(names: dict[str, int], wanted: str | None, defaults: tuple[str, ...], path: Path, what: str) -> int | None:
    if wanted is not None:
        if wanted.lower() not in names:
            raise InputError(f"no independent variable {wanted!r} for the {what}", file=path, line=3,
                             hint=f"the export has {', '.join(names) or 'none'}")
        return names[wanted.lower()]
    return next((names[d] for d in defaults if d in names), None)


def read_ethovision_statistics(path: str | Path, *, subject_column: str | None = None, session: str | None = None,
                               session_column: str | None = None, test: str | None = None,
                               test_column: str | None = None, start_time: str | None = None,
                               duration_s: float | None = None, start_time_format: str = "%m/%d/%Y %H:%M:%S.%f",
                               utc_offset: str = "+00:00") -> BehaviorScores:
    """An EthoVision XT statistics export as :class:`BehaviorScores`, one test per row (see the module docstring).

    Raises
    ------
    InputError
        Not a statistics export, no subject column, no start time or duration, a value that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("EthoVision statistics export not found", file=path)
    rows = _rows(path)
    if len(rows) < 4 or not any(c.lower() == INDEPENDENT for c in rows[0]):
        raise InputError("not an EthoVision XT statistics export: line 1 names no 'Independent Variable'",
                         file=path, line=1)
    width = max(len(r) for r in rows[:4])
    head = [r + [""] * (width - len(r)) for r in rows[:4]]
    lead = next((i for i in range(width) if any(h[i] for h in head)), width)
    if lead < 2:
        raise InputError("the result and trial columns are missing (the first two columns of the header rows "
                         "are empty in an EthoVision statistics export)", file=path, line=1)
    independents = {head[2][i].lower(): i for i in range(lead, width) if head[0][i].lower() == INDEPENDENT}
    columns: dict[str, int] = {}
    for i in range(lead, width):
        if head[0][i].lower() == INDEPENDENT:
            continue
        name = _measure(head[0][i], head[1][i], head[2][i], head[3][i])
        if name is None:
            continue
        if name in columns:
            raise InputError(f"two columns make the measure {name!r}", file=path, line=3, field=name)
        columns[name] = i
    subject_at = _pick(independents, subject_column, SUBJECT_COLUMNS, path, "subject")
    if subject_at is None:
        raise InputError("no subject column among the independent variables", file=path, line=3,
                         hint=f"give subject_column, one of {', '.join(independents) or '(none)'}")
    session_at = _pick(independents, session_column, (), path, "session")
    test_at = _pick(independents, test_column, (), path, "test")
    when_at = independents.get("start time")
    if when_at is None and start_time is None:
        raise InputError("the export has no 'Start time' independent variable", file=path,
                         hint="give start_time (ISO 8601 with its UTC offset), the start of the trials")
    offset = dt.datetime.fromisoformat(f"2000-01-01T00:00:00{utc_offset}").tzinfo
    binned = lead >= 3
    if not binned and duration_s is None:
        raise InputError("a statistics export does not say how long a trial lasted", file=path,
                         hint="give duration_s, the trial duration in s")
    tests = []
    for line, cells in enumerate(rows[4:], start=5):
        if not any(cells):
            continue
        cells = cells + [""] * (width - len(cells))
        begun_s, length = 0.0, duration_s
        if binned:
            match = _BIN.match(cells[2])
            if not match:
                raise InputError(f"time bin {cells[2]!r} is not '<start>-<end>'", file=path, line=line)
            begun_s, end_s = _clock(match.group(1)), _clock(match.group(2))
            length = end_s - begun_s
        if when_at is not None:
            try:
                begun = dt.datetime.strptime(cells[when_at], start_time_format)
            except ValueError:
                raise InputError(f"start time {cells[when_at]!r} does not match {start_time_format!r}", file=path,
                                 line=line, field="Start time", hint="give start_time_format") from None
        else:
            try:
                begun = dt.datetime.fromisoformat(start_time)
            except ValueError:
                raise InputError(f"start_time {start_time!r} is not ISO 8601", field="start_time",
                                 hint="e.g. 2026-02-09T10:00:00-08:00") from None
        if begun.tzinfo is None:
            begun = begun.replace(tzinfo=offset)
        values = {}
        for name, i in columns.items():
            cell = cells[i]
            try:
                values[name] = float(cell) if cell not in ("", "-") else math.nan
            except ValueError:
                raise InputError(f"{head[0][i]} {head[2][i]} {cell!r} is not a number", file=path, line=line,
                                 field=name) from None
        trial = " ".join(cells[1].split())
        tests.append(BehaviorTest(
            subject=cells[subject_at], line=line, values=values, duration_s=float(length),
            session=session or (cells[session_at] if session_at is not None else trial),
            test=test or (_slug(cells[test_at]) if test_at is not None else "ethovision"),
            start_time=begun + dt.timedelta(seconds=begun_s)))
    if not tests:
        raise InputError("the statistics export has no trial rows", file=path, line=5)
    return BehaviorScores(path=path, measures={n: measure_unit(n) or "" for n in columns}, tests=tests)


class EthoVisionStatisticsReader(Reader):
    """EthoVision XT statistics export, one row per trial or time bin (:mod:`nwbtms.sources.registry`)."""

    name = "ethovision_statistics"
    kind = "behavior"
    display_name = "EthoVision XT statistics export"
    suffixes = (".txt", ".csv", ".xlsx")
    info = "Noldus EthoVision XT statistics export: one row per trial (or time bin), its statistics as measures."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """Line 1 starts with empty result and trial cells and names an 'Independent Variable'."""
        if path.suffix.lower() == ".xlsx":
            try:
                first = next(export_rows(path), [])
            except InputError:
                return False
            return len(first) > 2 and not first[0] and any(c.strip().lower() == INDEPENDENT for c in first)
        lines = _decode(head_bytes(path, 4096)).splitlines()
        if len(lines) < 2:
            return False
        return lines[0].lstrip('"')[:1] in (",", ";") and INDEPENDENT in lines[0].lower()

    @classmethod
    def open(cls, path: Path, *, subject_column: str | None = None, session: str | None = None,
             session_column: str | None = None, test: str | None = None, test_column: str | None = None,
             start_time: str | None = None, duration_s: float | None = None,
             start_time_format: str = "%m/%d/%Y %H:%M:%S.%f", utc_offset: str = "+00:00") -> BehaviorScores:
        return read_ethovision_statistics(path, subject_column=subject_column, session=session,
                                          session_column=session_column, test=test, test_column=test_column,
                                          start_time=start_time, duration_s=duration_s,
                                          start_time_format=start_time_format, utc_offset=utc_offset)


__all__ = ["EthoVisionStatisticsReader", "read_ethovision_statistics"]
