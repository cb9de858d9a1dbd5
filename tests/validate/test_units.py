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
from ndx_tms.vocabulary import pose_problem

from nwbtms.validate.checks.dandi import AGE_PATTERN, species_problem
from nwbtms.validate.checks.targets import suspicious_poses
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
    ("Mus musculus", True), ("mouse", True), ("Homo sapiens", True), ("Rattus norvegicus", True),
    ("Macaca mulatta", True), ("Callithrix jacchus", True), ("http://purl.obolibrary.org/obo/NCBITaxon_10116", True),
    ("Peromyscus maniculatus", False), ("Felis catus", False), ("NCBITaxon_10090", False),
])
def test_species_map(species, ok):
    assert (species_problem(species) is None) is ok


@pytest.mark.parametrize("age, ok", [
    ("P84D", True), ("P12W", True), ("P1Y2M", True), ("P10W/P12W", True), ("P90Y/", True), ("PT12H", True),
    ("84 days", False), ("P", False), ("12W", False), ("P1.5Y", True), ("PT", False),
])
def test_age_pattern(age, ok):
    assert bool(AGE_PATTERN.match(age)) is ok


def test_pose_screen_is_a_superset_of_pose_problem():
    rng = np.random.default_rng(3)
    poses = np.tile(np.eye(4), (200, 1, 1))
    poses[50, :3, 0] *= -1
    poses[120, 0, 1] += 0.01
    poses[190, 3, 0] = 1.0
    poses[:, :3, 3] = rng.normal(size=(200, 3))
    poses[180] = np.nan  # not recorded: accepted
    flagged = set(suspicious_poses(poses).tolist())
    invalid = {i for i in range(200) if pose_problem(poses[i])}
    assert invalid == {50, 120, 190}
    assert invalid <= flagged


def test_nwbinspector_runs_the_tms_checks_as_a_module(complete_nwb, make_copy, tmp_path):
    def plant(h5):
        ts = h5["general/tms/pulses/timestamp"]
        ts[1500] = ts[1499] - 0.5

    broken = make_copy(complete_nwb, tmp_path / "b" / "broken.nwb", plant)
    inspector = Path(sys.executable).with_name("nwbinspector")
    done = subprocess.run([str(inspector), "--modules", "nwbtms.checks", str(broken)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert "check_tms_pulses" in done.stdout, done.stdout + done.stderr
    assert "[tms.pulses.ascending] /general/tms/pulses/timestamp[1500]" in done.stdout
