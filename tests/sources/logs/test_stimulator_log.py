"""Stimulator logs: documented CSV/TSV/JSON-lines layout, column maps, malformed rows."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nwbtms.errors import SourceError
from nwbtms.sources.logs import read_stimulator_log


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_default_csv_columns(tmp_path):
    path = write_csv(
        tmp_path / "log.csv",
        ["time_s", "intensity_percent_mso", "di_dt_a_per_us", "coil_temperature_c", "mode", "waveform"],
        [[0.0, 45, 72.5, 30.1, "standard", "biphasic"], [0.02, 45, "", 30.2, "standard", "biphasic"],
         [0.04, "nan", 71.9, "", "", "biphasic"]],
    )
    log = read_stimulator_log(path)
    np.testing.assert_allclose(log.time_s, [0.0, 0.02, 0.04])
    np.testing.assert_allclose(log.intensity_percent_mso, [45, 45, np.nan])
    np.testing.assert_allclose(log.di_dt_a_per_us, [72.5, np.nan, 71.9])
    np.testing.assert_allclose(log.coil_temperature_c, [30.1, 30.2, np.nan])
    assert log.mode == ["standard", "standard", ""]
    assert log.waveform == ["biphasic"] * 3
    assert log.line_numbers.tolist() == [2, 3, 4]
    assert len(log) == 3 and log.path == path


def test_tsv_with_comment_header_and_missing_optional_columns(tmp_path):
    path = tmp_path / "log.tsv"
    path.write_text("# MagPro poller v2\n# serial COM3\ntime_s\tintensity_percent_mso\n1.5\t60\n2.5\t61\n")
    log = read_stimulator_log(path)
    np.testing.assert_allclose(log.time_s, [1.5, 2.5])
    assert np.isnan(log.di_dt_a_per_us).all() and log.mode == ["", ""]
    assert log.line_numbers.tolist() == [4, 5]


def test_column_map_and_time_unit(tmp_path):
    path = write_csv(tmp_path / "magpro.txt", ["t", "AmplitudeA", "DIDT", "Temp", "Mode"],
                     [[100, 50, 80, 25.0, "Power"], [300, 51, 81, 25.5, "Power"]])
    log = read_stimulator_log(path, time_unit="ms", column_map={
        "time_s": "t", "intensity_percent_mso": "AmplitudeA", "di_dt_a_per_us": "DIDT",
        "coil_temperature_c": "Temp", "mode": "Mode"})
    np.testing.assert_allclose(log.time_s, [0.1, 0.3])
    np.testing.assert_allclose(log.di_dt_a_per_us, [80, 81])
    assert log.mode == ["Power", "Power"]


def test_json_lines_with_nulls_and_iso_times(tmp_path):
    path = tmp_path / "status.jsonl"
    records = [
        {"when": "2026-03-02T09:30:00.000+00:00", "amp": 40, "didt": None, "waveform": "biphasic"},
        {"when": "2026-03-02T09:30:00.250+00:00", "amp": 40.5, "didt": 66.0},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    column_map = {"time_s": "when", "intensity_percent_mso": "amp", "di_dt_a_per_us": "didt"}
    log = read_stimulator_log(path, time_unit="iso8601", column_map=column_map)
    np.testing.assert_allclose(log.time_s, [0.0, 0.25])
    np.testing.assert_allclose(log.di_dt_a_per_us, [np.nan, 66.0])
    assert log.waveform == ["biphasic", ""]
    assert log.start_datetime.startswith("2026-03-02T09:30:00")


@pytest.mark.parametrize(
    ("rows", "line", "field"),
    [
        ([[0.0, 45], [0.1, "forty"]], 3, "intensity_percent_mso"),
        ([[0.0, 45], ["", 45]], 3, "time_s"),
        ([[0.0, 45], [0.1, 45], [0.05, 45]], 4, "time_s"),
        ([[0.0, 145]], 2, "intensity_percent_mso"),
    ],
)
def test_malformed_rows_name_file_line_and_field(tmp_path, rows, line, field):
    path = write_csv(tmp_path / "bad.csv", ["time_s", "intensity_percent_mso"], rows)
    with pytest.raises(SourceError) as info:
        read_stimulator_log(path)
    assert info.value.line == line and info.value.field == field
    assert str(path) in str(info.value) and info.value.hint


def test_ragged_row_and_bad_json(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("time_s,intensity_percent_mso\n0,40\n0.1,40,extra\n")
    with pytest.raises(SourceError, match="3 fields") as info:
        read_stimulator_log(path)
    assert info.value.line == 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time_s": 0}\n{"time_s": 1,\n')
    with pytest.raises(SourceError, match="JSON") as info:
        read_stimulator_log(bad)
    assert info.value.line == 2


def test_missing_time_column_and_bad_map(tmp_path):
    path = write_csv(tmp_path / "log.csv", ["t", "amp"], [[0, 1]])
    with pytest.raises(SourceError, match="time column") as info:
        read_stimulator_log(path)
    assert "column_map" in info.value.hint
    with pytest.raises(SourceError, match="mapped column"):
        read_stimulator_log(path, column_map={"time_s": "t", "intensity_percent_mso": "AMP"})
    with pytest.raises(SourceError, match="unknown field"):
        read_stimulator_log(path, column_map={"voltage": "amp"})
    with pytest.raises(SourceError, match="time_unit"):
        read_stimulator_log(path, column_map={"time_s": "t"}, time_unit="hours")
    with pytest.raises(SourceError, match="not found"):
        read_stimulator_log(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("# nothing\n")
    with pytest.raises(SourceError, match="no header"):
        read_stimulator_log(empty)


def test_large_log_streams_to_compact_arrays(tmp_path):
    n = 20_000
    path = tmp_path / "long.csv"
    with open(path, "w") as handle:
        handle.write("time_s,intensity_percent_mso,di_dt_a_per_us\n")
        for i in range(n):
            handle.write(f"{i * 0.02:.6f},45,{70 + (i % 7) * 0.1:.1f}\n")
    log = read_stimulator_log(path)
    assert log.time_s.dtype == np.float64 and log.time_s.size == n
    assert log.time_s[-1] == pytest.approx((n - 1) * 0.02)
