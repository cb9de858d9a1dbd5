"""Pulses, sessions and reconciliation builders and raw DAQ traces: written, read back, validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from ndx_tms import TMSExperimentMetadata, add_tms_tables, find_tms_tables
from ndx_tms import __version__ as ndx_tms_version
from ndx_tms.testing import (
    mock_TMSCoil,
    mock_TMSCoordinateSpace,
    mock_TMSProtocolsTable,
    mock_TMSTargetsTable,
    mock_TMSThresholdsTable,
)
from pynwb import NWBHDF5IO, NWBFile, validate

from nwbtms.errors import InputError
from nwbtms.io.nwb_write import write_nwbfile
from nwbtms.nwb.pulses import (
    build_pulses_table,
    build_reconciliation_table,
    build_sessions_table,
    raw_trace_series,
    raw_trace_series_per_segment,
    schedule_indices_from_reconciliation,
)
from nwbtms.pulses.merge import merge_pulse_sources
from nwbtms.pulses.sessions import find_sessions
from nwbtms.sources.logs import StimulatorLog
from nwbtms.sources.navigation import NavigatorPulses

SESSIONS = 3
SESSION_INTERVAL_S = 1800.0
FIRST_PULSE_S = 60.0


def itbs_times_s() -> np.ndarray:
    """iTBS-600 (Huang 2005) from integer microseconds."""
    t_us = np.zeros(1, dtype=np.int64)
    for count, interval_us in ((3, 20_000), (10, 200_000), (20, 10_000_000)):
        t_us = (np.arange(count, dtype=np.int64)[:, None] * interval_us + t_us[None, :]).ravel()
    return t_us / 1e6


def course_ttl_s(dropped=(1000,)) -> np.ndarray:
    one = itbs_times_s()
    times = np.concatenate([FIRST_PULSE_S + s * SESSION_INTERVAL_S + one for s in range(SESSIONS)])
    return np.delete(times, list(dropped))


def rounded_pose(k: int) -> np.ndarray:
    """A pose whose rotation is printed with 3 decimals, as Brainsight writes it."""
    c, s = np.cos(0.001 * k + 0.3), np.sin(0.001 * k + 0.3)
    pose = np.eye(4)
    pose[:3, :3] = np.round([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], 3)
    pose[:3, 3] = (1.0, 2.0, 3.0)
    return pose


def merged_course(ttl):
    n = ttl.size
    log = StimulatorLog(time_s=ttl + 5.0, intensity_percent_mso=np.full(n, 45.0),
                        di_dt_a_per_us=np.full(n, 72.0), coil_temperature_c=np.linspace(30, 33, n),
                        mode=["standard"] * n, waveform=["biphasic"] * n, path=Path("log.csv"))
    nav_rows = n - 3  # the navigator missed the last three pulses
    navigator = NavigatorPulses(
        time_s=ttl[:nav_rows] - 2.0, pose=np.stack([rounded_pose(k) for k in range(nav_rows)]),
        amplitude_percent_mso=np.full(nav_rows, np.nan), di_dt_a_per_us=np.full(nav_rows, np.nan),
        target_error_mm=np.full(nav_rows, 1.5), angular_error_deg=np.full(nav_rows, 2.0),
        twist_error_deg=np.full(nav_rows, -3.0), target_label=["dmPFC"] * nav_rows, coordinate_space="MNI",
        path=Path("nav.txt"), pose_convention="matsimnibs axes; translation in mm",
    )
    return merge_pulse_sources(ttl, log=log, navigator=navigator, tolerance_s=0.005)


@pytest.fixture
def tms_tables():
    space = mock_TMSCoordinateSpace()
    thresholds = mock_TMSThresholdsTable()
    protocols = mock_TMSProtocolsTable(thresholds=thresholds)
    targets = mock_TMSTargetsTable(coordinate_space=space)
    coil = mock_TMSCoil()
    return dict(space=space, thresholds=thresholds, protocols=protocols, targets=targets, coil=coil)


def new_nwbfile(coil) -> NWBFile:
    nwbfile = NWBFile(session_description="aiTBS pulses builder test", identifier="pulses-builder-test",
                      session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    nwbfile.add_device_model(coil.model)
    nwbfile.add_device_model(coil.stimulator.model)
    nwbfile.add_device(coil.stimulator)
    nwbfile.add_device(coil)
    return nwbfile


class FakeReconciliation:
    """The fields of nwbtms.protocols.Reconciliation the builders read (a real one is used below too)."""

    def __init__(self, matched, missing, offset_s, n_declared, discrepancies=()):
        self.matched = matched
        self.missing = np.asarray(missing, dtype=np.int64)
        self.extra = np.zeros(0, dtype=np.int64)
        self.offset_s = offset_s
        self.drift_ppm = 0.0
        self.max_abs_residual_s = 0.0
        self.n_declared = n_declared
        self.n_delivered = len(matched)
        self.discrepancies = list(discrepancies)


def test_pulses_sessions_reconciliation_round_trip_and_validate(tmp_path, tms_tables):
    from nwbtms.protocols import get_preset, reconcile
    from nwbtms.protocols.schedule import build_schedule

    ttl = course_ttl_s(dropped=(1000,))  # session 1, pulse 400: train 13, burst 3, pulse 1
    merged = merged_course(ttl)
    spans = find_sessions(ttl, min_gap_s=60.0)
    assert [s.num_pulses for s in spans] == [600, 599, 600]
    schedule = build_schedule(get_preset("itbs_600"))
    session_number = np.zeros(ttl.size, dtype=np.int32)
    indices = {level: np.zeros(ttl.size, dtype=np.int32) for level in ("session", "train", "burst", "pulse")}
    scheduled = np.zeros(ttl.size)
    reconciliations = []
    for k, span in enumerate(spans):
        part = slice(span.start_index, span.stop_index)
        rec = reconcile(schedule.times_s, ttl[part], schedule=schedule)
        reconciliations.append(rec)
        session_indices, session_scheduled = schedule_indices_from_reconciliation(
            schedule, rec, span.num_pulses, session_number=k)
        for level in indices:
            indices[level][part] = session_indices[level]
        scheduled[part] = session_scheduled
        session_number[part] = k
    assert reconciliations[1].missing.tolist() == [400]
    np.testing.assert_allclose(scheduled, ttl, atol=1e-6)
    sessions = build_sessions_table(spans, protocols_table=tms_tables["protocols"],
                                    targets_table=tms_tables["targets"])
    table = build_pulses_table(
        merged, protocols_table=tms_tables["protocols"], targets_table=tms_tables["targets"],
        coil=tms_tables["coil"], protocol_row=0, target_row=0, schedule_indices=indices,
        artifact_window_s=(-0.001, 0.025), scheduled_time_s=scheduled, sessions_table=sessions,
    )
    reconciliation = build_reconciliation_table(reconciliations, sessions, tms_tables["protocols"],
                                                declared_times_s=[schedule.times_s] * SESSIONS)
    # 3-decimal poses are within the extension's tolerance (ndx-tms POSE_TOLERANCE): stored as recorded
    assert "nearest rotation" not in table.description and "navigator" in table.description
    nwbfile = new_nwbfile(tms_tables["coil"])
    metadata = TMSExperimentMetadata(
        tms_coordinate_spaces=[tms_tables["space"]], thresholds=tms_tables["thresholds"],
        protocols=tms_tables["protocols"], targets=tms_tables["targets"], coils=table.coils,
        ndx_tms_version=ndx_tms_version)
    add_tms_tables(nwbfile, metadata=metadata, pulses=table, sessions=sessions)
    metadata.reconciliation = reconciliation
    path = write_nwbfile(nwbfile, tmp_path / "pulses.nwb")
    assert validate(path=str(path)) == []
    with NWBHDF5IO(str(path), "r") as io:
        read = io.read()
        tms = find_tms_tables(read)
        assert tms["layout"] == "0.2" and read.events["tms_pulses"] is tms["pulses"]
        pulses = tms["pulses"]
        np.testing.assert_allclose(pulses["timestamp"][:], ttl)
        assert pulses["session"].data[:].tolist() == session_number.tolist()
        assert pulses["session"].table is read.intervals["tms_sessions"]
        np.testing.assert_array_equal(pulses["train_number"][:], indices["train"])
        assert pulses["train_number"][1000] == 13 and pulses["burst_number"][1000] == 3
        assert pulses["pulse_number"][1000] == 2  # pulse 1 of that burst was dropped
        np.testing.assert_allclose(pulses["intensity_in_percent_mso"][:], 45.0)
        np.testing.assert_allclose(pulses["coil_temperature_in_c"][:], merged.coil_temperature_c)
        poses = pulses["measured_coil_pose"][:]
        assert np.isnan(poses[-3:]).all() and np.isfinite(poses[:-3]).all()
        np.testing.assert_array_equal(poses[:-3], merged.pose[:-3])
        np.testing.assert_allclose(pulses["target_error_in_mm"][:-3], 1.5)
        assert np.isnan(pulses["target_error_in_mm"][-3:]).all()
        assert pulses["source"][0] == "trigger_ttl"
        assert tms["sessions"]["num_pulses"][:].tolist() == [600, 599, 600]
        starts = FIRST_PULSE_S + SESSION_INTERVAL_S * np.arange(3)
        np.testing.assert_allclose(tms["sessions"]["start_time"][:], starts)
        rec = tms["reconciliation"]
        assert rec["num_missing"][:].tolist() == [0, 1, 0]
        assert rec["missing_pulse_time_in_s"][1] == pytest.approx([FIRST_PULSE_S + SESSION_INTERVAL_S
                                                                    + schedule.times_s[400]])
        assert "train 13" in rec["discrepancy"][1][0]


def test_sessions_from_spans_and_bad_inputs(tms_tables):
    ttl = course_ttl_s(dropped=())
    merged = merged_course(ttl)
    spans = find_sessions(ttl, min_gap_s=60.0)
    sessions = build_sessions_table(spans, protocols_table=tms_tables["protocols"],
                                    targets_table=tms_tables["targets"])
    common = dict(protocols_table=tms_tables["protocols"], targets_table=tms_tables["targets"],
                  coil=tms_tables["coil"], protocol_row=0, target_row=0, sessions_table=sessions)
    table = build_pulses_table(merged, sessions=spans, artifact_window_s=(-0.001, 0.025), **common)
    assert table["session"].data[-1] == 2 and table["train_number"].data[-1] == 0
    with pytest.raises(InputError, match="session row 3, outside the 3 session"):
        build_pulses_table(merged, artifact_window_s=(0, 0.01),
                           schedule_indices={"session": np.full(ttl.size, 3)}, **common)
    with pytest.raises(InputError, match="unknown level"):
        build_pulses_table(merged, artifact_window_s=(0, 0.01), schedule_indices={"week": np.zeros(ttl.size)},
                           **common)
    skewed = merged_course(ttl)
    skewed.pose[5, 0, 0] += 0.1
    with pytest.raises(InputError, match="pulses \\[5\\]"):
        build_pulses_table(skewed, artifact_window_s=(0, 0.01), **common)
    # a wider pose_tolerance snaps such a pose to the nearest rotation, and says so
    snapped = build_pulses_table(skewed, artifact_window_s=(0, 0.01), pose_tolerance=0.25, **common)
    assert "1 measured pose(s)" in snapped.description and "nearest rotation" in snapped.description
    rotation = np.asarray(snapped["measured_coil_pose"].data[5])[:3, :3]
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    missing = FakeReconciliation(np.zeros((0, 2), dtype=np.int64), [3], 0.0, 600)
    with pytest.raises(InputError, match="declared_times_s"):
        build_reconciliation_table([missing], sessions, tms_tables["protocols"])
    with pytest.raises(InputError, match="4 reconciliations"):
        build_reconciliation_table([missing] * 4, sessions, tms_tables["protocols"])


def test_raw_trace_series_streams_a_daq_channel(tmp_path, tms_tables):
    from nwbtms.sources.daq import open_recording
    from nwbtms.sources.daq.testing import write_wavesurfer

    rate = 20_000.0
    n = 50_000
    analog = np.zeros((2, n), dtype=np.int16)
    analog[0, 1000:1100] = 20_000
    analog[1] = (np.arange(n) % 1000).astype(np.int16)
    digital = np.zeros(n, dtype=np.uint8)
    digital[1000:1100] = 1
    path = write_wavesurfer(tmp_path / "rig.h5", [analog], sample_rate_hz=rate,
                            channel_names=["trigger", "coil"], digital=[digital], digital_names=["ttl"],
                            coefficients=[[0.0, 1e-4, 0.0, 0.0]] * 2)
    recording = open_recording(path)
    trigger = raw_trace_series(recording, "trigger", clock_offset_s=12.5, chunk_samples=4096,
                               buffer_samples=16_384)
    line = raw_trace_series(recording, "ttl", name="trigger_ttl")
    expected = recording.read("trigger")
    nwbfile = new_nwbfile(tms_tables["coil"])
    nwbfile.add_acquisition(trigger)
    nwbfile.add_acquisition(line)
    out = write_nwbfile(nwbfile, tmp_path / "raw.nwb")
    assert validate(path=str(out)) == []
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        series = read.acquisition["daq_trigger"]
        assert series.starting_time == pytest.approx(12.5) and series.rate == rate
        assert series.data.chunks == (4096,) and series.data.compression == "gzip"
        np.testing.assert_allclose(series.data[:], expected.astype(np.float32))
        ttl = read.acquisition["trigger_ttl"]
        assert ttl.data.dtype == np.uint8 and ttl.data[:].sum() == 100 and ttl.unit == "n.a."
    with pytest.raises(Exception, match="channels in this file"):
        raw_trace_series(recording, "nope")
    recording.close()


def test_every_sweep_of_a_multi_sweep_recording_is_kept(tmp_path, tms_tables):
    from nwbtms.sources.daq import open_recording
    from nwbtms.sources.daq.testing import write_wavesurfer

    sweeps = [np.full((1, 1000), 100 * (i + 1), dtype=np.int16) for i in range(3)]
    path = write_wavesurfer(tmp_path / "sweeps.h5", sweeps, sample_rate_hz=1000.0, channel_names=["trigger"],
                            timestamps_s=[0.0, 5.0, 20.0], coefficients=[[0.0, 1.0, 0.0, 0.0]])
    recording = open_recording(path)
    series = raw_trace_series_per_segment(recording, "trigger", clock_offset_s=1.0, compression=None)
    assert [s.name for s in series] == ["daq_trigger_sweep0", "daq_trigger_sweep1", "daq_trigger_sweep2"]
    assert [s.starting_time for s in series] == [1.0, 6.0, 21.0]
    nwbfile = new_nwbfile(tms_tables["coil"])
    for one in series:
        nwbfile.add_acquisition(one)
    out = write_nwbfile(nwbfile, tmp_path / "sweeps.nwb")
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        assert [float(read.acquisition[s.name].data[0]) for s in series] == [100.0, 200.0, 300.0]
    single = raw_trace_series_per_segment(open_recording(write_wavesurfer(
        tmp_path / "one.h5", sweeps[:1], sample_rate_hz=1000.0, channel_names=["trigger"])), "trigger")
    assert [s.name for s in single] == ["daq_trigger"]
    recording.close()
