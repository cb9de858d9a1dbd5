"""Each preset against the literature (the paper each preset cites)."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.errors import ProtocolError
from nwbtms.protocols import PRESETS, build_schedule, get_preset

# name -> (total pulses, last pulse onset in us); sources in nwbtms/protocols/presets.py
LITERATURE = {
    "itbs_600": (600, 191_840_000),  # Huang 2005
    "ctbs_600": (600, 39_840_000),  # Huang 2005: 600 pulses in 40 s
    "ctbs_300": (300, 19_840_000),  # Huang 2005: 300 pulses in 20 s
    "rtms_10hz_fda": (3000, 2_223_900_000),  # O'Reardon 2007: 3000 pulses, 37.5 min
    "snt_session": (1800, 591_840_000),  # Cole 2020: 60 iTBS trains
    "snt_day": (18_000, 9 * 3_600_000_000 + 591_840_000),  # 10 sessions, onsets hourly
    "snt_course": (90_000, 4 * 86_400_000_000 + 9 * 3_600_000_000 + 591_840_000),  # 5 days
    "itbs_three_d": (600, 188_800_000),  # Blumberger 2018 on MagPro: 8 s after each train's last pulse
    "rtms_1hz": (1200, 1_199_000_000),
}
#: Presets whose study parameters have no default.
REQUIRED_PARAMS = {"aitbs_mouse_day": {"sessions_per_day": 3, "session_interval_s": 1800}}


def test_all_issue_names_are_presets():
    assert set(PRESETS) == {
        "single_pulse", "paired_pulse", "rtms_1hz", "rtms_10hz_fda", "itbs_600", "ctbs_300", "ctbs_600",
        "snt_session", "snt_day", "snt_course", "aitbs_mouse_day", "itbs_three_d", "sici", "icf",
    }


@pytest.mark.parametrize("name", sorted(LITERATURE))
def test_count_duration_and_last_pulse(name):
    total, last_us = LITERATURE[name]
    protocol = get_preset(name)
    schedule = build_schedule(protocol)
    assert protocol.total_pulses == total == len(schedule)
    assert protocol.duration_us == last_us
    assert schedule.times_us[0] == 0
    assert schedule.times_us[-1] == last_us
    assert schedule.times_s[-1] == pytest.approx(last_us / 1e6, abs=1e-9)


def test_issue_numbers_in_seconds():
    assert build_schedule(get_preset("itbs_600")).times_s[-1] == 191.84
    assert build_schedule(get_preset("ctbs_600")).times_s[-1] == 39.84
    assert build_schedule(get_preset("rtms_10hz_fda")).times_s[-1] == 2223.9


def test_rtms_10hz_nominal_length_is_37_5_min():
    protocol = get_preset("rtms_10hz_fda")
    assert protocol.nominal_duration_us == 37.5 * 60 * 1_000_000
    assert protocol.gap_us(1) == 26_000_000  # O'Reardon 2007: 26 s between trains
    assert protocol.frequency_hz["pulse"] == 10.0


def test_itbs_frequencies_and_gaps():
    protocol = get_preset("itbs_600")
    assert protocol.frequency_hz == {"pulse": 50.0, "burst": 5.0, "train": 0.1}
    assert protocol.gap_us(2) == 8_000_000  # 2 s on, 8 s off
    assert protocol.threshold_type == "amt" and protocol.intensity_value == 80.0


def test_snt_intersession_gap_and_interval_both_known():
    protocol = get_preset("snt_day")
    session = protocol.level("session")
    assert session.stated_as == "gap_after_end"
    assert protocol.gap_us(3) == 50 * 60 * 1_000_000
    assert session.interval_us == 60 * 60 * 1_000_000
    assert protocol.intensity_value == 90.0 and protocol.threshold_type == "rmt"


def test_snt_course_exact_over_90000_pulses():
    schedule = build_schedule(get_preset("snt_course"))
    t = schedule.times_us
    assert t.dtype == np.int64
    # pulse 3 of burst 10 of train 60 of session 10 of day 5, computed by hand
    assert t[-1] == 4 * 86_400_000_000 + 9 * 3_600_000_000 + 59 * 10_000_000 + 9 * 200_000 + 2 * 20_000
    # every pulse onset is on the 20 ms grid (float accumulation would drift off it)
    assert np.all(t % 20_000 == 0)
    assert schedule.index["day"][-1] == 4 and schedule.index["session"][-1] == 9


def test_aitbs_parameters():
    protocol = get_preset("aitbs_mouse_day", sessions_per_day=5, session_interval_s=3000)
    assert protocol.total_pulses == 3000
    assert protocol.level("session").interval_us == 3_000_000_000
    gap = get_preset("aitbs_mouse_day", sessions_per_day=2, session_gap_s=600)
    assert gap.level("session").interval_us == 200_000_000 + 600_000_000


def test_single_and_paired_pulse_jitter_stays_in_range():
    schedule = build_schedule(get_preset("single_pulse"), seed=3)
    steps = np.diff(schedule.times_us)
    assert steps.min() >= 4_000_000 and steps.max() <= 6_000_000
    paired = build_schedule(get_preset("paired_pulse"))
    assert np.all(paired.times_us[1::2] - paired.times_us[::2] == 3_000)
    assert get_preset("paired_pulse").conditioning_intensity_value == 80.0


def test_unknown_preset_and_parameter():
    with pytest.raises(ProtocolError, match="neither a protocol file nor a preset") as info:
        get_preset("itbs600")
    assert "itbs_600" in info.value.hint
    with pytest.raises(ProtocolError, match="no parameter") as info:
        get_preset("aitbs_mouse_day", sessions=3)
    assert "sessions_per_day" in info.value.hint


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_describe_mentions_totals(name):
    protocol = get_preset(name, **REQUIRED_PARAMS.get(name, {}))
    text = protocol.describe()
    assert name in text and f"{protocol.total_pulses:,} pulses" in text


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("rtms_1hz", "placeholder, not a literature value"),
        ("single_pulse", "convention"),
        ("paired_pulse", "conventions"),
    ],
)
def test_non_literature_defaults_say_so(name, fragment):
    assert fragment in get_preset(name).description


@pytest.mark.parametrize("name", ["snt_day", "snt_course"])
def test_snt_gap_reading_is_documented(name):
    protocol = get_preset(name)
    assert "50-min intersession interval (Cole 2020) is read as the gap" in protocol.description
    assert "sessions start every 60 min" in protocol.description
    assert "every 1 h, gap 50 min; stated as 50 min gap after end" in protocol.describe()


def test_aitbs_mouse_day_requires_its_study_parameters():
    with pytest.raises(ProtocolError, match="needs sessions_per_day and session_interval_s") as info:
        get_preset("aitbs_mouse_day")
    assert "-p sessions_per_day=" in info.value.hint
    day = get_preset("aitbs_mouse_day", **REQUIRED_PARAMS["aitbs_mouse_day"])
    assert day.total_pulses == 1800 and day.duration_us == 2 * 1_800_000_000 + 191_840_000


def test_itbs_three_d_states_the_magpro_interval():
    protocol = get_preset("itbs_three_d")
    train = protocol.level("train")
    assert train.interval_us == 9_840_000 and train.stated_as == "gap_after_last_pulse"
    assert protocol.stated_interval_us(2) == 8_000_000 and protocol.gap_us(2) == 7_840_000
    assert (protocol.intensity_value, protocol.threshold_type) == (120.0, "rmt")
    assert get_preset("itbs_600").level("train").stated_as == "onset_to_onset"


@pytest.mark.parametrize(("name", "isi_us"), [("sici", 3_000), ("icf", 10_000)])
def test_paired_presets_give_conditioning_and_test_intensities(name, isi_us):
    protocol = get_preset(name)
    assert (protocol.threshold_type, protocol.intensity_value) == ("s1mv", 100.0)
    assert (protocol.conditioning_threshold_type, protocol.conditioning_intensity_value) == ("rmt", 70.0)
    assert protocol.conditioning_intensity_reference == "percent_threshold"
    pairs = build_schedule(protocol)
    assert np.all(pairs.times_us[1::2] - pairs.times_us[::2] == isi_us)
    assert "test pulse 100% S1mV, conditioning pulse 70% RMT" in protocol.intensity_text()
