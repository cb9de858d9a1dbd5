"""Build the behaviour intervals of a file: one ``TimeIntervals`` named ``behavior`` in ``nwbfile.intervals``.

One row per scored test of the file's subject, in time order: ``start_time`` and ``stop_time`` in s from
``session_start_time`` (negative: a test before the session, e.g. days before it), ``test``, ``behavior_session``
(e.g. pre, post), ``start_date`` (ISO 8601), ``day_from_session`` and one float column per scored measure (NaN where
the test does not score it), each column's description stating the measure's unit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScoredTest:
    """One scored behaviour test: ``test`` (e.g. tail_suspension), its behaviour ``session`` (e.g. pre), an
    aware ``start_time``, its duration and the value of each measure it scores (measure name -> value)."""

    test: str
    session: str
    start_time: dt.datetime
    duration_s: float
    values: Mapping[str, float] = field(default_factory=dict)


def build_behavior_intervals(tests: Sequence[ScoredTest], measures: Mapping[str, str], *,
                             session_start_time: dt.datetime, source: str = ""):
    """``TimeIntervals`` ``behavior`` from scored tests and ``measures`` (name -> unit); None when there are no
    tests."""
    from pynwb.epoch import TimeIntervals

    if not tests:
        return None
    used = [m for m in measures if any(not math.isnan(t.values.get(m, math.nan)) for t in tests)]
    table = TimeIntervals(name="behavior", description="Scored behaviour tests of the subject; times in s from "
                          f"session_start_time (negative: before the session). Source: {source}".rstrip(": "))
    table.add_column(name="test", description="Behaviour test, e.g. tail_suspension, sucrose_preference.")
    table.add_column(name="behavior_session", description="Behaviour session of the test, e.g. pre or post.")
    table.add_column(name="start_date", description="ISO 8601 start date-time of the test.")
    table.add_column(name="day_from_session", description="Start of the test in days from session_start_time.")
    for name in used:
        table.add_column(name=name, description=f"Scored measure {name}, in {measures[name]} (NaN: not scored "
                                                "in this test).")
    for test in sorted(tests, key=lambda t: t.start_time):
        start = (test.start_time - session_start_time).total_seconds()
        table.add_row(start_time=start, stop_time=start + float(test.duration_s), test=test.test,
                      behavior_session=test.session, start_date=test.start_time.isoformat(),
                      day_from_session=start / 86400.0,
                      **{name: float(test.values.get(name, float("nan"))) for name in used})
    return table


__all__ = ["ScoredTest", "build_behavior_intervals"]
