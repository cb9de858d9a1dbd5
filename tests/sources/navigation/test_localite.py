"""Localite trigger markers: files written in the real layout, and the real Localite 2024 exports."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import SourceError
from nwbtms.sources.navigation import read_localite_triggers, select_trigger_marker_files
from nwbtms.sources.navigation.localite import LOCALITE_TO_MATSIMNIBS_AXES, UNTRACKED_MATRIX


def rotation_about_z(angle_rad: float) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def localite_matrix(k: int) -> np.ndarray:
    """A Localite-axes pose (x into the head) for marker ``k``."""
    pose = np.eye(4)
    pose[:3, :3] = rotation_about_z(0.1 * (k + 1))  # never the identity: that is Localite's "untracked"
    pose[:3, 3] = (-40.0 + k, -2.0, 90.0)
    return pose


def write_trigger_markers(path, times_ms, *, amplitudes=None, di_dts=None, space="RAS", matrices=None,
                          start_time="12:01:29.614", prolog=""):
    """A TriggerMarkers_Coil0 file in the layout TMS Navigator 2024 writes."""
    amplitudes = amplitudes if amplitudes is not None else [0.0] * len(times_ms)
    di_dts = di_dts if di_dts is not None else ["NaN"] * len(times_ms)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', prolog,
             f'<TriggerMarkerList coordinateSpace="{space}" isOnlineReading="true" '
             f'startTime="{start_time}">\n',
             "    <!--All positions are saved in the MNI coordinate system.-->\n",
             '    <ResponseParameters selectedResponseChannel="0">\n'
             '        <responseDescription id="valueA" maxValue="200.0" minValue="0.0" '
             'name="Value A (di/dt)" unit="A/us"/>\n'
             '        <responseDescription id="amplitudeA" maxValue="100.0" minValue="0.0" '
             'name="Amplitude A" unit="%"/>\n    </ResponseParameters>\n']
    for k, time_ms in enumerate(times_ms):
        matrix = matrices[k] if matrices is not None else localite_matrix(k)
        attrs = " ".join(f'data{r}{c}="{float(matrix[r, c])!r}"' for r in range(4) for c in range(4))
        parts.append(
            f'    <TriggerMarker color="#ffafaf" description="" recordingTime="{time_ms}" selected="false" '
            'set="true" visibility="true">\n        <ResponseValues>\n'
            f'            <Value key="valueA" response="{di_dts[k]}"/>\n'
            '            <Value key="mepMax" response="NaN"/>\n'
            f'            <Value key="amplitudeA" response="{amplitudes[k]}"/>\n'
            f'        </ResponseValues>\n        <Matrix4D {attrs}/>\n    </TriggerMarker>\n'
        )
    parts.append("</TriggerMarkerList>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def test_known_values_round_trip(tmp_path):
    times_ms = [28482, 30307, 31840, 65273]
    path = write_trigger_markers(tmp_path / "TriggerMarkers_Coil0_20240902120238396.xml", times_ms,
                                 amplitudes=[55.0, 56.0, 0.0, 57.0], di_dts=[88.5, "NaN", 90.0, 0.0])
    pulses = read_localite_triggers(path)
    np.testing.assert_allclose(pulses.time_s, np.array(times_ms) / 1000)
    np.testing.assert_allclose(pulses.amplitude_percent_mso, [55, 56, np.nan, 57])
    np.testing.assert_allclose(pulses.di_dt_a_per_us, [88.5, np.nan, 90.0, np.nan])
    assert pulses.coordinate_space == "RAS" and pulses.problems == []
    for k in range(4):
        np.testing.assert_allclose(pulses.pose_recorded[k], localite_matrix(k))
        expected = localite_matrix(k) @ LOCALITE_TO_MATSIMNIBS_AXES
        np.testing.assert_allclose(pulses.pose[k], expected)
        # matsimnibs z (into the head) is Localite's x axis; the centre is unchanged.
        np.testing.assert_allclose(pulses.pose[k][:3, 2], localite_matrix(k)[:3, 0])
        assert np.linalg.det(pulses.pose[k][:3, :3]) == pytest.approx(1.0)
    assert np.isnan(pulses.target_error_mm).all() and pulses.target_label == [""] * 4
    assert "12:01:29.614" in pulses.clock


def test_untracked_marker_and_skewed_rotation_reported(tmp_path):
    skewed = localite_matrix(2)
    skewed[0, 0] += 0.05
    offset_identity = np.eye(4)
    offset_identity[:3, 3] = (-10.283824190290801, 1.3334223318221063, 253.47758132957244)  # as in MNI exports
    matrices = [localite_matrix(0), UNTRACKED_MATRIX, skewed, offset_identity,
                LOCALITE_TO_MATSIMNIBS_AXES]  # the mapping matrix itself is a tracked (if odd) pose
    pulses = read_localite_triggers(write_trigger_markers(tmp_path / "t.xml", [1, 2, 3, 4, 5],
                                                          matrices=matrices))
    assert np.isnan(pulses.pose[1]).all() and np.isnan(pulses.pose[3]).all()
    assert np.isfinite(pulses.pose[0]).all() and np.isfinite(pulses.pose[4]).all()
    assert any("marker 3" in p and "orthonormal" in p for p in pulses.problems)
    assert any("2 of 5 marker(s)" in p and "not tracked" in p for p in pulses.problems)
    np.testing.assert_allclose(pulses.pose_recorded[2], skewed)  # reported, not fixed: recorded kept,
    assert np.isnan(pulses.pose[2]).all() and int(pulses.untracked.sum()) == 3  # pose left out
    np.testing.assert_array_equal(pulses.pose_recorded[1], np.eye(4))  # the recorded matrix is kept


def test_file_where_every_marker_is_untracked_says_so(tmp_path):
    pulses = read_localite_triggers(write_trigger_markers(tmp_path / "t.xml", [1, 2, 3],
                                                          matrices=[np.eye(4)] * 3))
    assert np.isnan(pulses.pose).all()
    assert any("every marker (3)" in p for p in pulses.problems)


def test_start_time_milliseconds_without_padding(tmp_path):
    pulses = read_localite_triggers(write_trigger_markers(tmp_path / "t.xml", [5], start_time="17:08:18.82"))
    assert "17:08:18.082" in pulses.clock


def test_empty_list_reads_as_no_pulses(tmp_path):
    pulses = read_localite_triggers(write_trigger_markers(tmp_path / "t.xml", []))
    assert len(pulses) == 0 and pulses.pose.shape == (0, 4, 4)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<TriggerMarkerList coordinateSpace="RAS"/>',
         "document type"),
        ('<?xml version="1.0"?><!-- c --><!DOCTYPE x SYSTEM "file:///etc/passwd"><TriggerMarkerList/>',
         "document type"),
        ('<?xml version="1.0"?><LocTMSTriggerData/>', "TriggerData"),
        ('<?xml version="1.0"?><InstrumentMarkerList coordinateSpace="MNI"/>', "InstrumentMarker"),
        ('<?xml version="1.0"?><Other/>', "expected <TriggerMarkerList>"),
        ('<?xml version="1.0"?><TriggerMarkerList coordinateSpace="RAS"><TriggerMarker recordingTime="1">',
         "malformed XML"),
        ('<TriggerMarkerList coordinateSpace="RAS"><TriggerMarker recordingTime="x"/></TriggerMarkerList>',
         "recordingTime"),
        ('<TriggerMarkerList coordinateSpace="RAS"><TriggerMarker recordingTime="1"/></TriggerMarkerList>',
         "Matrix4D"),
        ('<TriggerMarkerList><TriggerMarker recordingTime="1"><Matrix4D/></TriggerMarker>'
         '</TriggerMarkerList>',
         "data00"),
        ("", "malformed XML"),
    ],
)
def test_refusals_are_typed_and_located(tmp_path, text, match):
    path = tmp_path / "TriggerMarkers_Coil0_1.xml"
    path.write_text(text)
    with pytest.raises(SourceError, match=match) as info:
        read_localite_triggers(path)
    assert str(path) in str(info.value) and info.value.hint


def test_select_keeps_last_save_per_recording(tmp_path):
    write_trigger_markers(tmp_path / "TriggerMarkers_Coil0_20240902120129624.xml", [])
    write_trigger_markers(tmp_path / "TriggerMarkers_Coil0_20240902120238396.xml", [10, 20])
    write_trigger_markers(tmp_path / "TriggerMarkers_Coil0_20240902120238420.xml", [10, 20])
    write_trigger_markers(tmp_path / "TriggerMarkers_Coil0_20240902120533378.xml", [5],
                          start_time="12:03:14.551")
    write_trigger_markers(tmp_path / "TriggerMarkers_Coil1_20240902120129624.xml", [])
    chosen = select_trigger_marker_files(tmp_path)
    assert [p.name for p in chosen] == ["TriggerMarkers_Coil0_20240902120238420.xml",
                                        "TriggerMarkers_Coil0_20240902120533378.xml"]
    assert len(select_trigger_marker_files(tmp_path, coil=None, skip_empty=False)) == 3


def test_real_localite_exports(realdata):
    root = realdata / "localite" / "ExampleData"
    files = sorted(root.glob("*/TMSTrigger/TriggerMarkers_Coil*.xml"))
    assert files
    counts, untracked = {}, {}
    for path in files:
        pulses = read_localite_triggers(path)
        counts[path.name] = len(pulses)
        assert pulses.coordinate_space == "MNI"
        assert np.isnan(pulses.amplitude_percent_mso).all() and np.isnan(pulses.di_dt_a_per_us).all()
        assert np.all(np.diff(pulses.time_s) > 0)
        if len(pulses):
            # untracked markers: identity rotation (offset translation in MNI space), set="false"
            recorded = pulses.pose_recorded
            identity = np.all(recorded[:, :3, :3] == np.eye(3), axis=(1, 2))
            untracked[path.name] = int(identity.sum())
            assert np.isnan(pulses.pose[identity]).all()
            tracked = pulses.pose[~identity]
            assert np.isfinite(tracked).all()
            assert pulses.problems == ([] if not identity.any() else
                                       [p for p in pulses.problems if "not tracked" in p])
            rot = tracked[:, :3, :3]
            np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-3)  # Localite: ~1e-4
            # matsimnibs z points from the coil centre towards the head centre (origin of MNI space) for
            # every tracked pulse
            towards_centre = -tracked[:, :3, 3] / np.linalg.norm(tracked[:, :3, 3], axis=1)[:, None]
            assert np.min(np.einsum("ni,ni->n", rot[:, :, 2], towards_centre)) > 0.3
    assert all(n == 0 for name, n in counts.items() if "Coil1" in name)
    assert counts["TriggerMarkers_Coil0_20240905174623122.xml"] == 361
    assert untracked["TriggerMarkers_Coil0_20240905174623122.xml"] == 2  # markers 121 and 336
    assert untracked["TriggerMarkers_Coil0_20240905164512665.xml"] == 1
    assert sum(untracked.values()) == 7
    first = read_localite_triggers(root / "Session_20240902115517938/TMSTrigger/"
                                   "TriggerMarkers_Coil0_20240902120238396.xml")
    assert first.time_s[0] == pytest.approx(28.482)
    assert first.pose_recorded[0, 0, 3] == pytest.approx(-44.89501102285423)
    chosen = select_trigger_marker_files(root / "Session_20240905163227166" / "TMSTrigger")
    assert [p.name for p in chosen] == ["TriggerMarkers_Coil0_20240905164512665.xml",
                                        "TriggerMarkers_Coil0_20240905174623122.xml"]


def test_real_other_localite_files_are_refused(realdata):
    session = realdata / "localite" / "ExampleData" / "Session_20240902115517938"
    with pytest.raises(SourceError, match="InstrumentMarker"):
        read_localite_triggers(next((session / "InstrumentMarkers").glob("*.xml")))
    with pytest.raises(SourceError, match="TriggerData"):
        read_localite_triggers(next((session / "TMSTrigger").glob("TriggerData*.xml")))
