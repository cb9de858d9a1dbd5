"""Broken-file corpus: each file has one planted problem deep in its arrays or tables; validating the corpus
(in parallel) must name each problem's check and location, exit 1, and never raise."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from nwbtms.validate import Severity, validate_paths
from tests.validate.corpus_tools import set_text

pytestmark = pytest.mark.slow

PULSES = "events/tms_pulses"


def _timestamp_back(h5):
    ts = h5[f"{PULSES}/timestamp"]
    ts[1500] = ts[1499] - 0.5


def _intensity(h5):
    h5[f"{PULSES}/intensity_in_percent_mso"][1600] = 150.0


def _protocol_ref(h5):
    h5[f"{PULSES}/protocol"][1700] = 7


def _coil_ref(h5):
    h5[f"{PULSES}/coil"][1750] = 9


def _coil_device(h5):
    path = "general/tms/coils/device"
    refs = np.array(list(h5[path][:]), dtype=object)
    refs[0] = h5["general/devices/stimulator"].ref
    attrs = dict(h5[path].attrs)
    del h5[path]
    h5.create_dataset(path, data=refs, dtype=h5py.ref_dtype)
    h5[path].attrs.update(attrs)


def _series_nan(h5):
    h5["acquisition/running_speed/timestamps"][4000] = np.nan


def _series_back(h5):
    ts = h5["acquisition/running_speed/timestamps"]
    ts[4200] = ts[4199] - 1.0


def _epoch_stop(h5):
    h5["intervals/epochs/stop_time"][17] = 1.0


def _pose(h5):
    pose = h5["general/tms/targets/coil_pose"][0]
    pose[:3, 0] *= -1  # mirror one axis: left-handed
    h5["general/tms/targets/coil_pose"][0] = pose


def _species(h5):
    set_text(h5, "general/subject/species", "Peromyscus maniculatus")


def _sex(h5):
    set_text(h5, "general/subject/sex", "male")


def _age(h5):
    set_text(h5, "general/subject/age", "84 days")


def _subject_id(h5):
    set_text(h5, "general/subject/subject_id", "M/001")


def _naive_start(h5):
    set_text(h5, "session_start_time", "2026-03-02T09:30:00")


def _external_link(h5):
    h5["acquisition/elsewhere"] = h5py.ExternalLink("other.nwb", "/acquisition/x")


def _cell_type(h5):
    ids = [v.decode() for v in h5["general/tms/cell_types/cell_ontology_id"][:]]
    ids[1] = "CL:123"
    attrs = dict(h5["general/tms/cell_types/cell_ontology_id"].attrs)
    del h5["general/tms/cell_types/cell_ontology_id"]
    h5.create_dataset("general/tms/cell_types/cell_ontology_id", data=ids, dtype=h5py.string_dtype())
    h5["general/tms/cell_types/cell_ontology_id"].attrs.update(attrs)


def _no_mask(h5):
    del h5["processing/ophys/TwoPhotonSeries_tms_artifact_mask"]


def _session_count(h5):
    h5["intervals/tms_sessions/num_pulses"][1] = 500


def _protocol_intensity(h5):
    h5["general/tms/protocols/intensity_in_percent_mso"][1] = 60.0


def _unrecorded(h5):
    h5["general/tms/reconciliation/num_missing"][2] = 0


def _sham_description(h5):
    h5["general/tms"].attrs["sham_description"] = ""


def _schema(h5):
    del h5[f"{PULSES}/source"]  # a required column: schema error and objects that cannot be built


def _uncached(h5):
    del h5["specifications/ndx-tms"]


def _pulse_nan(h5):
    h5[f"{PULSES}/timestamp"][1650] = np.nan


def _pulse_outside_session(h5):
    h5[f"{PULSES}/session"][1550] = 0  # a session-2 pulse filed under session 0, 3,600 s too late


def _pulse_off_protocol(h5):
    h5[f"{PULSES}/intensity_in_percent_mso"][1680] = 60.0  # within 0-100 %MSO, but its protocol says 45


def _pulse_target_ref(h5):
    h5[f"{PULSES}/target"][1720] = 9


def _artifact_window(h5):
    h5[f"{PULSES}/artifact_window_in_s"][1620] = (0.02, -0.001)


def _threshold_missing(h5):
    h5["general/tms/protocols/threshold"][1] = 5  # relative intensity pointing at a threshold row that is absent


def _session_id(h5):
    set_text(h5, "general/session_id", "day/1")


def _age_range(h5):
    set_text(h5, "general/subject/age", "P12W/P10W")  # well formed, but the range decreases


def _unused_extension(h5):
    """Cache a small extension namespace that no object uses (pynwb issue 1777)."""
    group = h5.create_group("specifications/ndx-unused/0.1.0")
    namespace = {"namespaces": [{"name": "ndx-unused", "version": "0.1.0", "doc": "unused", "author": ["a"],
                                 "contact": ["a@b.c"], "full_name": "ndx-unused",
                                 "schema": [{"namespace": "core"}, {"source": "ndx-unused.extensions"}]}]}
    extensions = {"groups": [{"neurodata_type_def": "UnusedThing", "neurodata_type_inc": "NWBDataInterface",
                              "doc": "A type no object of the file has."}]}
    group.create_dataset("namespace", data=json.dumps(namespace), dtype=h5py.string_dtype())
    group.create_dataset("ndx-unused.extensions", data=json.dumps(extensions), dtype=h5py.string_dtype())


def _shared_identifier(h5):
    set_text(h5, "identifier", "shared-identifier")


def _replace(h5, path: str, data, **kwargs) -> None:
    """Replace a dataset by ``data``, keeping its attributes."""
    attrs = dict(h5[path].attrs)
    del h5[path]
    h5.create_dataset(path, data=data, **kwargs)
    h5[path].attrs.update(attrs)


PROTOCOLS = "general/tms/protocols"
MASK = "processing/ophys/TwoPhotonSeries_tms_artifact_mask"


def _level_count_zero(h5):
    h5[f"{PROTOCOLS}/timing_count"][4] = 0  # row 1 (the sham, which no pulse or session uses), burst level


def _level_interval_negative(h5):
    h5[f"{PROTOCOLS}/timing_interval_in_s"][5] = -10.0  # row 1, train level


def _level_index_overflow(h5):
    h5[f"{PROTOCOLS}/timing_count_index"][1] = 9  # row 1 ends past the 6 counts


def _threshold_above_100(h5):
    h5["general/tms/thresholds/value_in_percent_mso"][0] = 150.0


def _threshold_zero(h5):
    h5["general/tms/thresholds/value_in_percent_mso"][0] = 0.0


def _region_wrong_table(h5):
    h5[f"{PULSES}/protocol"].attrs["table"] = h5["general/tms/targets"].ref  # rows 0 exist there too


def _session_region(h5):
    h5["intervals/tms_sessions/protocol"][1] = 7


def _reconciliation_region(h5):
    h5["general/tms/reconciliation/session"][1] = 9


def _time_unit(h5):
    h5[f"{PULSES}/timestamp"].attrs["unit"] = "milliseconds"


def _mask_all_clean(h5):
    h5[f"{MASK}/mask"][:] = False  # 26 stimulated frames read as clean


def _mask_extra(h5):
    h5[f"{MASK}/mask"][3] = True  # a frame 0.4 s before the first pulse


def _imaging_rate(h5):
    h5.create_dataset("general/optophysiology/imaging_plane/imaging_rate", data=0.0, dtype="f4")


def _clock_lengths(h5):
    path = "processing/ophys/scanimage_to_daq/residual_in_s"
    _replace(h5, path, h5[path][:49])


def _events_nan(h5):
    h5["events/licks/timestamp"][2500] = np.nan


def _events_back(h5):
    ts = h5["events/licks/timestamp"]
    ts[2600] = ts[2599] - 1.0


def _cell_type_newline(h5):
    ids = [v.decode() for v in h5["general/tms/cell_types/cell_ontology_id"][:]]
    ids[1] += "\n"
    _replace(h5, "general/tms/cell_types/cell_ontology_id", ids, dtype=h5py.string_dtype())


def _series_no_timestamps(h5):
    series = h5["acquisition/TwoPhotonSeries"]
    del series["starting_time"]
    series.create_dataset("timestamps", data=np.empty(0))
    series["timestamps"].attrs.update({"interval": 1, "unit": "seconds"})


def _sessions_overlap(h5):
    h5["intervals/tms_sessions/stop_time"][0] = 1900.0  # session 0 now runs into session 1 (starts 1860 s)


def _regular_timestamps(h5):
    ts = h5["acquisition/running_speed/timestamps"]
    ts[:] = 0.01 * np.arange(ts.shape[0])


#: name -> (plant, check ID expected, location substring expected, index expected or None)
CORPUS = {
    "pulse_time_back": (_timestamp_back, "tms.pulses.ascending", "/events/tms_pulses/timestamp", 1500),
    "pulse_intensity": (_intensity, "tms.pulses.intensity_range", "intensity_in_percent_mso", 1600),
    "pulse_protocol_ref": (_protocol_ref, "tms.pulses.references", "/events/tms_pulses/protocol", 1700),
    "pulse_coil_ref": (_coil_ref, "tms.pulses.references", "/events/tms_pulses/coil", 1750),
    "coil_device": (_coil_device, "tms.pulses.references", "/general/tms/coils/device", 0),
    "series_nan": (_series_nan, "data.timestamps.finite", "/acquisition/running_speed/timestamps", 4000),
    "series_back": (_series_back, "data.timestamps.ascending", "/acquisition/running_speed/timestamps", 4200),
    "epoch_stop": (_epoch_stop, "data.intervals.stop_after_start", "/intervals/epochs/stop_time", 17),
    "pose": (_pose, "tms.poses.valid", "/general/tms/targets/coil_pose", 0),
    "species": (_species, "dandi.species", "/general/subject/species", None),
    "sex": (_sex, "dandi.sex", "/general/subject/sex", None),
    "age": (_age, "dandi.age", "/general/subject/age", None),
    "subject_id": (_subject_id, "dandi.subject_id", "/general/subject/subject_id", None),
    "naive_start": (_naive_start, "dandi.session_start_time", "/session_start_time", None),
    "external_link": (_external_link, "dandi.external_links", "/acquisition/elsewhere", None),
    "cell_type": (_cell_type, "tms.cell_types.terms", "cell_ontology_id", 1),
    "no_mask": (_no_mask, "tms.imaging.artifact_mask", "TwoPhotonSeries", None),
    "session_count": (_session_count, "tms.sessions.num_pulses", "/intervals/tms_sessions/num_pulses", 1),
    "protocol_intensity": (_protocol_intensity, "tms.protocols.intensity_consistent", "protocols", 1),
    "unrecorded": (_unrecorded, "tms.reconciliation.counts", "/general/tms/reconciliation", 2),
    "sham_description": (_sham_description, "report.sham_description", "/general/tms", None),
    "schema": (_schema, "nwb.schema", "pulses", None),
    "uncached": (_uncached, "nwb.namespaces.uncached", "/specifications", None),
    "pulse_nan": (_pulse_nan, "tms.pulses.finite", "/events/tms_pulses/timestamp", 1650),
    "pulse_outside_session": (_pulse_outside_session, "tms.pulses.in_session", "/events/tms_pulses/timestamp",
                              1550),
    "pulse_off_protocol": (_pulse_off_protocol, "tms.pulses.intensity_protocol",
                           "/events/tms_pulses/intensity_in_percent_mso", 1680),
    "pulse_target_ref": (_pulse_target_ref, "tms.pulses.references", "/events/tms_pulses/target", 1720),
    "artifact_window": (_artifact_window, "tms.pulses.artifact_window", "/events/tms_pulses/artifact_window_in_s",
                        1620),
    "threshold_missing": (_threshold_missing, "tms.thresholds.present", "/general/tms/protocols/threshold", 1),
    "session_id": (_session_id, "dandi.session_id", "/general/session_id", None),
    "age_range": (_age_range, "inspector.check_subject_proper_age_range", "/general/subject", None),
    "shared_identifier_a": (_shared_identifier, "dandi.identifier_unique", "/identifier", None),
    "shared_identifier_b": (_shared_identifier, "dandi.identifier_unique", "/identifier", None),
    "file_name": (None, "dandi.file_name", "/", None),
    "level_count_zero": (_level_count_zero, "tms.protocols.levels", "/general/tms/protocols/timing_count", 1),
    "level_interval_negative": (_level_interval_negative, "tms.protocols.levels",
                                "/general/tms/protocols/timing_interval_in_s", 1),
    "level_index_overflow": (_level_index_overflow, "tms.protocols.levels",
                             "/general/tms/protocols/timing_count_index", 1),
    "threshold_above_100": (_threshold_above_100, "tms.thresholds.range",
                            "/general/tms/thresholds/value_in_percent_mso", 0),
    "threshold_zero": (_threshold_zero, "tms.thresholds.range", "/general/tms/thresholds/value_in_percent_mso", 0),
    "region_wrong_table": (_region_wrong_table, "tms.regions.target", "/events/tms_pulses/protocol", None),
    "session_region": (_session_region, "tms.regions.target", "/intervals/tms_sessions/protocol", 1),
    "reconciliation_region": (_reconciliation_region, "tms.regions.target", "/general/tms/reconciliation/session",
                              1),
    "time_unit": (_time_unit, "data.time_unit", "/events/tms_pulses/timestamp", None),
    "mask_all_clean": (_mask_all_clean, "tms.imaging.artifact_mask_values", f"/{MASK}/mask", 14),
    "mask_extra": (_mask_extra, "tms.imaging.artifact_mask_values", f"/{MASK}/mask", 3),
    "imaging_rate": (_imaging_rate, "tms.imaging.rate", "/general/optophysiology/imaging_plane", None),
    "clock_lengths": (_clock_lengths, "tms.clock_alignment.consistent", "/processing/ophys/scanimage_to_daq", None),
    "events_nan": (_events_nan, "data.timestamps.finite", "/events/licks/timestamp", 2500),
    "events_back": (_events_back, "data.timestamps.ascending", "/events/licks/timestamp", 2600),
    "cell_type_newline": (_cell_type_newline, "tms.cell_types.terms", "cell_ontology_id", 1),
    "series_no_timestamps": (_series_no_timestamps, "tms.imaging.artifact_mask", MASK, None),
    "sessions_overlap": (_sessions_overlap, "tms.sessions.overlap", "/intervals/tms_sessions", 1),
    "regular_timestamps": (_regular_timestamps, "data.timestamps.regular", "/acquisition/running_speed/timestamps",
                           None),
}
#: Planted problems whose own finding does not block (name -> as in CORPUS).
NOTES = {
    "unused_extension": (_unused_extension, "nwb.namespaces.unused", "/specifications/ndx-unused", None),
}
#: Files whose name is part of the planted problem (DANDI layout naming another subject than the file's M001).
FILE_NAMES = {"file_name": "sub-M002_ses-aitbs-day1_ophys.nwb"}


@pytest.fixture(scope="module")
def corpus(complete_nwb, make_copy, tmp_path_factory):
    """Every broken file, the complete file, and the report of validating them all together (2 jobs)."""
    root = tmp_path_factory.mktemp("corpus")
    paths = {name: make_copy(complete_nwb, root / name / FILE_NAMES.get(name, f"{name}.nwb"), plant,
                             unique_identifier=plant is not _shared_identifier)
             for name, (plant, *_rest) in {**CORPUS, **NOTES}.items()}
    paths["complete"] = make_copy(complete_nwb, root / "complete" / "complete.nwb", None)
    report = validate_paths([root], jobs=2)
    return paths, report


def _findings(report, path: Path):
    return [f for f in report.findings if f.file == str(path)]


@pytest.mark.parametrize("name", sorted(CORPUS) + sorted(NOTES))
def test_planted_problem_is_found_and_located(corpus, name):
    paths, report = corpus
    _plant, check_id, location, index = CORPUS[name] if name in CORPUS else NOTES[name]
    found = [f for f in _findings(report, paths[name]) if f.check_id == check_id]
    assert found, f"{check_id} not reported for {name}: {[f.check_id for f in _findings(report, paths[name])]}"
    assert any(location in (f.location or "") for f in found), [f.location for f in found]
    if index is not None:
        assert any(f.index == index for f in found), [(f.index, f.message) for f in found]
    if name in CORPUS:  # the file alone would exit 1
        assert any(f.severity >= Severity.BEST_PRACTICE_VIOLATION for f in found)
    assert all(f.hint for f in found)


def test_complete_file_has_nothing_blocking(corpus):
    paths, report = corpus
    blocking = [f for f in _findings(report, paths["complete"]) if f.severity >= report.fail_on]
    assert blocking == []


def test_corpus_exit_code_and_summary(corpus):
    _paths, report = corpus
    assert report.exit_code == 1
    assert len(report.files) == len(CORPUS) + len(NOTES) + 1
    assert all(f.opened for f in report.files)
    assert not [f for f in report.findings if f.check_id in ("validate.internal", "inspector.run", "nwb.open")]
    assert not [f.message for f in report.findings if "failed internally" in f.message or "crashed" in f.message]


def test_schema_errors_reported_when_objects_cannot_be_built(corpus):
    paths, report = corpus
    ids = {f.check_id for f in _findings(report, paths["schema"])}
    assert {"nwb.schema", "nwb.build"} <= ids
    assert "tms.skipped" in ids  # and the gate still ran from HDF5: no dandi findings because it is fine


def test_each_broken_file_alone_exits_1(corpus):
    paths, _report = corpus
    report = validate_paths([paths["pulse_time_back"]], fast=True)
    assert report.exit_code == 1
    assert any(f.check_id == "tms.pulses.ascending" and f.index == 1500 for f in report.findings)


def test_complete_file_reports_its_ndx_tms_version_and_exits_0(corpus, complete_nwb):
    paths, report = corpus
    result = next(r for r in report.files if r.path == str(paths["complete"]))
    assert result.ndx_tms_version and result.namespaces["ndx-tms"] == result.ndx_tms_version
    assert any(f.check_id == "nwb.namespaces.ndx_tms_version" for f in _findings(report, paths["complete"]))
    assert validate_paths([complete_nwb]).exit_code == 0
    unlocated = [f for f in _findings(report, paths["complete"]) if not f.location]
    assert unlocated == []  # NWB Inspector's messages too, where the inspector names no path


def test_unused_extension_is_a_suggestion(corpus):
    """The unused namespace itself is only a suggestion (pynwb, and so DANDI, then also validates the file
    against that namespace alone, which reports the types of the other namespaces: the nwb.schema step says so)."""
    paths, report = corpus
    # the corpus is written with plain pynwb, which caches every namespace loaded in the process (e.g.
    # ndx-study-design once another test imported it): pick the planted one
    (finding,) = [f for f in _findings(report, paths["unused_extension"])
                  if f.check_id == "nwb.namespaces.unused" and "'ndx-unused'" in f.message]
    assert finding.severity == Severity.BEST_PRACTICE_SUGGESTION
    assert "'ndx-unused' 0.1.0" in finding.message


def test_shared_identifier_names_the_other_file(corpus):
    paths, report = corpus
    (finding,) = [f for f in _findings(report, paths["shared_identifier_a"]) if f.check_id == "dandi.identifier_unique"]
    assert str(paths["shared_identifier_b"]) in finding.message
    assert not [f for f in _findings(report, paths["complete"]) if f.check_id == "dandi.identifier_unique"]


def test_inspector_runs_with_the_dandi_configuration(corpus):
    """check_subject_proper_age_range is a violation in NWB Inspector, raised to CRITICAL by its dandi config."""
    paths, report = corpus
    (finding,) = [f for f in _findings(report, paths["age_range"])
                  if f.check_id == "inspector.check_subject_proper_age_range"]
    assert finding.severity == Severity.CRITICAL


def test_delivered_pulses_reconciled_with_the_declared_protocol(corpus):
    """The reconciliation table no longer records session 2's dropped pulse: the protocol engine finds it."""
    paths, report = corpus
    found = [f for f in _findings(report, paths["unrecorded"]) if f.check_id == "tms.protocols.reconciled"]
    assert [(f.location, f.index) for f in found] == [("/intervals/tms_sessions", 2)]
    assert "1 missing" in found[0].message
    notes = [f for f in _findings(report, paths["complete"]) if f.check_id == "tms.protocols.reconciled_note"]
    assert notes and "recorded in the reconciliation table" in notes[0].message


#: Planted problems in the big arrays and tables, validated again with slices of 64 elements
CHUNKED = ("pulse_time_back", "pulse_nan", "pulse_outside_session", "pulse_coil_ref", "series_back", "series_nan",
           "epoch_stop", "cell_type")


def test_small_slices_find_the_same_problems(corpus):
    """Every element is checked across slice boundaries: 64-element slices report exactly what whole-array
    slices report (same check, location, first index, count and message)."""
    paths, report = corpus
    files = [paths[name] for name in CHUNKED]
    sliced = validate_paths(files, jobs=2, chunk_elements=64)

    def key(findings):
        return sorted((f.file, f.check_id, f.location or "", f.index or -1, f.count or 0, f.message)
                      for f in findings if not f.check_id.startswith("inspector."))

    assert key(sliced.findings) == key(f for f in report.findings if f.file in {str(p) for p in files})


_BESIDE_SCRIPT = """
import json, sys, types
from nwbtms.validate import validate_paths
from nwbtms.validate.checks import schema

child_fails, files = sys.argv[1] == "1", sys.argv[2:]
assert schema.second_core_free(), "a fresh process on this machine must be allowed to fork"
forks = []
fork = schema.PendingSchema._fork
schema.PendingSchema._fork = lambda self: (forks.append(1), fork(self))[1]
if child_fails:  # raises in the child only: the parent never serialises hits (json stays whole elsewhere)
    schema.json = types.SimpleNamespace(dumps=lambda *_a, **_k: 1 / 0, loads=json.loads)
report = validate_paths(files, jobs=1)
rows = [[f.file, f.check_id, str(f.severity), f.location, f.index, f.count, f.message, f.hint]
        for f in report.findings]
sys.stdout.write(json.dumps({"forks": len(forks), "findings": rows}))
"""


@pytest.mark.parametrize("child_fails", [False, True], ids=["child", "child-fails"])
def test_schema_validation_beside_object_construction_reports_the_same(corpus, child_fails):
    """One worker validates the schema in a forked child while the objects are built (when a second core is
    free): its findings equal those of the serial run of the corpus (2 jobs), in the same order per file; a
    child that fails before sending its hits changes nothing (the parent validates itself). Runs in a fresh
    process: forking is only allowed while no other thread runs, which a long test session cannot promise."""
    import json
    import os
    import subprocess
    import sys

    if not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs fork and a second core")
    paths, report = corpus
    files = [str(paths[name]) for name in ("schema", "complete", "series_nan")]
    run = subprocess.run([sys.executable, "-c", _BESIDE_SCRIPT, "1" if child_fails else "0", *files],
                         capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr
    beside = json.loads(run.stdout)
    assert beside["forks"] == len(files)
    for path in files:
        serial = [[f.file, f.check_id, str(f.severity), f.location, f.index, f.count, f.message, f.hint]
                  for f in report.findings if f.file == path]
        assert [row for row in beside["findings"] if row[0] == path] == serial
    schema_messages = [row[6] for row in beside["findings"] if row[1] == "nwb.schema"]
    assert schema_messages and not any("could not run" in m for m in schema_messages)


def test_dask_scheduler_streams_per_file_and_ledger_resumes(corpus, tmp_path):
    """``--scheduler``: one task per file on a running dask scheduler, each file's findings printed as it
    finishes; ``--ledger``: a re-run takes unchanged files from the ledger (here without reaching any
    scheduler) and reports the same findings as the local run of the corpus."""
    distributed = pytest.importorskip("distributed")
    from click.testing import CliRunner

    from nwbtms.cli import cli

    paths, _report = corpus
    chosen = [paths[name] for name in ("pulse_time_back", "species", "complete")]
    local = validate_paths(chosen)  # cross-file findings depend on the files validated together
    ledger = tmp_path / "ledger"
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        result = CliRunner().invoke(cli, ["validate", *map(str, chosen), "--scheduler", cluster.scheduler_address,
                                          "--ledger", str(ledger)])
    assert result.exit_code == 1, result.output
    for path in chosen:
        assert f"-- {path}: " in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("FAILED: 3 file(s), 3 opened")
    assert len(list(ledger.glob("*.json"))) == 3
    out = tmp_path / "report.json"
    again = CliRunner().invoke(cli, ["validate", *map(str, chosen), "--scheduler", "tcp://127.0.0.1:9",
                                     "--ledger", str(ledger), "--format", "json", "-o", str(out)])
    assert again.exit_code == 1, again.output
    resumed = json.loads(out.read_text())["findings"]
    expected = [f.to_dict() for f in local.findings]
    assert sorted(resumed, key=json.dumps) == sorted(expected, key=json.dumps)


def test_corpus_over_http_range_requests_gives_the_local_findings(corpus):
    """Every broken file served on the loopback address and validated by URL (byte ranges, never a whole
    download): the same findings as the local run of the corpus, each URL standing for its local path."""
    pytest.importorskip("remfile")
    from nwbtms.io.testing import serve_files

    paths, report = corpus
    root = Path(paths["complete"]).parent.parent
    with serve_files(root) as server:
        urls = {server.url(path): str(path) for path in paths.values()}
        remote = validate_paths(list(urls), jobs=2)

    def local(text):
        for url, path in urls.items():
            text = text.replace(url, path) if text else text
        return text

    def rows(findings, convert=lambda t: t):
        return sorted((convert(f.file), f.check_id, f.severity.name, convert(f.message), f.location, f.index,
                       f.count, f.hint) for f in findings)

    assert rows(remote.findings, local) == rows(report.findings)
    assert all(r.bytes_transferred and r.size_bytes for r in remote.files)


def test_every_finding_is_located_and_prints_plain_numbers(corpus):
    """Every finding of the corpus names where it is, and no message carries a numpy repr; NWB Inspector's
    crash reports name no object, so they cannot be located (and are not nwbtms findings)."""
    _paths, report = corpus
    unlocated = [(f.file, f.check_id, f.message) for f in report.findings
                 if not f.location and "check crashed" not in f.message]
    assert unlocated == []
    reprs = [f.message for f in report.findings if "np.float" in f.message or "np.int" in f.message]
    assert reprs == []


def test_object_construction_failure_keeps_its_cause_and_location(corpus):
    paths, report = corpus
    (build,) = [f for f in _findings(report, paths["schema"]) if f.check_id == "nwb.build"]
    assert build.location == "/events/tms_pulses"
    assert "TMSPulsesTable" in build.message and "'source'" in build.message


def test_artifact_mask_reports_frames_both_ways(corpus):
    """All-clean mask over 26 stimulated frames: 26 left clean; one clean frame marked: 1 marked wrongly."""
    paths, report = corpus
    (clean,) = [f for f in _findings(report, paths["mask_all_clean"])
                if f.check_id == "tms.imaging.artifact_mask_values"]
    assert clean.count == 26 and "says clean" in clean.message
    (extra,) = [f for f in _findings(report, paths["mask_extra"]) if f.check_id == "tms.imaging.artifact_mask_values"]
    assert extra.count == 1 and "marked as artifact" in extra.message


def _inspector_blocking(path: str) -> list[str]:
    """Names of the checks with which NWB Inspector (DANDI configuration) blocks ``path``: importance
    BEST_PRACTICE_VIOLATION and above, as ``dandi validate``; checks that crashed say nothing about the file,
    and nwbtms's own registered checks are not NWB Inspector's."""
    import warnings

    from nwbinspector import Importance, available_checks, inspect_nwbfile, load_config

    ours = {c.__name__ for c in available_checks if c.__module__.startswith("nwbtms")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        messages = list(inspect_nwbfile(nwbfile_path=path, config=load_config("dandi"), skip_validate=True))
    return [m.check_function_name for m in messages
            if m.importance.value >= Importance.BEST_PRACTICE_VIOLATION.value
            and not (m.check_function_name or "").startswith("During evaluation") and m.check_function_name not in ours]


def test_blocks_every_file_nwb_inspector_blocks_with_the_dandi_config(corpus):
    """Where nwbtms replaces an NWB Inspector check it is at least as strict: every corpus file NWB Inspector
    blocks, nwbtms blocks too (pynwb validation is left out on the inspector's side: nwb.schema is the same
    ``pynwb.validate``)."""
    from concurrent.futures import ProcessPoolExecutor

    paths, report = corpus
    files = [r.path for r in report.files]
    with ProcessPoolExecutor(max_workers=2) as pool:
        inspector = dict(zip(files, pool.map(_inspector_blocking, files), strict=True))
    inspector_blocks = {path: names for path, names in inspector.items() if names}
    ours_blocks = {r.path for r in report.files
                   if any(f.severity >= report.fail_on for f in report.findings if f.file == r.path)}
    assert inspector_blocks, "NWB Inspector blocks some of the corpus"
    looser = {path: names for path, names in inspector_blocks.items() if path not in ours_blocks}
    assert looser == {}
    assert len(ours_blocks) > len(inspector_blocks)  # and nwbtms blocks TMS problems the inspector cannot see


def test_nwbinspector_plugin_reports_what_validate_reports(corpus, tmp_path):
    """``nwbinspector --modules <plugin>`` and ``nwbtms validate`` report the same TMS findings (check ID,
    location, row) on every file of the corpus: both run the registered functions (INFO notes aside, which
    NWB Inspector has no importance for)."""
    import re
    import subprocess
    import sys

    from nwbtms.validate.inspector_plugin import INSPECTOR_CHECKS
    from nwbtms.validate.registry import load_checks

    paths, report = corpus
    root = Path(paths["complete"]).parents[1]
    out = tmp_path / "inspector.json"
    inspector = Path(sys.executable).with_name("nwbinspector")
    done = subprocess.run([str(inspector), str(root), "--modules", "nwbtms.validate.inspector_plugin",
                           "--select", ",".join(INSPECTOR_CHECKS), "--skip-validate", "--n-jobs", "2",
                           "--json-file-path", str(out), "--progress-bar", "False"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert out.exists(), done.stdout + done.stderr
    pattern = re.compile(r"^\[([a-z0-9_.]+)\] (\S*?)(?:\[(\d+)\])?: ")
    from_plugin = set()
    for message in json.loads(out.read_text())["messages"]:
        if message["check_function_name"] not in INSPECTOR_CHECKS:
            continue  # NWB Inspector compares identifiers across files whatever --select says
        match = pattern.match(message["message"])
        assert match, message
        check_id, location, index = match.groups()
        from_plugin.add((str(Path(message["file_path"]).resolve()), check_id, location,
                         int(index) if index is not None else None))
    object_ids = {r.check.id for r in load_checks() if r.neurodata_type is not None}
    from_validate = {(str(Path(f.file).resolve()), f.check_id, f.location or "", f.index) for f in report.findings
                     if f.check_id in object_ids and f.severity > Severity.INFO}
    assert from_validate and from_plugin == from_validate


def test_schema_findings_are_those_of_pynwb_validate_on_every_corpus_file(corpus):
    """``nwb.schema`` reports what ``pynwb.validate`` reports against the namespaces cached in each file of the
    corpus, whether the validators come from the shared type map's catalog (specs the file caches byte for
    byte) or from the cached specs parsed again (:mod:`nwbtms.validate.namespaces_cache`)."""
    from pynwb import validate

    _paths, report = corpus
    for result in report.files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = validate(path=result.path)
        expected = sorted(("/" + (e.location or "").lstrip("/") if e.location else None,
                           f"{e.name}: {e.reason}".strip(": ")) for e in errors)
        ours = sorted((f.location, f.message) for f in result.findings if f.check_id == "nwb.schema")
        assert ours == expected, result.path
