"""One unit test per registered check ID: the check function called on an in-memory object (ndx_tms.testing
mocks, or an in-memory HDF5 file for file-level checks) reports its ID; the clean mock reports no problem.

Adding a check: add its ID to ``CASES`` (``test_every_registered_check_has_a_case`` fails the suite otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import h5py
import numpy as np
import pytest
from ndx_tms.testing import MOCK_DROPPED_PULSE, mock_tms_nwbfile, mock_TMSExperimentMetadata

from nwbtms.validate.context import FileContext, index_tree
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import REGISTERED, load_checks


def _ids(function, obj) -> set[str]:
    """Check IDs reported by the registered ``function`` on ``obj`` (under its guard, as the runner runs it)."""
    registered = next(r for r in load_checks() if r.function is function)
    hits = list(registered.run(obj, chunk_elements=64))
    crashed = [h.message for h in hits if "failed internally" in h.message]
    assert not crashed, crashed
    others = {h.check.id for h in hits} - {registered.check.id}
    if registered.check.id == "inspector.run":  # each NWB Inspector check reports as inspector.<its name>
        others = {i for i in others if not i.startswith("inspector.")}
    assert not others, f"{registered.name} reports IDs other than its own: {others}"
    declared = registered.check.severities
    assert all(h.severity in (None, *declared) for h in hits), [(h.severity, h.message) for h in hits]
    return {h.check.id for h in hits}


def _tms():
    nwbfile = mock_tms_nwbfile()
    return nwbfile, nwbfile.lab_meta_data["tms"]


# --------------------------------------------------------------------------- object checks (steps 6, 8)
def _registered(check_id: str):
    """The function registered for ``check_id``."""
    return next(r.function for r in load_checks() if r.check.id == check_id)


def _pulses(check_id: str, column: str, row, value) -> set[str]:
    nwbfile, _metadata = _tms()
    pulses = nwbfile.events["tms_pulses"]  # ndx-tms 0.2: pulses in /events
    pulses[column].data[row] = value
    return _ids(_registered(check_id), pulses)


def _metadata(function_name: str, edit: Callable | None = None, **mock) -> set[str]:
    from nwbtms.validate.checks import completeness, protocols, targets

    functions = {f: getattr(m, f) for m in (completeness, protocols, targets) for f in dir(m) if f.startswith("check_")}
    if mock:
        metadata = mock_TMSExperimentMetadata(**mock)
    else:
        _nwbfile, metadata = _tms()
    if edit is not None:
        edit(metadata)
    return _ids(functions[function_name], metadata)


def _set(table: str, column: str, row: int, value) -> Callable:
    def edit(metadata):
        from nwbtms.validate.context import as_tms_view

        getattr(as_tms_view(metadata), table)[column].data[row] = value  # sessions in /intervals (0.2)
    return edit


def _unrecord_discrepancies(metadata):
    for column in ("num_missing", "num_matched", "num_delivered"):
        data = metadata.reconciliation[column].data
        data[MOCK_DROPPED_PULSE[0]] = data[0]


def _left_handed_target(metadata):
    pose = metadata.targets["coil_pose"].data[0]
    pose[:3, 0] *= -1


def _short_mask() -> set[str]:
    from nwbtms.validate.checks.imaging import check_artifact_masks

    nwbfile, _metadata = _tms()
    mask = nwbfile.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"]
    mask.fields["mask"] = np.zeros(3, dtype=bool)
    return _ids(check_artifact_masks, nwbfile)


def _bad_cell_type() -> set[str]:
    from nwbtms.validate.checks.cell_types import check_cell_types

    nwbfile, metadata = _tms()
    metadata.cell_types["cell_ontology_id"].data[1] = "CL:123"
    return _ids(check_cell_types, nwbfile)


def _object(function_name: str, find: Callable, edit: Callable) -> set[str]:
    """``function_name`` of the step-6 modules on the object ``find(nwbfile)`` of the mock file after ``edit``."""
    from nwbtms.validate.checks import clocks, frames, regions, rows

    functions = {f: getattr(m, f) for m in (clocks, frames, regions, rows) for f in dir(m) if f.startswith("check_")}
    nwbfile, _metadata = _tms()
    obj = find(nwbfile)
    edit(obj)
    return _ids(functions[function_name], obj)


def _tms_table(name: str) -> Callable:
    from ndx_tms import find_tms_tables

    return lambda nwbfile: find_tms_tables(nwbfile).get(name) or getattr(nwbfile.lab_meta_data["tms"], name)


def _column(column: str, row, value) -> Callable:
    def edit(table):
        table[column].data[row] = value
    return edit


def _timing_count_zero(protocols):
    protocols["timing_count"].target.data[0] = 0


def _overlap(sessions):
    sessions["start_time"].data[1] = sessions["start_time"].data[0] + 1.0


def _flip_mask(mask):
    mask.mask[:] = ~np.asarray(mask.mask)


def _bad_imaging_rate() -> set[str]:
    from pynwb.testing.mock.ophys import mock_ImagingPlane

    from nwbtms.validate.checks.frames import check_imaging_rate

    return _ids(check_imaging_rate, mock_ImagingPlane(imaging_rate=-30.0))


def _bad_clock_alignment() -> set[str]:
    from ndx_tms.testing import mock_TMSClockAlignment

    from nwbtms.validate.checks.clocks import check_clock_alignment

    return _ids(check_clock_alignment, mock_TMSClockAlignment(rms_residual_in_s=1.0))


def _no_devices(function_name: str) -> set[str]:
    from pynwb.testing.mock.file import mock_NWBFile

    from nwbtms.validate.checks import completeness

    return _ids(getattr(completeness, function_name), mock_NWBFile())


def _rois_without_cell_types() -> set[str]:
    from pynwb.testing.mock.file import mock_NWBFile
    from pynwb.testing.mock.ophys import mock_PlaneSegmentation

    from nwbtms.validate.checks.completeness import check_roi_cell_types

    nwbfile = mock_NWBFile()
    mock_PlaneSegmentation(nwbfile=nwbfile)
    return _ids(check_roi_cell_types, nwbfile)


def _ligand_without_effector() -> set[str]:
    from pynwb.event import EventsTable
    from pynwb.testing.mock.file import mock_NWBFile

    from nwbtms.validate.checks.design import check_ligand_has_effector

    nwbfile = mock_NWBFile()
    table = EventsTable(name="manipulations", description="Manipulations.")
    table.add_column(name="substance", description="Substance.")
    table.add_column(name="manipulation_type", description="Kind.")
    table.add_row(timestamp=0.0, substance="deschloroclozapine (DCZ)",
                  manipulation_type="chemogenetic_ligand_injection")
    nwbfile.add_events_table(table)
    return _ids(check_ligand_has_effector, nwbfile)


def _photometry(*, cell_type: str = "IT", rows=(0,), mask: bool = True):
    """A mock TMS file with one fiber (one row) and its 470 nm signal over the first pulses, in memory; ``rows``
    the series' region, ``mask`` whether its artifact mask is added."""
    from ndx_fiber_photometry import FiberPhotometryResponseSeries
    from ndx_tms import TMSArtifactMask

    from nwbtms.imaging.artifacts import artifact_mask
    from nwbtms.nwb.entries import FiberEntry, IndicatorEntry, PhotometryChannelEntry, PhotometryEntries
    from nwbtms.nwb.photometry import build_fiber_photometry

    nwbfile, _metadata = _tms()
    entries = PhotometryEntries(indicators=(IndicatorEntry(key="gcamp8m", label="GCaMP8m"),), fibers=(
        FiberEntry(key="mos", location="MOs", indicator="gcamp8m", cell_type=cell_type,
                   channels=(PhotometryChannelEntry("analog_1", 470.0, 525.0),)),))
    meta, _ = build_fiber_photometry(entries, nwbfile)
    table = meta.fiber_photometry_table
    region = table.create_fiber_photometry_table_region(region=[0], description="fiber")
    region.data[:] = list(rows)  # hdmf refuses a wrong row at construction
    series = FiberPhotometryResponseSeries(name="photometry_mos_470nm", description="signal", unit="volts",
                                           data=np.ones(1300), rate=130.0, starting_time=55.0,
                                           fiber_photometry_table_region=region)
    nwbfile.add_acquisition(series)
    if mask:
        pulses = nwbfile.events["tms_pulses"]
        times = 55.0 + np.arange(1300) / 130.0
        values = artifact_mask(times, 1 / 130.0, np.asarray(pulses["timestamp"].data), (-0.001, 0.025))
        nwbfile.processing["ophys"].add(TMSArtifactMask(
            name="photometry_mos_470nm_tms_artifact_mask", mask=values, artifact_window_in_s=[-0.001, 0.025],
            frame_duration_in_s=1 / 130.0, series=series, pulses=pulses, method="test"))
    return nwbfile, table, series


def _photometry_ids(function_name: str, **kwargs) -> set[str]:
    from nwbtms.validate.checks import photometry

    nwbfile, table, series = _photometry(**kwargs)
    target = {"check_series_rows": series, "check_fiber_cell_type": table, "check_artifact_masked": nwbfile}
    return _ids(getattr(photometry, function_name), target[function_name])


def test_photometry_checks_pass_a_clean_file():
    for name in ("check_series_rows", "check_fiber_cell_type", "check_artifact_masked"):
        assert _photometry_ids(name) == set(), name


def test_a_mask_missing_a_pulse_is_found():
    from nwbtms.validate.checks.photometry import check_artifact_masked

    nwbfile, _table, series = _photometry()
    mask = nwbfile.processing["ophys"]["photometry_mos_470nm_tms_artifact_mask"]
    mask.fields["mask"] = np.zeros(1300, dtype=bool)
    assert _ids(check_artifact_masked, nwbfile) == {"data.photometry.artifact_masked"}


# --------------------------------------------------------------------------- file-level checks (steps 2-5, 7)
def _h5_context(build: Callable[[h5py.File], None], name: str = "memory.nwb") -> FileContext:
    """A FileContext over an in-memory HDF5 file (h5py core driver, nothing written to disk)."""
    h5 = h5py.File(f"in-memory-{id(build)}.h5", "w", driver="core", backing_store=False)
    build(h5)
    return FileContext(path=name, h5=h5, tree=index_tree(h5))


def _subject(**fields) -> Callable[[h5py.File], None]:
    def build(h5):
        values = dict(subject_id="M001", species="Mus musculus", sex="M", age="P84D")
        values.update(fields)
        group = h5.create_group("general/subject")
        for key, value in values.items():
            if value is not None:
                group.create_dataset(key, data=value)
    return build


def _dandi(function_name: str, build: Callable, name: str = "memory.nwb") -> set[str]:
    from nwbtms.validate.checks import dandi

    return _ids(getattr(dandi, function_name), _h5_context(build, name))


def _typed(h5: h5py.File, path: str, neurodata_type: str, namespace: str = "core") -> h5py.Group:
    group = h5.require_group(path)
    group.attrs["neurodata_type"] = neurodata_type
    group.attrs["namespace"] = namespace
    return group


def _spec(h5: h5py.File, name: str, version: str = "0.1.0") -> None:
    group = h5.create_group(f"specifications/{name}/{version}")
    namespace = {"namespaces": [{"name": name, "version": version, "schema": [{"namespace": "core"}]}]}
    group.create_dataset("namespace", data=json.dumps(namespace))


def _namespaces(function_name: str, build: Callable) -> set[str]:
    from nwbtms.validate.checks import namespaces

    return _ids(getattr(namespaces, function_name), _h5_context(build))


def _series(check_id: str, timestamps) -> set[str]:
    def build(h5):
        _typed(h5, "acquisition/speed", "TimeSeries").create_dataset("timestamps", data=np.asarray(timestamps))
    return _ids(_registered(check_id), _h5_context(build))


def _milliseconds() -> set[str]:
    from nwbtms.validate.checks.units import check_time_units

    def build(h5):
        _typed(h5, "acquisition/speed", "TimeSeries").create_dataset("timestamps", data=_SERIES * 1000)
        h5["acquisition/speed/timestamps"].attrs["unit"] = "milliseconds"
    return _ids(check_time_units, _h5_context(build))


def _intervals() -> set[str]:
    from nwbtms.validate.checks.arrays import check_intervals_stop_after_start

    def build(h5):
        group = _typed(h5, "intervals/epochs", "TimeIntervals")
        group.create_dataset("start_time", data=[0.0, 5.0, 10.0])
        group.create_dataset("stop_time", data=[4.0, 1.0, 12.0])
    return _ids(check_intervals_stop_after_start, _h5_context(build))


def _inspector_crash() -> set[str]:
    from nwbtms.validate.checks.inspector import check_inspector

    ctx = FileContext(path="memory.nwb", nwbfile=object())  # NWB Inspector cannot inspect this
    return _ids(check_inspector, ctx)


def _inspector_check_crashes() -> set[str]:
    """An NWB Inspector check that raises on a valid object: the inspector's error, noted (never blocking)."""
    from hdmf.common import DynamicTable
    from nwbinspector import Importance, register_check
    from nwbinspector._registration import available_checks
    from pynwb.testing.mock.file import mock_NWBFile

    from nwbtms.validate.checks import inspector

    @register_check(importance=Importance.CRITICAL, neurodata_type=DynamicTable)
    def check_always_crashes(table):
        raise RuntimeError("upstream bug")

    available_checks.remove(check_always_crashes)  # registered for this case only

    nwbfile = mock_NWBFile()
    nwbfile.add_acquisition(DynamicTable(name="extra", description="a table"))
    original = inspector.base_checks
    inspector.base_checks = lambda skip=frozenset(): (inspector._guarded(check_always_crashes),)
    try:
        return _ids(inspector.check_inspector_crashes, FileContext(path="memory.nwb", nwbfile=nwbfile))
    finally:
        inspector.base_checks = original


_SERIES = np.arange(100) * 0.01


#: check ID -> a function returning the IDs its registered check reports on a broken in-memory object
CASES: dict[str, Callable[[], set[str]]] = {
    "nwb.namespaces.uncached": lambda: _namespaces(
        "check_namespaces_cached", lambda h5: _typed(h5, "acquisition/x", "Thing", "ndx-other")),
    "nwb.namespaces.unused": lambda: _namespaces("check_namespaces_used", lambda h5: _spec(h5, "ndx-unused")),
    "nwb.namespaces.ndx_tms_version": lambda: _namespaces(
        "check_ndx_tms_version",
        lambda h5: (_spec(h5, "ndx-tms"), _typed(h5, "general/tms", "TMSExperimentMetadata", "ndx-tms"))),
    "inspector.run": _inspector_crash,
    "inspector.crashed": _inspector_check_crashes,
    "dandi.subject": lambda: _dandi("check_subject", lambda h5: None),
    "dandi.subject_id": lambda: _dandi("check_subject_id", _subject(subject_id="M/001")),
    "dandi.species": lambda: _dandi("check_species", _subject(species="Peromyscus maniculatus")),
    "dandi.sex": lambda: _dandi("check_sex", _subject(sex="male")),
    "dandi.age": lambda: _dandi("check_age", _subject(age="84 days")),
    "dandi.session_start_time": lambda: _dandi(
        "check_session_start_time", lambda h5: h5.create_dataset("session_start_time", data="2026-03-02T09:30:00")),
    "dandi.session_id": lambda: _dandi(
        "check_session_id", lambda h5: h5.create_dataset("general/session_id", data="day/1")),
    "dandi.external_links": lambda: _dandi(
        "check_external_links", lambda h5: h5.__setitem__("acquisition", h5py.ExternalLink("other.nwb", "/x"))),
    "dandi.file_name": lambda: _dandi("check_file_name", _subject(), name="sub-M002/sub-M002_ses-1.nwb"),
    "tms.pulses.finite": lambda: _pulses("tms.pulses.finite", "timestamp", 100, np.nan),
    "tms.pulses.ascending": lambda: _pulses("tms.pulses.ascending", "timestamp", 100, 1.0),
    "tms.pulses.in_session": lambda: _pulses("tms.pulses.in_session", "timestamp", 0, -1.0),
    "tms.pulses.intensity_range": lambda: _pulses("tms.pulses.intensity_range", "intensity_in_percent_mso", 5, 150.0),
    "tms.pulses.intensity_protocol": lambda: _pulses(
        "tms.pulses.intensity_protocol", "intensity_in_percent_mso", 5, 60.0),
    "tms.pulses.references": lambda: _pulses("tms.pulses.references", "protocol", 7, 9),
    "tms.pulses.artifact_window": lambda: _pulses(
        "tms.pulses.artifact_window", "artifact_window_in_s", 4, (0.02, -0.001)),
    "tms.protocols.intensity_consistent": lambda: _metadata(
        "check_protocols", _set("protocols", "intensity_in_percent_mso", 0, 60.0)),
    "tms.thresholds.present": lambda: _metadata("check_thresholds_present", _set("protocols", "threshold", 1, 5)),
    "tms.sessions.num_pulses": lambda: _metadata("check_session_counts", _set("sessions", "num_pulses", 1, 500)),
    "tms.reconciliation.counts": lambda: _metadata(
        "check_reconciliation_counts", _set("reconciliation", "num_delivered", 0, 7)),
    "tms.protocols.reconciled": lambda: _metadata("check_reconciled", _unrecord_discrepancies),
    "tms.protocols.reconciled_note": lambda: _metadata("check_reconciled_notes"),  # the mock records its drop
    "tms.poses.valid": lambda: _metadata("check_poses", _left_handed_target),
    "tms.coordinates.space_declared": lambda: _metadata("check_coordinate_spaces", tms_coordinate_spaces=[]),
    "tms.imaging.artifact_mask": _short_mask,
    "tms.cell_types.terms": _bad_cell_type,
    "tms.protocols.levels": lambda: _object("check_protocol_levels", _tms_table("protocols"), _timing_count_zero),
    "tms.thresholds.range": lambda: _object(
        "check_threshold_range", _tms_table("thresholds"), _column("value_in_percent_mso", 0, 150.0)),
    "tms.sessions.overlap": lambda: _object("check_session_overlap", _tms_table("sessions"), _overlap),
    "tms.regions.target": lambda: _object("check_region_columns", _tms_table("sessions"), _column("protocol", 0, 9)),
    "tms.imaging.artifact_mask_values": lambda: _object(
        "check_artifact_mask_values", lambda f: f.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"],
        _flip_mask),
    "tms.imaging.rate": _bad_imaging_rate,
    "tms.clock_alignment.consistent": _bad_clock_alignment,
    "data.timestamps.finite": lambda: _series(
        "data.timestamps.finite", np.where(np.arange(100) == 50, np.nan, _SERIES)),
    "data.timestamps.ascending": lambda: _series(
        "data.timestamps.ascending", np.where(np.arange(100) == 50, 0.0, _SERIES)),
    "data.timestamps.regular": lambda: _series("data.timestamps.regular", _SERIES),
    "data.intervals.stop_after_start": _intervals,
    "data.time_unit": _milliseconds,
    "report.stimulator_model": lambda: _no_devices("check_stimulator"),
    "report.coil_model": lambda: _no_devices("check_coil"),
    "report.waveform": lambda: _metadata("check_protocol_waveform", _set("protocols", "waveform", 0, "")),
    "report.pulse_width": lambda: _metadata(
        "check_protocol_pulse_width", _set("protocols", "pulse_width_in_us", 0, np.nan)),
    "report.current_direction": lambda: _metadata(
        "check_protocol_current_direction", _set("protocols", "coil_current_direction", 0, "")),
    "report.intensity": lambda: _metadata("check_protocol_intensity", _set("protocols", "intensity_reference", 0, "")),
    "report.threshold": lambda: _metadata("check_protocol_threshold", _set("thresholds", "method", 0, "")),
    "report.sham_description": lambda: _metadata("check_sham_description", sham_description=""),
    "report.protocol_timing": lambda: _metadata("check_protocol_timing", lambda m: m.fields.pop("protocols")),
    "report.target": lambda: _metadata("check_target_items", _set("targets", "atlas_term", 0, "")),
    "report.cell_types_on_rois": _rois_without_cell_types,
    "data.design.ligand_has_effector": _ligand_without_effector,
    "data.photometry.series_rows": lambda: _photometry_ids("check_series_rows", rows=(0, 3)),
    "data.photometry.fiber_cell_type": lambda: _photometry_ids("check_fiber_cell_type", cell_type=""),
    "data.photometry.artifact_masked": lambda: _photometry_ids("check_artifact_masked", mask=False),
}


def test_every_registered_check_has_a_case():
    """A check registered without a unit case here fails the suite."""
    registered = {r.check.id for r in load_checks()}
    assert sorted(registered - set(CASES)) == [], "add a case to CASES for each new check ID"
    assert sorted(set(CASES) - registered) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_reports_its_id(check_id):
    assert check_id in CASES[check_id]()


def test_the_complete_mock_has_no_problem():
    """The clean mock file: no object check reports anything but its INFO notes."""
    from nwbtms.validate.runner import _objects_by_type

    nwbfile, _metadata = _tms()
    by_type = _objects_by_type(nwbfile)
    for registered in load_checks():
        if registered.neurodata_type is None:
            continue
        for obj in by_type.get(registered.neurodata_type, ()):
            hits = [h for h in registered.run(obj) if (h.severity or h.check.severity) > Severity.INFO]
            assert hits == [], (registered.name, [h.message for h in hits])


def test_every_registered_function_owns_one_id():
    """One function per ID and one ID per function: a crash can only be reported under its own ID."""
    from nwbtms.validate.registry import CHECKS, define, register_check

    ids = [r.check.id for r in load_checks()]
    assert len(ids) == len(set(ids))
    first, second = (define(f"test.one_id.{n}", Severity.INFO, 6, "test", "test") for n in ("a", "b"))
    try:
        with pytest.raises(ValueError, match="one check function reports one ID"):
            register_check(first, second, neurodata_type=None)(lambda ctx: iter(()))
    finally:
        del CHECKS[first.id], CHECKS[second.id]


def _without_crash_id(findings, check_id: str) -> set[tuple]:
    return {(f.check_id, f.location, f.index, f.message) for f in findings if f.check_id != check_id}


def test_a_crash_is_reported_under_the_functions_own_id_and_skips_nothing_else(complete_nwb, make_copy, tmp_path):
    """A check function that raises, in the middle of the pulses' shared pass: one ERROR finding of its own
    ID naming the function; every other check (those sharing its pass among them) reports what it reports
    without the crash."""
    from nwbtms.validate.runner import RunOptions, validate_file

    def nan_time(h5):
        h5["events/tms_pulses/timestamp"][3] = np.nan
        h5["events/tms_pulses/intensity_in_percent_mso"][2] = 500.0

    broken = make_copy(complete_nwb, tmp_path / "broken.nwb", nan_time)
    options = RunOptions(concurrent_schema=False)
    baseline = validate_file(str(broken), options).findings
    assert {"tms.pulses.finite", "tms.pulses.intensity_range"} <= {f.check_id for f in baseline}

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    i = next(i for i, r in enumerate(REGISTERED) if r.check.id == "tms.pulses.intensity_range")
    original = REGISTERED[i]
    REGISTERED[i] = replace(original, function=explode)
    try:
        findings = validate_file(str(broken), options).findings
    finally:
        REGISTERED[i] = original
    (crash,) = [f for f in findings if "failed internally" in f.message]
    assert crash.check_id == "tms.pulses.intensity_range" and crash.severity == Severity.ERROR
    assert "check explode failed internally: RuntimeError: boom" in crash.message
    assert _without_crash_id(findings, crash.check_id) == _without_crash_id(baseline, crash.check_id)


def test_a_crash_inside_a_shared_pass_fails_only_its_part(monkeypatch):
    """A part of the pulses' one pass that raises (the stimulator's maximum output cannot be read) is reported
    under its own ID, where it failed; the checks sharing the pass still find their problems."""
    from nwbtms.validate.checks import pulses as pulse_checks

    def unreadable(_coils):
        raise OSError("cannot read the stimulator model")

    monkeypatch.setattr(pulse_checks, "_maximum_output", unreadable)
    nwbfile, _metadata = _tms()
    table = nwbfile.events["tms_pulses"]
    table["timestamp"].data[10] = np.nan
    table["protocol"].data[7] = 9
    hits = {r.check.id: list(r.run(table, chunk_elements=64)) for r in load_checks()
            if r.check.id.startswith("tms.pulses.")}
    (crash,) = hits.pop("tms.pulses.intensity_range")
    assert crash.severity == Severity.ERROR
    assert "check_pulse_intensity_range failed internally: OSError: cannot read the stimulator model" in crash.message
    assert "test_checks.py" in crash.message  # where it failed, not where the part was handed out
    assert not [h.message for found in hits.values() for h in found if "failed internally" in h.message]
    assert hits["tms.pulses.finite"] and hits["tms.pulses.references"]


def test_a_shared_pass_is_computed_once_per_object():
    """The seven pulse checks read the table once; a check run again on the object reads it afresh."""
    from nwbtms.validate.checks import pulses as pulse_checks

    nwbfile, _metadata = _tms()
    table = nwbfile.events["tms_pulses"]
    calls = []
    original = pulse_checks.pulse_pass.function
    pulse_checks.pulse_pass.function = lambda *a, **k: (calls.append(1), original(*a, **k))[1]
    try:
        pulse_functions = [r for r in load_checks() if r.check.id.startswith("tms.pulses.")]
        for registered in pulse_functions:
            list(registered.run(table))
        assert len(calls) == 1
        table["timestamp"].data[10] = np.nan
        assert [h.check.id for h in pulse_functions[0].run(table)] == ["tms.pulses.finite"]
        assert len(calls) == 2
    finally:
        pulse_checks.pulse_pass.function = original
