"""A synthetic 4-day IT/PT study with planted spine gains and losses (three mice, one with both types)."""

from __future__ import annotations

import datetime as dt

import pytest

from nwbtms.spines.testing import DendriteDay, SessionSpec, write_study

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DAYS = {"day0": 0, "day2": 2, "day4": 4, "day11": 11}


def _spines(prefix, numbers):
    return {f"{prefix}{n:02d}" for n in numbers}


#: subject -> dendrite -> (cell type, soma, length, spines per day). Gains and losses planted by hand.
PLANTED = {
    "M1": {"n1:d1": ("IT", "n1", 50.0, {
        "day0": _spines("a", range(1, 11)),
        "day2": _spines("a", range(3, 14)),                                  # lose a01 a02, gain a11-a13
        "day4": _spines("a", range(4, 15)),                                  # lose a03, gain a14
        "day11": _spines("a", [*range(4, 11), 12, 13, 14])})},               # lose a11
    "M2": {"n2:d1": ("PT", "n2", 40.0, {
        "day0": _spines("b", range(1, 9)),
        "day2": _spines("b", range(2, 10)),                                  # lose b01, gain b09
        "day4": _spines("b", range(4, 10)),                                  # lose b02 b03
        "day11": _spines("b", [*range(5, 10), 10, 11])})},                   # lose b04, gain b10 b11
    "M3": {
        "n3:d1": ("IT", "n3", 30.0, {
            "day0": _spines("c", range(1, 6)), "day2": _spines("c", range(1, 7)),
            "day4": _spines("c", range(2, 7)), "day11": _spines("c", range(2, 7))}),
        "n3:d2": ("IT", "n3", 25.0, {
            "day0": _spines("e", range(1, 5)), "day2": _spines("e", [1, 2]),
            "day4": _spines("e", [1, 2, 5]), "day11": _spines("e", [1, 2, 5])}),
        "n4:d1": ("PT", "n4", 20.0, {
            "day0": _spines("f", range(1, 7)), "day2": _spines("f", range(1, 7)),
            "day4": _spines("f", range(1, 7)), "day11": _spines("f", [1, 2, 3])}),
    },
}


def study_specs():
    specs = []
    for subject, dendrites in PLANTED.items():
        for day, offset in DAYS.items():
            specs.append(SessionSpec(
                subject_id=subject, session_id=day, start=T0 + dt.timedelta(days=offset, minutes=7 * offset),
                dendrites=[DendriteDay(key, cell_type, length, spines[day], soma=soma)
                           for key, (cell_type, soma, length, spines) in dendrites.items()]))
    return specs


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """The study in DANDI layout (written once per test session)."""
    root = tmp_path_factory.mktemp("study")
    write_study(root, study_specs())
    return root
