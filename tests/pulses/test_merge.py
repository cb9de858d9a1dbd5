"""Merging stimulator-log and navigator values onto TTL pulses: offsets, missing and extra rows, tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nwbtms.errors import InputError
from nwbtms.pulses.merge import estimate_offset, merge_pulse_sources
from nwbtms.sources.logs import StimulatorLog
from nwbtms.sources.navigation import NavigatorPulses


def itbs_times_s(first_s: float = 10.0) -> np.ndarray:
    """iTBS-600 (Huang 2005) from integer microseconds."""
    t_us = np.zeros(1, dtype=np.int64)
    for count, interval_us in ((3, 20_000), (10, 200_000), (20, 10_000_000)):
        t_us = (np.arange(count, dtype=np.int64)[:, None] * interval_us + t_us[None, :]).ravel()
    return first_s + t_us / 1e6


def make_log(times_s, intensity=None, di_dt=None) -> StimulatorLog:
    n = len(times_s)
    return StimulatorLog(
        time_s=np.asarray(times_s, dtype=float),
        intensity_percent_mso=np.full(n, 45.0) if intensity is None else np.asarray(intensity, dtype=float),
        di_dt_a_per_us=np.arange(n, dtype=float) if di_dt is None else np.asarray(di_dt, dtype=float),
        coil_temperature_c=30.0 + np.arange(n) * 0.001, mode=["standard"] * n, waveform=["biphasic"] * n,
        path=Path("log.csv"),
    )


def make_navigator(times_s, row_ids=None) -> NavigatorPulses:
    n = len(times_s)
    row_ids = np.arange(n, dtype=float) if row_ids is None else np.asarray(row_ids, dtype=float)
    pose = np.tile(np.eye(4), (n, 1, 1))
    pose[:, 0, 3] = row_ids  # identify each row by its pose
    return NavigatorPulses(
        time_s=np.asarray(times_s, dtype=float), pose=pose, amplitude_percent_mso=np.full(n, 44.0),
        di_dt_a_per_us=np.full(n, 70.0), target_error_mm=row_ids * 0.1, angular_error_deg=np.ones(n),
        twist_error_deg=-np.ones(n), target_label=["M1"] * n, coordinate_space="MNI", path=Path("nav.xml"),
    )


def test_clock_offset_and_jitter_recovered():
    ttl = itbs_times_s()
    rng = np.random.default_rng(3)
    log = make_log(ttl + 1234.567 + rng.normal(0, 0.0005, ttl.size))
    merged = merge_pulse_sources(ttl, log=log, tolerance_s=0.005)
    info = merged.report.sources["log"]
    assert info.offset_s == pytest.approx(1234.567, abs=2e-4)
    assert info.complete and merged.report.complete and info.n_matched == ttl.size
    np.testing.assert_array_equal(merged.log_row, np.arange(ttl.size))
    np.testing.assert_allclose(merged.di_dt_a_per_us, np.arange(ttl.size))
    assert merged.mode[0] == "standard" and np.all(merged.time_s == ttl)
    assert info.max_abs_residual_s < 0.003


def test_missing_log_rows_in_the_middle_are_reported_and_nan():
    ttl = itbs_times_s()
    dropped = [5, 200, 201, 450]
    kept = np.setdiff1d(np.arange(ttl.size), dropped)
    log = make_log(ttl[kept] - 7.25, di_dt=kept.astype(float))  # log clock 7.25 s behind
    merged = merge_pulse_sources(ttl, log=log, tolerance_s=0.005)
    info = merged.report.sources["log"]
    assert info.offset_s == pytest.approx(-7.25)
    assert info.pulses_without_row.tolist() == dropped and info.unmatched_rows.size == 0
    assert np.isnan(merged.di_dt_a_per_us[dropped]).all()
    np.testing.assert_allclose(merged.di_dt_a_per_us[kept], kept)
    assert any("4 pulse(s) got no value" in m for m in info.messages)
    assert any("596 rows for 600" in m for m in info.messages)
    assert not merged.report.complete


def test_extra_navigator_rows_and_values_fill_log_gaps():
    ttl = itbs_times_s()
    extra_times = np.array([ttl[0] - 3.0, ttl[100] + 0.1, ttl[-1] + 5.0])  # rows with no pulse
    nav_times = np.sort(np.concatenate([ttl, extra_times])) + 0.8
    ids = np.arange(nav_times.size, dtype=float)
    navigator = make_navigator(nav_times, ids)
    log = make_log(ttl[:-10], intensity=np.full(590, np.nan))  # log stops early, no %MSO recorded
    merged = merge_pulse_sources(ttl, log=log, navigator=navigator, tolerance_s=0.005)
    nav = merged.report.sources["navigator"]
    assert nav.offset_s == pytest.approx(0.8)
    assert nav.n_rows == 603 and nav.n_matched == 600 and nav.unmatched_rows.size == 3
    assert any("3 row(s) matched no pulse" in m for m in nav.messages)
    true_rows = np.searchsorted(nav_times, ttl + 0.8)
    np.testing.assert_array_equal(merged.navigator_row, true_rows)
    np.testing.assert_allclose(merged.pose[:, 0, 3], ids[true_rows])
    np.testing.assert_allclose(merged.intensity_percent_mso, 44.0)  # navigator fills the log's NaN
    np.testing.assert_allclose(merged.di_dt_a_per_us[:590], np.arange(590))  # the log wins where it has one
    np.testing.assert_allclose(merged.di_dt_a_per_us[590:], 70.0)
    assert merged.report.sources["log"].pulses_without_row.tolist() == list(range(590, 600))
    assert merged.target_label[0] == "M1" and merged.coordinate_space == "MNI"


def test_tolerance_decides_and_disagreement_is_reported():
    ttl = np.arange(10) * 1.0
    log_times = ttl + 0.004
    log_times[3] += 0.02  # row 3 is 24 ms off while the rest are 4 ms off
    log = make_log(log_times, intensity=np.full(10, 50.0))
    navigator = make_navigator(ttl)
    tight = merge_pulse_sources(ttl, log=log, navigator=navigator, tolerance_s=0.005, offsets_s={"log": 0.0})
    assert tight.report.sources["log"].pulses_without_row.tolist() == [3]
    assert tight.intensity_percent_mso[3] == 44.0
    assert any("differ by more than" in m for m in tight.report.messages)
    loose = merge_pulse_sources(ttl, log=log, tolerance_s=0.05, offsets_s={"log": 0.0})
    assert loose.report.sources["log"].complete


def test_order_nearest_and_previous_modes():
    ttl = np.arange(5) * 1.0
    order = merge_pulse_sources(ttl, log=make_log(ttl[:4] + 100.0), tolerance_s=0.01, match="order")
    assert order.log_row.tolist() == [0, 1, 2, 3, -1]
    assert order.report.sources["log"].offset_s == pytest.approx(100.0)
    nearest = merge_pulse_sources(ttl, log=make_log(ttl + 100.0), tolerance_s=0.01, match="nearest")
    assert (nearest.log_row == -1).all()  # no offset estimate in "nearest"
    status = make_log([-0.5, 2.2], intensity=[40.0, 60.0])  # polled status rows
    previous = merge_pulse_sources(ttl, log=status, tolerance_s=2.0, match="previous")
    assert previous.log_row.tolist() == [0, 0, -1, 1, 1]
    np.testing.assert_allclose(previous.intensity_percent_mso, [40, 40, np.nan, 60, 60])


def test_source_without_times_is_matched_by_order():
    ttl = np.arange(4) * 1.0
    navigator = make_navigator(np.full(3, np.nan))
    merged = merge_pulse_sources(ttl, navigator=navigator, tolerance_s=0.01)
    info = merged.report.sources["navigator"]
    assert info.method == "order (no times)" and merged.navigator_row.tolist() == [0, 1, 2, -1]
    assert any("by order only" in m for m in info.messages)


def test_periodic_train_offset_picks_the_right_lag():
    ttl = itbs_times_s(0.0)
    src = ttl[3:] + 0.02  # first burst lost and a clock offset of exactly one pulse interval
    assert estimate_offset(ttl, src, 0.005) == pytest.approx(0.02)


def test_bad_arguments():
    with pytest.raises(InputError, match="tolerance_s"):
        merge_pulse_sources([0.0], tolerance_s=0)
    with pytest.raises(InputError, match="match mode"):
        merge_pulse_sources([0.0], tolerance_s=0.1, match="magic")
    with pytest.raises(InputError, match="non-decreasing"):
        merge_pulse_sources([1.0, 0.0], tolerance_s=0.1)
    with pytest.raises(InputError, match="offsets_s"):
        merge_pulse_sources([0.0], tolerance_s=0.1, offsets_s={"emg": 1.0})
    with pytest.raises(InputError, match="have no time"):
        merge_pulse_sources([0.0, 1.0], log=make_log([0.0, np.nan]), tolerance_s=0.1)
    empty = merge_pulse_sources([], log=make_log([0.0]), tolerance_s=0.1)
    assert len(empty) == 0 and empty.report.sources["log"].unmatched_rows.tolist() == [0]


def test_daq_measured_di_dt_wins():
    ttl = np.arange(3) * 1.0
    measured = np.array([80.0, np.nan, 82.0])
    merged = merge_pulse_sources(ttl, log=make_log(ttl), tolerance_s=0.01, ttl_di_dt_a_per_us=measured)
    np.testing.assert_allclose(merged.di_dt_a_per_us, [80.0, 1.0, 82.0])
    with pytest.raises(InputError, match="ttl_di_dt_a_per_us"):
        merge_pulse_sources(ttl, tolerance_s=0.01, ttl_di_dt_a_per_us=[1.0])


def test_real_navigator_exports_merge_onto_ttl(realdata):
    from nwbtms.sources.navigation import read_brainsight, read_localite_triggers

    brainsight = read_brainsight(realdata / "brainsight" / "niiImage_niftialignedcoord.txt")
    localite = read_localite_triggers(realdata / "localite" / "ExampleData" / "Session_20240905163227166"
                                      / "TMSTrigger" / "TriggerMarkers_Coil0_20240905174623122.xml")
    for navigator in (brainsight, localite):
        ttl = np.delete(navigator.time_s - navigator.time_s[0] + 3.0, [4])  # one navigator row is extra
        merged = merge_pulse_sources(ttl, navigator=navigator, tolerance_s=0.05)
        info = merged.report.sources["navigator"]
        assert info.unmatched_rows.tolist() == [4] and info.pulses_without_row.size == 0
        np.testing.assert_allclose(merged.pose, np.delete(navigator.pose, [4], axis=0))
