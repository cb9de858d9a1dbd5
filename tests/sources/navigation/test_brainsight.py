"""Brainsight text export: files written in the real layout (two versions' columns), and the real exports."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import SourceError
from nwbtms.sources.navigation import read_brainsight
from nwbtms.sources.navigation.brainsight import BRAINSIGHT_TO_MATSIMNIBS_AXES

HEADER = (
    "# Version: 7\n# Coordinate system: {space}\n# Created by: Brainsight 2.3.5\n"
    "# units: millimetres, degrees, milliseconds, and microvolts\n# Encoding: UTF-8\n"
    "# Notes: Each column is delimited by a tab. Each value within a column is delimited by a semicolon.\n"
)
FULL_COLUMNS = ["Sample Name", "Session Name", "Index", "Assoc. Target", "Loc. X", "Loc. Y", "Loc. Z",
                "m0n0", "m0n1", "m0n2", "m1n0", "m1n1", "m1n2", "m2n0", "m2n1", "m2n2", "Dist. to Target",
                "Target Error", "Angular Error", "Twist Error", "Stim. Power", "Date", "Time",
                "Creation Cause", "Crosshairs Driver", "Offset", "Comment", "EMG Start", "EMG End",
                "EMG Res.", "EMG Channels"]
#: An older layout: fewer columns, no Date/Time/Stim. Power.
SHORT_COLUMNS = ["Sample Name", "Index", "Assoc. Target", "Loc. X", "Loc. Y", "Loc. Z", "m0n0", "m0n1",
                 "m0n2", "m1n0", "m1n1", "m1n2", "m2n0", "m2n1", "m2n2", "Target Error", "Angular Error",
                 "Twist Error"]


def axes(k: int) -> np.ndarray:
    """Orthonormal axes (rows = axis i) for sample ``k``, a rotation about z."""
    c, s = np.cos(0.2 * k), np.sin(0.2 * k)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def sample_values(k: int, columns) -> dict[str, str]:
    rows = axes(k)
    values = {"Sample Name": f"Sample {k + 1}", "Session Name": "Session 1", "Index": str(k + 1),
              "Assoc. Target": "(null)" if k == 0 else "M1", "Loc. X": f"{10.0 + k:.3f}", "Loc. Y": "-44.000",
              "Loc. Z": "73.500", "Dist. to Target": "1.0", "Target Error": f"{0.5 * k:.3f}",
              "Angular Error": f"{1.0 + k:.3f}", "Twist Error": f"{-2.0 * k:.3f}", "Stim. Power": "(null)",
              "Date": "2021-06-25", "Time": f"12:11:{36 + 2 * k:02d}.454", "Creation Cause": "Remote",
              "Crosshairs Driver": "Coil 1", "Offset": "0.000"}
    for i in range(3):
        for j in range(3):
            values[f"m{i}n{j}"] = f"{rows[i, j]:.6f}"
    return {c: values.get(c, "(null)") for c in columns}


def write_export(path, columns, n, *, space="NIfTI:Aligned", edit=None):
    lines = [HEADER.format(space=space)]
    lines.append("# Target Name\tLoc. X\tLoc. Y\tLoc. Z\t" + "\t".join(f"m{i}n{j}" for i in range(3)
                                                                 for j in range(3)) + "\n")
    lines.append("M1\t1\t2\t3\t1\t0\t0\t0\t1\t0\t0\t0\t1\n")
    lines.append("# " + "\t".join(columns) + "\n")
    for k in range(n):
        values = sample_values(k, columns)
        if edit:
            edit(k, values)
        lines.append("\t".join(values[c] for c in columns) + "\n")
    lines.append("# Electrode Name\tElectrode Type\tSession Name\tLoc. X\tLoc. Y\tLoc. Z\n")
    lines.append("# Planned Landmark Name\tLoc. X\tLoc. Y\tLoc. Z\nLPA\t79.2\t-18.7\t-35.1\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_full_layout_known_values(tmp_path):
    pulses = read_brainsight(write_export(tmp_path / "export.txt", FULL_COLUMNS, 4))
    assert len(pulses) == 4 and pulses.coordinate_space == "NIfTI:Aligned"
    np.testing.assert_allclose(pulses.time_s, 12 * 3600 + 11 * 60 + 36.454 + 2 * np.arange(4))
    np.testing.assert_allclose(pulses.target_error_mm, 0.5 * np.arange(4))
    np.testing.assert_allclose(pulses.angular_error_deg, 1.0 + np.arange(4))
    np.testing.assert_allclose(pulses.twist_error_deg, -2.0 * np.arange(4))
    assert np.isnan(pulses.amplitude_percent_mso).all() and np.isnan(pulses.di_dt_a_per_us).all()
    assert pulses.target_label == ["", "M1", "M1", "M1"]
    for k in range(4):
        # m{i}n{j} is component j of axis i: axis i is column i of the recorded rotation.
        np.testing.assert_allclose(pulses.pose_recorded[k, :3, :3], axes(k).T, atol=1e-6)
        np.testing.assert_allclose(pulses.pose_recorded[k, :3, 3], [10.0 + k, -44.0, 73.5])
        np.testing.assert_allclose(pulses.pose[k], pulses.pose_recorded[k] @ BRAINSIGHT_TO_MATSIMNIBS_AXES)
        np.testing.assert_allclose(pulses.pose[k][:3, 2], -axes(k)[2], atol=1e-6)  # z into the head
    assert pulses.problems == [] and "RAS" in pulses.pose_convention


def test_older_layout_without_times(tmp_path):
    pulses = read_brainsight(write_export(tmp_path / "old.txt", SHORT_COLUMNS, 3, space="Brainsight"))
    assert np.isnan(pulses.time_s).all()
    assert any("no Date/Time" in p for p in pulses.problems)
    np.testing.assert_allclose(pulses.target_error_mm, [0, 0.5, 1.0])
    assert "LPS" in pulses.pose_convention


def test_non_orthonormal_and_untracked_rows_reported_not_fixed(tmp_path):
    def edit(k, values):
        if k == 1:
            values["m0n0"] = "0.900000"
        if k == 2:
            values["m1n1"] = "(null)"

    path = write_export(tmp_path / "e.txt", FULL_COLUMNS, 3, edit=edit)
    pulses = read_brainsight(path)
    # header lines 1-6, target section 7-8, sample header 9: sample k is on line 10 + k
    assert any(p.startswith("line 11:") and "orthonormal" in p for p in pulses.problems)
    assert pulses.pose_recorded[1, 0, 0] == pytest.approx(0.9)
    assert np.isnan(pulses.pose[1]).all() and np.isnan(pulses.pose[2]).all()  # invalid, untracked: no pose
    assert pulses.untracked.tolist() == [False, True, True] and "2 of 3 sample(s)" in pulses.summary_note()
    assert any("1 sample(s) whose matrix is not a valid rotation" in p for p in pulses.problems)
    assert any("not tracked" in p and "12" in p for p in pulses.problems)


def test_malformed_values_name_line_and_column(tmp_path):
    path = write_export(tmp_path / "e.txt", FULL_COLUMNS, 3, edit=lambda k, v: v.update(
        {"Loc. Y": "abc"} if k == 2 else {}))
    with pytest.raises(SourceError) as info:
        read_brainsight(path)
    assert info.value.line == 12 and info.value.field == "Loc. Y"
    bad_time = write_export(tmp_path / "t.txt", FULL_COLUMNS, 2, edit=lambda k, v: v.update({"Time": "noon"}))
    with pytest.raises(SourceError, match="Date/Time"):
        read_brainsight(bad_time)


def test_missing_section_or_columns(tmp_path):
    path = tmp_path / "targets_only.txt"
    path.write_text(HEADER.format(space="World") + "# Target Name\tLoc. X\nM1\t1\n")
    with pytest.raises(SourceError, match="no Samples section"):
        read_brainsight(path)
    columns = [c for c in FULL_COLUMNS if c != "m2n2"]
    with pytest.raises(SourceError, match="m2n2"):
        read_brainsight(write_export(tmp_path / "cols.txt", columns, 1))
    with pytest.raises(SourceError, match="not found"):
        read_brainsight(tmp_path / "absent.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"# Version: 7\n\xff\xfe\x00garbage")
    with pytest.raises(SourceError, match="UTF-8"):
        read_brainsight(binary)


def test_real_brainsight_exports(realdata):
    world = read_brainsight(realdata / "brainsight" / "dcmimage_worldcoord.txt")
    assert len(world) == 18 and world.coordinate_space == "World" and "DICOM LPS" in world.pose_convention
    assert world.time_s[0] == pytest.approx(12 * 3600 + 11 * 60 + 36.454)
    assert np.all(np.diff(world.time_s) > 0)
    np.testing.assert_allclose(world.pose_recorded[0, :3, 3], [46.889, -44.464, 73.812])
    np.testing.assert_allclose(world.pose_recorded[0, :3, 0], [-0.534, 0.529, 0.660])
    assert np.isnan(world.target_error_mm).all()
    aligned = read_brainsight(realdata / "brainsight" / "niiImage_niftialignedcoord.txt")
    assert len(aligned) == 101 and aligned.coordinate_space == "NIfTI:Aligned"
    assert aligned.target_label[:3] == ["", "Sample 1", "Sample 1"]
    assert aligned.twist_error_deg[1] == pytest.approx(-15.884)
    assert aligned.target_error_mm[1] == pytest.approx(1.225)
    for pulses in (world, aligned):
        assert pulses.problems == []  # 3-decimal rounding stays within the tolerance
        np.testing.assert_allclose(np.linalg.det(pulses.pose[:, :3, :3]), 1.0, atol=5e-3)


#: Brainsight v12/v14 sample columns (stimulator channels A and B, pulse interval, EMG windows).
V12_COLUMNS = (FULL_COLUMNS[:20] + ["Stim. Power A", "Stim. Pulse Interval", "Stim. Power B"]
               + FULL_COLUMNS[21:] + ["EMG Window Start", "EMG Window End", "EMG Peak-to-peak 1", "EMG Latency 1",
                                       "EMG Data 1"])


def test_v12_stim_power_a_is_the_stimulator_output(tmp_path):
    def power(k, values):
        values["Stim. Power A"] = f"{55 + k}"
        values["Stim. Power B"] = "(null)"
        values["Stim. Pulse Interval"] = "(null)"

    pulses = read_brainsight(write_export(tmp_path / "v12.txt", V12_COLUMNS, 3, edit=power))
    np.testing.assert_array_equal(pulses.amplitude_percent_mso, [55, 56, 57])
    np.testing.assert_allclose(pulses.target_error_mm, [0, 0.5, 1.0])


def test_export_cut_at_a_row_boundary_is_reported(tmp_path):
    full = write_export(tmp_path / "full.txt", FULL_COLUMNS, 12)
    assert not [p for p in read_brainsight(full).problems if "truncated" in p]
    lines = full.read_text(encoding="utf-8").splitlines(keepends=True)
    first_sample = next(i for i, line in enumerate(lines) if line.startswith("# Sample Name")) + 1
    cut = tmp_path / "cut.txt"
    cut.write_text("".join(lines[:first_sample + 7]), encoding="utf-8")  # 7 of 12 rows, whole lines
    pulses = read_brainsight(cut)
    assert len(pulses) == 7
    assert any(p.startswith("possibly truncated") and "7 sample(s)" in p for p in pulses.problems)
