"""The documented behaviour CSV: one row per test of a subject, one column per scored measure.

Columns (header row, any order; names case-insensitive; lines starting with ``#`` are comments)::

    subject,session,test,start_time,duration_s,immobility_s,sucrose_preference_percent,distance_cm
    M001,pre,tail_suspension,2026-01-28T10:00:00-08:00,360,142.5,,
    M001,pre,sucrose_preference,2026-01-29T18:00:00-08:00,86400,,71.2,
    M001,post,open_field,2026-02-09T10:00:00-08:00,600,,,3521.4

Required: ``subject`` (the subject ID of the NWB files), ``session`` (the behaviour session, e.g. ``pre`` or
``post``), ``test`` (e.g. ``tail_suspension``, ``forced_swim``, ``sucrose_preference``, ``open_field``),
``start_time`` (ISO 8601 date-time with its UTC offset) and ``duration_s`` (> 0). Every other column is a scored
measure, a number or empty (not scored in that test); its name ends with its unit: ``_s`` seconds,
``_percent`` percent, ``_cm`` centimetres, ``_count`` a count, ``_cm_per_s`` speed (:data:`UNIT_SUFFIXES`).
One file may hold a whole study; a session's NWB file keeps its subject's rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from nwbtms.errors import InputError
from nwbtms.sources.registry import Reader, head_text

REQUIRED_COLUMNS = ("subject", "session", "test", "start_time", "duration_s")
#: measure-name suffix -> unit (longest suffix first)
UNIT_SUFFIXES = {"_cm_per_s": "cm/s", "_percent": "percent", "_count": "count", "_cm": "cm", "_s": "s"}
_MEASURE = re.compile(r"^[a-z][a-z0-9_]*$")


def measure_unit(name: str) -> str | None:
    """The unit a measure's name ends with, or None."""
    return next((unit for suffix, unit in UNIT_SUFFIXES.items() if name.endswith(suffix)), None)


@dataclass(frozen=True)
class BehaviorTest:
    """One scored test of a subject."""

    subject: str
    session: str
    test: str
    start_time: dt.datetime
    duration_s: float
    #: measure -> value (NaN: not scored in this test)
    values: dict[str, float]
    line: int


@dataclass(frozen=True)
class BehaviorScores:
    """Every row of a behaviour CSV, and its measures with their units."""

    path: Path
    measures: dict[str, str]
    tests: list[BehaviorTest] = field(default_factory=list)

    def of_subject(self, subject: str) -> list[BehaviorTest]:
        """The tests of one subject, in time order."""
        return sorted((t for t in self.tests if t.subject == subject), key=lambda t: t.start_time)

    def summary(self) -> dict:
        return {"tests": len(self.tests), "subjects": sorted({t.subject for t in self.tests}),
                "test_names": sorted({t.test for t in self.tests}), "measures": dict(self.measures)}


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{column} {text!r} is not a number", file=path, line=line, field=column,
                         hint="give a number, or leave the cell empty when the test does not score it") from None
    if not math.isfinite(value):
        raise InputError(f"{column} must be finite, got {text!r}", file=path, line=line, field=column)
    return value


def _time(text: str, path: Path, line: int) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InputError(f"start_time {text!r} is not an ISO 8601 date-time with a UTC offset", file=path,
                         line=line, field="start_time", hint="e.g. 2026-01-28T10:00:00-08:00")
    return value


def read_behavior_csv(path: str | Path) -> BehaviorScores:
    """Read a behaviour CSV (see the module docstring).

    Raises
    ------
    InputError
        Missing columns, a measure without a unit suffix, a value or time that is not one, a non-positive
        duration; each names the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("behaviour file not found", file=path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        kept = [(n, text) for n, text in enumerate(handle, start=1)
                if text.strip() and not text.lstrip().startswith("#")]
    if not kept:
        raise InputError("behaviour file is empty", file=path, hint=f"the header needs {', '.join(REQUIRED_COLUMNS)}")
    lines = [n for n, _ in kept]
    reader = csv.reader(text for _, text in kept)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, line=lines[0],
                         hint=f"the header needs {', '.join(REQUIRED_COLUMNS)}, then one column per measure")
    measures = {}
    for name in header:
        if name in REQUIRED_COLUMNS:
            continue
        unit = measure_unit(name)
        if not _MEASURE.match(name) or unit is None:
            raise InputError(f"measure column {name!r} does not end with a unit", file=path, line=lines[0],
                             field=name, hint=f"name it <measure><unit>, unit one of {', '.join(UNIT_SUFFIXES)}, "
                                              "e.g. immobility_s, sucrose_preference_percent")
        measures[name] = unit
    tests = []
    for index, cells in enumerate(reader, start=1):
        line = lines[index]
        if len(cells) != len(header):
            raise InputError(f"{len(cells)} cells, the header has {len(header)}", file=path, line=line)
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        for column in ("subject", "session", "test"):
            if not row[column]:
                raise InputError(f"empty {column}", file=path, line=line, field=column)
        duration = _number(row["duration_s"], path, line, "duration_s")
        if duration <= 0:
            raise InputError(f"duration_s must be positive, got {row['duration_s']}", file=path, line=line,
                             field="duration_s")
        values = {m: _number(row[m], path, line, m) if row[m] else math.nan for m in measures}
        tests.append(BehaviorTest(subject=row["subject"], session=row["session"], test=row["test"],
                                  start_time=_time(row["start_time"], path, line), duration_s=duration,
                                  values=values, line=line))
    return BehaviorScores(path=path, measures=measures, tests=tests)


class BehaviorCsvReader(Reader):
    """The documented behaviour CSV as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "behavior_csv"
    kind = "behavior"
    display_name = "Behaviour scores CSV"
    suffixes = (".csv",)
    info = "Behaviour test scores: subject, session, test, start_time, duration_s, then one column per measure."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A header row with every documented column."""
        lines = [line for line in head_text(path).splitlines() if line.strip() and not line.startswith("#")]
        if not lines:
            return False
        header = {h.strip().lower() for h in lines[0].split(",")}
        return all(c in header for c in REQUIRED_COLUMNS)

    @classmethod
    def open(cls, path: Path) -> BehaviorScores:
        return read_behavior_csv(path)


__all__ = ["REQUIRED_COLUMNS", "UNIT_SUFFIXES", "BehaviorCsvReader", "BehaviorScores", "BehaviorTest",
           "measure_unit", "read_behavior_csv"]
