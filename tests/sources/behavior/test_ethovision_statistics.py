"""EthoVision XT statistics export, in the layout of real exports.

The generated files reproduce the layout of the two real EthoVision XT statistics exports of
github.com/JasmineDickinson/Ethovision-export-cleanup (commit 989e881), ``Ethov_whole_session_sample.csv`` (one row
per trial) and ``Ethov_1_min_sample.csv`` (one row per 1-minute bin of a trial): comma-separated ASCII with bare
CR line ends (Excel for Mac) and no terminator after the last row; four header rows (variable, ``zone / point``,
statistic, unit) with the independent variables ``mouse id``, ``test``, ``treatment``; leading columns
``Result 1``, ``Trial     1`` (five spaces) and ``Start-0:01:00`` / ``0:01:00-0:02:00``; ``-`` for the latency to a
zone never entered. Neither the raw-data reader nor the behaviour CSV reader recognised those files before.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from nwbtms.errors import InputError
from nwbtms.sources.behavior.ethovision import EthoVisionReader, read_ethovision
from nwbtms.sources.behavior.ethovision_statistics import EthoVisionStatisticsReader, read_ethovision_statistics
from nwbtms.sources.behavior.testing import write_ethovision, write_ethovision_statistics
from nwbtms.sources.registry import open_source, recognise

START = "2019-03-04T10:00:00-05:00"


def test_one_row_per_trial(tmp_path):
    path = write_ethovision_statistics(tmp_path / "Statistics-test1.csv")
    assert recognise(path) is EthoVisionStatisticsReader
    scores = read_ethovision_statistics(path, start_time=START, duration_s=300, test_column="test")
    assert [(t.subject, t.session, t.test, t.duration_s) for t in scores.tests] == [
        ("582", "Trial 1", "test1", 300.0), ("578", "Trial 2", "test1", 300.0)]
    assert scores.measures == {
        "distance_moved_total_cm": "cm", "velocity_mean_cm_per_s": "cm/s",
        "in_zone_2_hot_zone_frequency_count": "count", "in_zone_2_hot_zone_cumulative_duration_s": "s",
        "in_zone_2_hot_zone_latency_to_first_s": "s"}
    first, second = scores.tests
    assert first.values == {"distance_moved_total_cm": 938.848, "velocity_mean_cm_per_s": 3.13409,
                            "in_zone_2_hot_zone_frequency_count": 8.0,
                            "in_zone_2_hot_zone_cumulative_duration_s": 72.48,
                            "in_zone_2_hot_zone_latency_to_first_s": 10.16}
    assert math.isnan(second.values["in_zone_2_hot_zone_latency_to_first_s"])  # '-': never entered
    assert first.start_time == dt.datetime.fromisoformat(START)


def test_time_bins_are_tests_of_their_own(tmp_path):
    path = write_ethovision_statistics(tmp_path / "Statistics-bins.csv", bins=2)
    scores = open_source("ethovision_statistics", path, start_time=START, session="pre")
    assert [(t.subject, t.session, t.duration_s) for t in scores.tests] == [("582", "pre", 60.0)] * 2 + [
        ("578", "pre", 60.0)] * 2
    assert [t.start_time - scores.tests[0].start_time for t in scores.tests] == [
        dt.timedelta(0), dt.timedelta(seconds=60)] * 2


@pytest.mark.parametrize(("name", "line_end", "encoding", "delimiter"), [
    ("s.txt", "\r\n", "utf-16", ";"), ("s.txt", "\n", "utf-8", ","),
    ("s.xlsx", "", "", "")])  # the repository's Ethov_whole_session_sample.xlsx: the same rows in a workbook
def test_other_line_ends_encodings_separators(tmp_path, name, line_end, encoding, delimiter):
    path = write_ethovision_statistics(tmp_path / name, line_end=line_end or "\r", encoding=encoding or "ascii",
                                       delimiter=delimiter or ",")
    assert recognise(path) is EthoVisionStatisticsReader
    [first, _] = read_ethovision_statistics(path, start_time=START, duration_s=300).tests
    assert first.values["in_zone_2_hot_zone_cumulative_duration_s"] == 72.48


def test_refusals_name_the_fix(tmp_path):
    path = write_ethovision_statistics(tmp_path / "s.csv")
    with pytest.raises(InputError, match="no 'Start time'"):
        read_ethovision_statistics(path, duration_s=300)
    with pytest.raises(InputError, match="how long"):
        read_ethovision_statistics(path, start_time=START)
    with pytest.raises(InputError, match="no independent variable 'animal'") as caught:
        read_ethovision_statistics(path, start_time=START, duration_s=300, subject_column="animal")
    assert "mouse id" in str(caught.value)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert not EthoVisionStatisticsReader.sniff(other)
    with pytest.raises(InputError, match="not an EthoVision XT statistics export"):
        read_ethovision_statistics(other)


def test_raw_export_with_bare_cr_line_ends(tmp_path):
    """The bare-CR line ends of Excel-for-Mac saves (seen in the real exports above) in a raw-data export: the
    raw reader raised the csv module's untyped 'new-line character seen in unquoted field' before."""
    path = write_ethovision(tmp_path / "Track.txt", encoding="utf-8", delimiter=",")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    assert recognise(path) is EthoVisionReader
    [trial] = read_ethovision(path).tests
    assert trial.values["distance_moved_cm"] == 75.0


def test_scores_in_an_nwb_file(tmp_path):
    from pynwb import NWBHDF5IO, NWBFile

    from nwbtms.nwb.behavior import ScoredTest, build_behavior_intervals

    scores = read_ethovision_statistics(write_ethovision_statistics(tmp_path / "s.csv"), start_time=START,
                                        duration_s=300, test="open_field")
    begin = dt.datetime.fromisoformat("2019-03-05T10:00:00-05:00")
    nwbfile = NWBFile(session_description="s", identifier="i", session_start_time=begin)
    nwbfile.add_time_intervals(build_behavior_intervals(
        [ScoredTest(t.test, t.session, t.start_time, t.duration_s, t.values) for t in scores.of_subject("582")],
        scores.measures, session_start_time=begin))
    with NWBHDF5IO(tmp_path / "s.nwb", "w") as io:
        io.write(nwbfile)
    with NWBHDF5IO(tmp_path / "s.nwb", "r") as io:
        table = io.read().intervals["behavior"].to_dataframe()
    assert list(table.test) == ["open_field"] and table.start_time.iloc[0] == -86400.0
    assert table.in_zone_2_hot_zone_cumulative_duration_s.iloc[0] == 72.48
    assert table.stop_time.iloc[0] - table.start_time.iloc[0] == 300.0
