"""The documented behaviour CSV: tests with their scored measures and units; bad input named by line."""

from __future__ import annotations

import math

import pytest

from nwbtms.errors import InputError
from nwbtms.sources.behavior import read_behavior_csv
from nwbtms.sources.behavior.csv_table import BehaviorCsvReader
from nwbtms.sources.behavior.testing import EXAMPLE_ROWS, write_behavior_csv
from nwbtms.sources.registry import recognise


def test_reads_tests_measures_and_units(tmp_path):
    scores = read_behavior_csv(write_behavior_csv(tmp_path / "behaviour.csv"))
    assert scores.measures == {"center_time_s": "s", "distance_cm": "cm", "immobility_s": "s",
                               "sucrose_preference_percent": "percent"}
    m1 = scores.of_subject("M1")
    assert [t.test for t in m1] == ["tail_suspension", "sucrose_preference", "open_field"]
    assert m1[0].values["immobility_s"] == 142.5 and math.isnan(m1[0].values["distance_cm"])
    assert m1[1].duration_s == 86400 and m1[0].start_time.utcoffset().total_seconds() == -8 * 3600
    assert recognise(scores.path) is BehaviorCsvReader


@pytest.mark.parametrize(("edit", "message", "line"), [
    ({"immobility_s": "a lot"}, "immobility_s 'a lot' is not a number", 2),
    ({"duration_s": 0}, "duration_s must be positive", 2),
    ({"start_time": "2026-01-28T10:00:00"}, "UTC offset", 2),
    ({"subject": ""}, "empty subject", 2),
])
def test_bad_cells_are_located(tmp_path, edit, message, line):
    path = write_behavior_csv(tmp_path / "bad.csv", [{**EXAMPLE_ROWS[0], **edit}])
    with pytest.raises(InputError, match=message) as caught:
        read_behavior_csv(path)
    assert caught.value.line == line


def test_measure_without_unit_and_missing_columns(tmp_path):
    path = write_behavior_csv(tmp_path / "nounit.csv", [{**EXAMPLE_ROWS[0], "immobility": 3}])
    with pytest.raises(InputError, match="does not end with a unit"):
        read_behavior_csv(path)
    path = tmp_path / "missing.csv"
    path.write_text("subject,test\nM1,tst\n")
    with pytest.raises(InputError, match="missing column"):
        read_behavior_csv(path)
