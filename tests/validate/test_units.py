"""Unit tests of the pieces: chunked scans (every element, across slice boundaries), DANDI gate rules,
pose screening, and the NWB Inspector plugin run by nwbinspector itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.validate.checks.dandi import AGE_PATTERN, species_problem
from nwbtms.validate.chunked import AscendingScan, RegularScan, iter_rows


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300), chunk=st.integers(1, 50))
def test_ascending_scan_matches_whole_array(values, chunk):
    arr = np.asarray(values)
    scan = AscendingScan()
    for start, block in iter_rows(arr, chunk_elements=chunk):
        scan.feed(start, block)
    bad = np.flatnonzero(np.diff(arr) < 0) + 1
    assert scan.bad_count == bad.size
    assert scan.first_bad == (int(bad[0]) if bad.size else None)


def test_regular_scan_sees_irregularity_in_a_late_slice():
    times = np.arange(10_000) * 0.01
    scan = RegularScan()
    for _, block in iter_rows(times, chunk_elements=1000):
        scan.feed(block)
    assert scan.regular
    times[9_500] += 0.003
    scan = RegularScan()
    for _, block in iter_rows(times, chunk_elements=1000):
        scan.feed(block)
    assert not scan.regular


@pytest.mark.parametrize("species, ok", [
    ("Mus musculus", True), ("mouse", False), ("mus musculus", False), ("Homo sapiens", True),
    ("Rattus norvegicus", True), ("Macaca mulatta", True), ("Callithrix jacchus", True),
    ("http://purl.obolibrary.org/obo/NCBITaxon_10116", True),
    ("Peromyscus maniculatus", False), ("Felis catus", False), ("NCBITaxon_10090", False),
    ("https://purl.obolibrary.org/obo/NCBITaxon_10116", False),
])
def test_species_map(species, ok):
    assert (species_problem(species) is None) is ok


@pytest.mark.parametrize("age, ok", [
    ("P84D", True), ("P12W", True), ("P1Y2M", True), ("P10W/P12W", True), ("P90Y/", True), ("PT12H", True),
    ("84 days", False), ("P", False), ("12W", False), ("P1.5Y", True), ("PT", False),
])
def test_age_pattern(age, ok):
    assert bool(AGE_PATTERN.match(age)) is ok


def test_nwbinspector_runs_the_tms_checks_as_a_module(complete_nwb, make_copy, tmp_path):
    def plant(h5):
        ts = h5["events/tms_pulses/timestamp"]
        ts[1500] = ts[1499] - 0.5

    broken = make_copy(complete_nwb, tmp_path / "b" / "broken.nwb", plant)
    inspector = Path(sys.executable).with_name("nwbinspector")
    done = subprocess.run([str(inspector), "--modules", "nwbtms.checks", str(broken)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert "check_tms_pulse_times_ascending" in done.stdout, done.stdout + done.stderr
    assert "[tms.pulses.ascending] /events/tms_pulses/timestamp[1500]" in done.stdout


def test_regular_timestamps_suggest_a_rate_and_irregular_ones_do_not(tmp_path):
    import h5py

    from nwbtms.validate.checks.arrays import check_timestamps

    with h5py.File(tmp_path / "t.h5", "w") as h5:
        regular = h5.create_dataset("regular", data=np.arange(5000) * 0.01)
        irregular = h5.create_dataset("irregular", data=np.arange(5000) * 0.01)
        irregular[4500] += 0.003  # one late sample, in the last slice
        found = [h.check.id for h in check_timestamps(regular, chunk_elements=1000)]
        assert found == ["data.timestamps.regular"]
        assert [h.check.id for h in check_timestamps(irregular, chunk_elements=1000)] == []


def test_coordinates_without_a_declared_space_are_reported():
    from ndx_tms.testing import mock_TMSExperimentMetadata

    from nwbtms.validate.checks.targets import check_coordinate_spaces, check_poses

    def check_targets(metadata):
        return [*check_poses(metadata), *check_coordinate_spaces(metadata)]

    declared = mock_TMSExperimentMetadata()
    assert [h.check.id for h in check_targets(declared)] == []
    undeclared = mock_TMSExperimentMetadata(tms_coordinate_spaces=[])
    assert [h.check.id for h in check_targets(undeclared)] == ["tms.coordinates.space_declared"]


def test_each_file_is_opened_and_read_once(complete_nwb, monkeypatch):
    """One h5py.File and one NWBHDF5IO per file; validation, object building, NWB Inspector and our checks share
    the builders read once (ValidatorIO, like hdmf, returns the same root builder on every read_builder call)."""
    import os

    import h5py
    from pynwb import NWBHDF5IO

    from nwbtms.validate.builders import ValidatorIO
    from nwbtms.validate.runner import RunOptions, validate_file

    counts = {"h5py.File": 0, "NWBHDF5IO": 0, "roots": set()}
    file_init, io_init, read_builder = h5py.File.__init__, NWBHDF5IO.__init__, ValidatorIO.read_builder

    def counting_file_init(self, name, *args, **kwargs):
        if isinstance(name, (str, os.PathLike)):  # h5py also wraps already open files (obj.file): not an open
            counts["h5py.File"] += 1
        file_init(self, name, *args, **kwargs)

    def counting_io_init(self, *args, **kwargs):
        counts["NWBHDF5IO"] += 1
        io_init(self, *args, **kwargs)

    def recording_read_builder(self, *args, **kwargs):
        root = read_builder(self, *args, **kwargs)
        counts["roots"].add(id(root))
        return root

    monkeypatch.setattr(h5py.File, "__init__", counting_file_init)
    monkeypatch.setattr(NWBHDF5IO, "__init__", counting_io_init)
    monkeypatch.setattr(ValidatorIO, "read_builder", recording_read_builder)  # the runner's NWBHDF5IO
    result = validate_file(str(complete_nwb), RunOptions())
    assert result.opened and not [f for f in result.findings if f.check_id == "validate.internal"]
    assert counts["h5py.File"] == 1 and counts["NWBHDF5IO"] == 1
    assert len(counts["roots"]) == 1


#: Every check ID nwbtms has published (issue 7: stable IDs). Removing or renaming one breaks users'
#: configuration files; add new IDs here, never change these.
PUBLISHED_CHECK_IDS = {
    "file.readable", "nwb.open", "nwb.namespaces.uncached", "nwb.namespaces.unused", "nwb.namespaces.ndx_tms_version",
    "nwb.schema", "nwb.build", "inspector.run", "dandi.subject", "dandi.subject_id", "dandi.species", "dandi.sex",
    "dandi.age", "dandi.session_start_time", "dandi.session_id", "dandi.external_links", "dandi.identifier_unique",
    "dandi.file_name", "tms.metadata.present", "tms.skipped", "tms.pulses.finite", "tms.pulses.ascending",
    "tms.pulses.in_session", "tms.pulses.intensity_range", "tms.pulses.intensity_protocol",
    "tms.protocols.intensity_consistent", "tms.pulses.references", "tms.pulses.artifact_window",
    "tms.thresholds.present", "tms.poses.valid", "tms.coordinates.space_declared", "tms.sessions.num_pulses",
    "tms.reconciliation.counts", "tms.protocols.reconciled", "tms.protocols.reconciled_note",
    "tms.imaging.artifact_mask", "tms.cell_types.terms", "data.timestamps.finite", "data.timestamps.ascending",
    "data.timestamps.regular", "data.intervals.stop_after_start", "report.stimulator_model", "report.coil_model",
    "report.waveform", "report.pulse_width", "report.current_direction", "report.intensity", "report.threshold",
    "report.target", "report.protocol_timing", "report.sham_description", "report.cell_types_on_rois",
    "validate.internal",
}


def test_check_ids_are_stable_and_follow_the_report_schema():
    import json
    import re

    from nwbtms.validate import CHECKS

    assert PUBLISHED_CHECK_IDS <= set(CHECKS), sorted(PUBLISHED_CHECK_IDS - set(CHECKS))
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text())
    pattern = re.compile(schema["$defs"]["check_id"]["pattern"])
    assert all(pattern.match(check_id) for check_id in CHECKS)
    assert all(info.hint and info.summary for info in CHECKS.values())


def test_ci_examples_call_the_real_command():
    """The pre-commit hooks and the GitHub Actions example use only options `nwbtms validate` has."""
    import shlex

    import yaml

    from nwbtms.cli.validate import validate

    root = Path(__file__).resolve().parents[2]
    options = {opt for param in validate.params for opt in getattr(param, "opts", [])}
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    workflow = yaml.safe_load((root / "examples" / "ci" / "github-actions-validate.yml").read_text())
    commands = [h["entry"] for h in hooks]
    commands += [h["args"] for r in yaml.safe_load((root / "examples" / "ci" / "pre-commit-config.yaml").read_text())[
        "repos"] for h in r["hooks"]]
    commands += [s["run"] for s in workflow["jobs"]["validate"]["steps"] if "nwbtms validate" in s.get("run", "")]
    assert {h["id"] for h in hooks} == {"nwbtms-validate", "nwbtms-validate-dandi"}
    used = set()
    for command in commands:
        words = command if isinstance(command, list) else shlex.split(command.split("||")[0])
        used |= {w for w in words if w.startswith("-")}
    assert used and used <= options, sorted(used - options)
