"""Protocol files: schema violations all at once with lines, physical inconsistencies named by level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nwbtms.errors import ProtocolError
from nwbtms.protocols import (
    PRESETS,
    Level,
    Protocol,
    build_schedule,
    get_preset,
    load_protocol,
    protocol_from_dict,
    protocol_to_dict,
)

ITBS_YAML = """\
name: my_itbs
description: iTBS as in Huang 2005
levels:           # innermost first
  - {name: pulse, count: 3, interval_s: 0.02}
  - {name: burst, count: 10, interval_s: 0.2}
  - {name: train, count: 20, gap_s: 8}
waveform: biphasic
pulse_width_us: 280
intensity_value: 80
intensity_reference: percent_threshold
threshold_type: amt
"""


def write(tmp_path: Path, text: str, name: str = "protocol.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_equals_preset_timing(tmp_path):
    protocol = load_protocol(write(tmp_path, ITBS_YAML))
    assert protocol.levels == get_preset("itbs_600").levels
    assert protocol.level("train").stated_as == "gap_after_end"
    assert protocol.pulse_width_us == 280.0
    assert build_schedule(protocol).times_s[-1] == 191.84


def test_json_file(tmp_path):
    data = protocol_to_dict(get_preset("rtms_10hz_fda"))
    protocol = load_protocol(write(tmp_path, json.dumps(data, indent=1), "p.json"))
    assert protocol == get_preset("rtms_10hz_fda")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_the_file_form(name):
    preset = get_preset(name, **({"sessions_per_day": 3, "session_gap_s": 1600} if name == "aitbs_mouse_day" else {}))
    again = protocol_from_dict(protocol_to_dict(preset))
    assert again == preset
    assert [lvl.stated_as for lvl in again.levels] == [lvl.stated_as for lvl in preset.levels]


def test_every_schema_violation_at_once_with_lines(tmp_path):
    text = """\
name: bad name
levels:
  - name: pulse
    count: 3
    interval_s: 0.02
  - name: burst
    count: 0
    interval_s: 0.2
  - name: trian
    count: 20
waveform: sine
intensity_value: 80
intensity_reference: percent_threshold
colour: red
"""
    path = write(tmp_path, text)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    found = {(p.field, p.line) for p in info.value.problems}
    assert found == {
        ("/name", 1), ("/levels/1/count", 7), ("/levels/2", 9), ("/levels/2/name", 9), ("/waveform", 11),
        ("/colour", 14),
    }
    assert all(p.file == str(path) for p in info.value.problems)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "must be >= 1, got 0" in messages and "unknown field 'colour'" in messages
    assert "give exactly one of interval_s, gap_s" in messages


def test_burst_longer_than_its_interval_names_level_and_line(tmp_path):
    text = ITBS_YAML.replace("{name: burst, count: 10, interval_s: 0.2}", "{name: burst, count: 10, interval_s: 0.05}")
    with pytest.raises(ProtocolError) as info:
        load_protocol(write(tmp_path, text))
    (problem,) = info.value.problems
    assert problem.line == 5 and problem.field == "/levels/1/interval_s"
    assert "level 'burst'" in problem.message and "60 ms" in problem.message and "50 ms" in problem.message
    assert "cannot be longer than its interval" in problem.message


def test_train_longer_than_its_interval(tmp_path):
    text = ITBS_YAML.replace("{name: train, count: 20, gap_s: 8}", "{name: train, count: 20, interval_s: 1.5}")
    with pytest.raises(ProtocolError, match="physically inconsistent") as info:
        load_protocol(write(tmp_path, text))
    assert "level 'train': one train lasts 2 s" in info.value.problems[0].message


def test_zero_count_in_code_names_the_level():
    with pytest.raises(ProtocolError) as info:
        Protocol(name="x", levels=(Level("pulse", 3, 20_000), Level("burst", 0, 200_000)), intensity_value=50,
                 intensity_reference="percent_mso")
    assert "level 'burst': count is 0" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("levels", "fragment"),
    [
        ((Level("burst", 3, 20_000),), "innermost level must be 'pulse'"),
        ((Level("pulse", 3, 20_000), Level("day", 2, 10**11), Level("train", 2, 10**10)), "inner to outer"),
        ((Level("pulse", 3, 0),), "would coincide"),
        ((Level("pulse", 3, 200),), "pulse width"),
    ],
)
def test_physical_checks(levels, fragment):
    with pytest.raises(ProtocolError) as info:
        Protocol(name="x", levels=levels, intensity_value=50, intensity_reference="percent_mso",
                 pulse_width_us=280.0)
    assert fragment in str(info.value)


def test_vocabulary_checks_use_ndx_tms_terms():
    with pytest.raises(ProtocolError) as info:
        Protocol(name="x", levels=(Level("pulse", 1, 0),), intensity_value=120, intensity_reference="percent_mso",
                 waveform="square", sham=True)
    text = str(info.value)
    assert "'square' is not an accepted term" in text and "exceeds 100" in text and "sham_type" in text


def test_sub_microsecond_interval_refused(tmp_path):
    text = ITBS_YAML.replace("interval_s: 0.02}", "interval_s: 0.0200005}")
    with pytest.raises(ProtocolError, match="finer than 1 us"):
        load_protocol(write(tmp_path, text))


def test_jitter_that_could_overlap_is_refused():
    data = protocol_to_dict(get_preset("single_pulse"))
    data["jitter"]["max_s"] = 5.0
    with pytest.raises(ProtocolError, match="could make pulses overlap"):
        protocol_from_dict(data)


def test_not_a_mapping_and_bad_yaml(tmp_path):
    with pytest.raises(ProtocolError, match="mapping"):
        load_protocol(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ProtocolError) as info:
        load_protocol(write(tmp_path, "name: [x\nlevels: 3\n"))
    assert info.value.line is not None


def test_missing_file_is_a_protocol_error(tmp_path):
    with pytest.raises(ProtocolError, match="not found"):
        load_protocol(tmp_path / "nope.yaml")


def test_schema_enums_match_ndx_tms_vocabulary():
    from ndx_tms import vocabulary as vocab

    from nwbtms.io.yaml_loader import load_schema

    props = load_schema("protocol")["properties"]
    assert set(props["waveform"]["enum"]) == vocab.WAVEFORMS
    assert set(props["intensity_reference"]["enum"]) == vocab.INTENSITY_REFERENCES
    assert set(props["threshold_type"]["enum"]) == vocab.THRESHOLD_TYPES
    assert set(props["coil_current_direction"]["enum"]) == vocab.COIL_CURRENT_DIRECTIONS
    assert set(props["induced_current_direction"]["enum"]) == vocab.INDUCED_CURRENT_DIRECTIONS
    assert set(props["sham_type"]["enum"]) - {""} == vocab.SHAM_TYPES


@pytest.mark.parametrize("field", ["total_pulses", "duration_s", "frequency_hz"])
def test_derived_quantities_cannot_be_stored(tmp_path, field):
    """Totals, durations and frequencies are derived from the levels, never stored twice."""
    with pytest.raises(ProtocolError) as info:
        load_protocol(write(tmp_path, ITBS_YAML + f"{field}: 600\n"))
    assert [p.field for p in info.value.problems] == [f"/{field}"]
    level_text = ITBS_YAML.replace("interval_s: 0.02}", "interval_s: 0.02, frequency_hz: 50}")
    with pytest.raises(ProtocolError) as info:
        load_protocol(write(tmp_path, level_text))
    assert info.value.problems[0].field == "/levels/0/frequency_hz"


def test_ramp_in_a_file_loads_schedules_and_round_trips(tmp_path):
    text = ITBS_YAML + "ramp: {level: train, count: 4, start_fraction: 0.5}\n"
    protocol = load_protocol(write(tmp_path, text))
    assert protocol.ramp is not None and protocol.ramp.count == 4
    fraction = build_schedule(protocol).intensity_fraction
    assert fraction[0] == 0.5 and fraction[-1] == 1.0
    assert protocol_from_dict(protocol_to_dict(protocol)) == protocol
    assert "ramp: first 4 train(s) from 0.5" in protocol.describe()
