"""Each check of an ndx-tms object on its own terms, called on an in-memory object (ndx_tms.testing mocks, or an
in-memory HDF5 file for the checks that read the HDF5 tree): silent on the mock, reporting its ID on the broken
copy."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from ndx_tms.testing import (
    mock_CellTypesTable,
    mock_tms_nwbfile,
    mock_TMSClockAlignment,
    mock_TMSProtocolsTable,
    mock_TMSPulsesTable,
    mock_TMSSessionsTable,
    mock_TMSTargetsTable,
    mock_TMSThresholdsTable,
)

from nwbtms.validate.checks import arrays, cell_types, clocks, frames, imaging, regions, rows, units
from nwbtms.validate.checks._format import plain
from nwbtms.validate.context import FileContext, index_tree


def ids(hits) -> list[str]:
    return [h.check.id for h in hits]


def test_plain_numbers():
    assert [plain(np.float64(250.0)), plain(np.int64(3)), plain(np.array(2.5)), plain(0.1)] == \
        ["250.0", "3", "2.5", "0.1"]


@pytest.mark.parametrize(("position", "value", "problem"), [(4, 0, "timing_count is 0"),
                                                            (3, 2.5, "timing_count is 2.5")])
def test_protocol_level_counts(position, value, problem):
    protocols = mock_TMSProtocolsTable()
    assert list(rows.check_protocol_levels(protocols)) == []
    protocols["timing_count"].target.data[position] = value  # row 1, which nothing refers to
    (hit,) = rows.check_protocol_levels(protocols)
    assert hit.check is rows.TMS_PROTOCOL_LEVELS and hit.index == 1 and problem in hit.message


@pytest.mark.parametrize("value", [-10.0, float("nan")])
def test_protocol_level_intervals(value):
    protocols = mock_TMSProtocolsTable()
    protocols["timing_interval_in_s"].target.data[5] = value
    (hit,) = rows.check_protocol_levels(protocols)
    assert hit.index == 1 and "timing_interval_in_s" in hit.message


def test_protocol_level_interval_zero_only_for_a_single_unit():
    protocols = mock_TMSProtocolsTable()
    protocols["timing_interval_in_s"].target.data[3] = 0.0  # 3 pulses every 0 s: impossible
    (hit,) = rows.check_protocol_levels(protocols)
    assert "repeats 3 times" in hit.message
    protocols["timing_count"].target.data[3] = 1  # one pulse: its interval may be 0 (the protocol model's rule)
    assert list(rows.check_protocol_levels(protocols)) == []


def test_protocol_ragged_index_past_its_data():
    protocols = mock_TMSProtocolsTable()
    protocols["timing_count"].data[1] = 9
    hits = list(rows.check_protocol_levels(protocols))
    assert ids(hits) == ["tms.protocols.levels"] and hits[0].location.endswith("timing_count_index")
    assert "3..9 of timing_count, which has 6 values" in hits[0].message


@pytest.mark.parametrize("value", [150.0, 0.0, -5.0])
def test_threshold_range(value):
    thresholds = mock_TMSThresholdsTable()
    assert list(rows.check_threshold_range(thresholds)) == []
    thresholds["value_in_percent_mso"].data[0] = value
    (hit,) = rows.check_threshold_range(thresholds)
    assert hit.check is rows.TMS_THRESHOLD_RANGE and f"{value} %MSO" in hit.message
    thresholds["value_in_percent_mso"].data[0] = float("nan")  # not measured
    assert list(rows.check_threshold_range(thresholds)) == []


def test_region_column_through_its_declared_table():
    protocols, targets = mock_TMSProtocolsTable(), mock_TMSTargetsTable()
    assert list(regions.check_region_columns(mock_TMSPulsesTable(protocols=protocols, targets=targets))) == []
    wired = mock_TMSPulsesTable(protocols=targets, targets=targets)  # rows 0 exist in both tables
    (hit,) = regions.check_region_columns(wired)
    assert hit.check is regions.TMS_REGION_TARGET and "not a TMSProtocolsTable" in hit.message


def test_region_rows_of_a_sessions_table():
    sessions = mock_TMSSessionsTable()
    sessions["protocol"].data[1] = 7
    (hit,) = regions.check_region_columns(sessions)
    assert hit.index == 1 and "row 7 of 'protocols', which has 2 rows" in hit.message


def test_sessions_of_one_coil_overlap():
    sessions = mock_TMSSessionsTable()
    assert list(rows.check_session_overlap(sessions)) == []
    sessions["stop_time"].data[0] = sessions["start_time"].data[1] + 40.0
    (hit,) = rows.check_session_overlap(sessions)
    assert hit.check is rows.TMS_SESSIONS_OVERLAP and hit.index == 1


def _mask_and_pulses():
    nwbfile = mock_tms_nwbfile()
    mask = nwbfile.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"]
    return mask, nwbfile.events["tms_pulses"]


def test_artifact_mask_recomputed_both_ways():
    mask, pulses = _mask_and_pulses()
    assert list(frames.check_artifact_mask_values(mask)) == []
    values = np.asarray(mask.mask)
    stimulated = int(values.sum())
    values[:] = False
    (clean,) = frames.check_artifact_mask_values(mask)
    assert clean.count == stimulated and "says clean" in clean.message
    values[3] = True
    found = {h.message.split(" frame(s)")[0]: h for h in frames.check_artifact_mask_values(mask)}
    assert found["1"].index == 3 and "marked as artifact" in found["1"].message


def test_artifact_mask_checks_survive_a_series_without_timestamps():
    from pynwb.ophys import TwoPhotonSeries

    nwbfile = mock_tms_nwbfile()
    mask = nwbfile.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"]
    series = nwbfile.acquisition["TwoPhotonSeries"]
    empty = TwoPhotonSeries(name="empty", imaging_plane=series.imaging_plane, data=series.data, unit="n.a.",
                            timestamps=np.arange(series.data.shape[0]) / 30.0)
    empty.fields["timestamps"] = np.empty(0)  # as read from a file whose timestamps dataset is empty
    mask.fields["series"] = empty
    assert list(frames.check_artifact_mask_values(mask)) == []
    hits = list(imaging.check_artifact_masks(nwbfile))
    assert any("has 0 frames" in h.message for h in hits)  # (and the original series lost its mask)


def test_imaging_rate():
    nwbfile = mock_tms_nwbfile()
    plane = nwbfile.imaging_planes["imaging_plane"]
    assert list(frames.check_imaging_rate(plane)) == []
    plane.fields["imaging_rate"] = 0.0
    (hit,) = frames.check_imaging_rate(plane)
    assert hit.check is frames.TMS_IMAGING_RATE and hit.location == "/general/optophysiology/imaging_plane"


def test_clock_alignment_consistent():
    alignment = mock_TMSClockAlignment()
    assert list(clocks.check_clock_alignment(alignment)) == []
    alignment.fields["residual_in_s"] = alignment.residual_in_s[:49]
    hits = list(clocks.check_clock_alignment(alignment))
    assert any("49 residual(s) for 50 shared event(s)" in h.message for h in hits)
    alignment = mock_TMSClockAlignment(rms_residual_in_s=1e-3)
    (hit,) = clocks.check_clock_alignment(alignment)
    assert "RMS" in hit.message


def test_cell_ontology_id_matched_in_full():
    table = mock_CellTypesTable()
    assert list(cell_types.check_cell_type_terms(table)) == []
    table["cell_ontology_id"].data[1] = "CL:4023041\n"
    (hit,) = cell_types.check_cell_type_terms(table)
    assert hit.index == 1


def _h5_context(build) -> FileContext:
    h5 = h5py.File("in-memory.nwb", "w", driver="core", backing_store=False)
    build(h5)
    ctx = FileContext(path="in-memory.nwb", h5=h5)
    ctx.tree = index_tree(h5)
    return ctx


def _events(h5, times, unit="seconds"):
    group = h5.create_group("events/licks")
    group.attrs.update(neurodata_type="EventsTable", namespace="core")
    column = group.create_dataset("timestamp", data=np.asarray(times, dtype=float))
    column.attrs.update(neurodata_type="TimestampVectorData", namespace="core", unit=unit)


def test_time_unit_declared_in_the_file():
    assert list(units.check_time_units(_h5_context(lambda h5: _events(h5, [1.0, 2.0])))) == []
    (hit,) = units.check_time_units(_h5_context(lambda h5: _events(h5, [1.0, 2.0], unit="milliseconds")))
    assert hit.check is units.DATA_TIME_UNIT and hit.location == "/events/licks/timestamp"
    assert units.seconds_per_unit("ms") == 1e-3 and units.seconds_per_unit(None) == 1.0


def test_events_timestamps_finite_and_ordered():
    times = np.cumsum(np.full(3000, 0.1))
    times[2500] = np.nan
    times[2700] = times[2699] - 1.0
    ctx = _h5_context(lambda h5: _events(h5, times))
    found = {h.check.id: h for check in (arrays.check_timestamps_finite, arrays.check_timestamps_ascending,
                                         arrays.check_timestamps_regular) for h in check(ctx)}
    assert found["data.timestamps.finite"].index == 2500
    assert found["data.timestamps.ascending"].index == 2700
    assert "data.timestamps.regular" not in found  # events are not samples of a series
