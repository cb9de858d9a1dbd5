"""Schedule invariants (hypothesis) and exactness."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.protocols import Jitter, Level, Protocol, Ramp, build_schedule, get_preset
from nwbtms.protocols.model import LEVEL_ORDER


@st.composite
def protocols(draw, with_jitter: bool = False):
    """Random consistent protocols: each level's interval is at least its unit's nominal duration."""
    depth = draw(st.integers(1, 4))
    names = [LEVEL_ORDER[0], *sorted(draw(st.sets(st.sampled_from(LEVEL_ORDER[1:]), min_size=depth - 1,
                                                   max_size=depth - 1)), key=LEVEL_ORDER.index)]
    levels = []
    unit_us = 300  # pulse width
    for name in names:
        count = draw(st.integers(1, 6))
        interval_us = unit_us + draw(st.integers(1, 5_000_000))
        levels.append(Level(name, count, interval_us))
        unit_us = max(count * interval_us, unit_us) if count > 1 else max(interval_us, unit_us)
    jitter = None
    if with_jitter:
        i = draw(st.integers(0, len(levels) - 1))
        room = levels[i].interval_us - (300 if i == 0 else levels[i - 1].count * levels[i - 1].interval_us) - 1
        if i + 1 < len(levels) and levels[i + 1].count > 1:
            room = min(room, (levels[i + 1].interval_us - levels[i].count * levels[i].interval_us)
                       // max(levels[i].count, 1))
        if room > 0:
            jitter = Jitter(levels[i].name, draw(st.integers(0, room)))
    return Protocol(name="random", levels=tuple(levels), intensity_value=50.0, intensity_reference="percent_mso",
                    pulse_width_us=300.0, jitter=jitter)


@settings(max_examples=60, deadline=None)
@given(protocols())
def test_schedule_invariants(protocol):
    schedule = build_schedule(protocol)
    t = schedule.times_us
    assert t.dtype == np.int64 and len(schedule) == protocol.total_pulses
    assert t[0] == 0
    assert t[-1] == protocol.duration_us == sum((lvl.count - 1) * lvl.interval_us for lvl in protocol.levels)
    assert np.all(np.diff(t) > 300)  # strictly increasing, pulses never overlap
    # time is the sum of index x interval, per level
    rebuilt = sum(schedule.index[lvl.name].astype(np.int64) * lvl.interval_us for lvl in protocol.levels)
    assert np.array_equal(rebuilt, t)
    # indices count every unit of every level equally
    for lvl in protocol.levels:
        idx = schedule.index[lvl.name]
        assert idx.min() == 0 and idx.max() == lvl.count - 1
        assert np.all(np.bincount(idx) == protocol.total_pulses // lvl.count)
    # the innermost index cycles fastest
    assert np.array_equal(schedule.index["pulse"], np.arange(len(schedule)) % protocol.levels[0].count)


@settings(max_examples=40, deadline=None)
@given(protocols(with_jitter=True), st.integers(0, 2**32 - 1))
def test_jittered_schedules_are_deterministic_and_ordered(protocol, seed):
    first = build_schedule(protocol, seed=seed)
    again = build_schedule(protocol, seed=seed)
    assert np.array_equal(first.times_us, again.times_us)
    assert first.times_us[0] == 0
    assert np.all(np.diff(first.times_us) > 0)
    if protocol.jitter is not None and protocol.jitter.max_us:
        lvl = protocol.level(protocol.jitter.level)
        per_unit = protocol.pulses_per_unit(lvl.name)
        starts = first.times_us[::per_unit]
        inside = first.index[lvl.name][::per_unit][1:] > 0
        steps = np.diff(starts)[inside]
        assert np.all(np.abs(steps - lvl.interval_us) <= protocol.jitter.max_us)


def test_arrays_are_read_only_and_seconds_exact():
    schedule = build_schedule(get_preset("itbs_600"))
    assert not schedule.times_us.flags.writeable
    assert schedule.times_s[3] == 0.2 and schedule.times_s[30] == 10.0


def test_default_seed_is_reproducible_and_recorded():
    protocol = get_preset("single_pulse")
    assert build_schedule(protocol).seed == 0
    assert np.array_equal(build_schedule(protocol).times_us, build_schedule(protocol, seed=0).times_us)
    assert not np.array_equal(build_schedule(protocol, seed=1).times_us, build_schedule(protocol, seed=0).times_us)
    assert build_schedule(get_preset("itbs_600")).seed is None


def test_locations_are_zero_based_and_skip_single_unit_levels():
    schedule = build_schedule(get_preset("snt_course"))
    i = 2 * 18_000 + 3 * 1800 + 12 * 30 + 4 * 3 + 2
    assert schedule.location(i) == "day 2, session 3, train 12, burst 4, pulse 2"
    assert schedule.location(i, "train") == "day 2, session 3, train 12"
    assert schedule.locations([0, i], "session") == ["day 0, session 0", "day 2, session 3"]
    assert schedule.unit_number("train")[i] == 2 * 600 + 3 * 60 + 12


def test_ramp_fractions():
    protocol = Protocol(name="ramped", levels=get_preset("itbs_600").levels, intensity_value=80.0,
                        intensity_reference="percent_threshold", threshold_type="amt",
                        ramp=Ramp("train", 4, 0.5))
    fraction = build_schedule(protocol).intensity_fraction
    assert fraction[0] == 0.5 and fraction[30] == 0.625 and fraction[3 * 30] == 0.875
    assert np.all(fraction[4 * 30:] == 1.0)
