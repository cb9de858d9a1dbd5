"""A ``protocols`` entry names a preset, a protocol file or an inline definition; all three agree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import render_metadata  # noqa: E402
from nwbtms.errors import ExtensionValueError, MetadataError  # noqa: E402
from nwbtms.metadata import load_session  # noqa: E402
from nwbtms.metadata.protocols import session_protocol  # noqa: E402
from nwbtms.protocols import build_schedule, get_preset, protocol_to_dict  # noqa: E402

INTENSITY = {"reference": "percent_mso", "value": 40}


def _session(tmp_path: Path, **protocols):
    data = yaml.safe_load(render_metadata())
    data["protocols"].update(protocols)
    return load_session(data, base_dir=tmp_path)


def test_preset_file_and_inline_definition_give_one_schedule(tmp_path):
    definition = protocol_to_dict(get_preset("itbs_600"))
    (tmp_path / "itbs.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    session = _session(tmp_path, as_file={"file": "itbs.yaml", "intensity": INTENSITY},
                       inline={"definition": definition, "intensity": INTENSITY})
    preset = build_schedule(session_protocol(session, "itbs")).times_s
    for key in ("as_file", "inline"):
        assert (build_schedule(session_protocol(session, key)).times_s == preset).all()


def test_bad_inline_definition_is_located_in_the_metadata(tmp_path):
    definition = protocol_to_dict(get_preset("itbs_600"))
    definition["levels"][0]["count"] = 0
    session = _session(tmp_path, inline={"definition": definition, "intensity": INTENSITY})
    with pytest.raises(MetadataError) as info:
        session_protocol(session, "inline")
    assert info.value.field == "/protocols/inline" and "inline" in info.value.message


def test_depth_adjusted_and_paired_pulse_entries_build_their_columns(tmp_path):
    """SAINT-style dosing (90% of a depth-adjusted threshold) and a SICI entry (test pulse at S1mV, conditioning
    at 70% of the twitch threshold) become protocol rows the ndx-tms constructor accepts."""
    from nwbtms.assembly.entries import session_entries
    from nwbtms.nwb.session import build_protocols, build_thresholds

    data = yaml.safe_load(render_metadata())
    data["thresholds"]["s1mv"] = {"threshold_type": "s1mv", "value_in_percent_mso": 60, "method": "other",
                                  "criterion": "1 mV peak to peak", "measurement_method": "emg",
                                  "muscle": "right forelimb EMG"}
    data["protocols"]["saint"] = {"preset": "snt_session", "intensity": {
        "reference": "percent_threshold", "value": 90, "threshold": "twitch",
        "depth_adjustment": {"method": "stokes_2005", "slope_in_percent_mso_per_mm": 2.8,
                             "scalp_to_cortex_distance_motor_in_mm": 1.0,
                             "scalp_to_cortex_distance_target_in_mm": 2.0,
                             "adjusted_threshold_in_percent_mso": 47.8}}}
    data["protocols"]["sici"] = {"preset": "sici", "intensity": {"reference": "percent_threshold", "value": 100,
                                                                "threshold": "s1mv"},
                                 "conditioning_intensity": {"reference": "percent_threshold", "value": 70,
                                                            "threshold": "twitch"}}
    entries = session_entries(load_session(data, base_dir=tmp_path))
    thresholds, rows = build_thresholds(entries)
    protocols, keys = build_protocols(entries, thresholds, rows)
    saint, sici = keys["saint"], keys["sici"]
    assert protocols["intensity_in_percent_mso"][saint] == pytest.approx(0.9 * 47.8)
    assert protocols["depth_adjustment_method"][saint] == "stokes_2005"
    assert protocols["conditioning_intensity_in_percent_mso"][sici] == pytest.approx(0.7 * 45)
    assert protocols["intensity_in_percent_mso"][sici] == pytest.approx(60.0)
    assert protocols["conditioning_threshold"][sici]["threshold_type"].iloc[0] == "rodent_visual_twitch"
    data["protocols"]["saint"]["intensity"]["depth_adjustment"]["adjusted_threshold_in_percent_mso"] = 52.0
    with pytest.raises(ExtensionValueError, match="saint.*45 \\+ 2.8 x \\(2 - 1\\) = 47.80"):
        build_protocols(session_entries(load_session(data, base_dir=tmp_path)), thresholds, rows)


def test_navigation_system_and_registration_entries(tmp_path):
    from nwbtms.assembly.entries import session_entries
    from nwbtms.nwb.session import build_coordinate_spaces, build_nwbfile, build_registrations

    data = yaml.safe_load(render_metadata())
    data["devices"]["navigator"] = {"type": "navigation_system", "navigation_type": "robot",
                                    "software_version": "TMS Navigator 3.3",
                                    "model": {"name": "TMS Cobot", "manufacturer": "Axilum Robotics"}}
    data["registrations"]["mri"] = {"method": "fiducials_and_surface", "coordinate_space": "bregma",
                                    "navigation_system": "navigator", "rms_error_in_mm": 1.8,
                                    "landmarks": {"nasion": [0, 80, 0], "lpa": [-70, 0, 0], "rpa": [70, 0, 0]}}
    entries = session_entries(load_session(data, base_dir=tmp_path))
    nwbfile = build_nwbfile(entries)
    assert nwbfile.devices["navigator"].navigation_type == "robot"
    assert nwbfile.devices["navigator"].model.manufacturer == "Axilum Robotics"
    registrations = {r.name: r for r in build_registrations(entries, build_coordinate_spaces(entries),
                                                             nwbfile.devices)}
    assert registrations["mri"].navigation_system is nwbfile.devices["navigator"]
    assert registrations["mri"].landmark_position.shape == (3, 3)
    assert list(registrations["skull"].landmark_error_in_mm) == [0.02, 0.02]
    data["registrations"]["mri"]["navigation_system"] = "coil"
    with pytest.raises(MetadataError, match="navigation_system"):
        load_session(data, base_dir=tmp_path)
