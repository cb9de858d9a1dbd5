"""Reconciliation of delivered against declared pulses: offset, drift, jitter, dropped and extra pulses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.errors import InputError
from nwbtms.protocols import build_schedule, get_preset, reconcile


def deliver(declared_s, *, drop=(), extra_s=(), offset_s=0.0, drift_ppm=0.0, jitter_s=0.0, seed=0):
    """Delivered times: declared minus ``drop``, plus ``extra_s`` (declared clock), on a shifted, drifting clock."""
    rng = np.random.default_rng(seed)
    keep = np.ones(declared_s.size, dtype=bool)
    keep[list(drop)] = False
    times = np.sort(np.concatenate([declared_s[keep], np.asarray(extra_s, dtype=float)]))
    times = offset_s + times * (1 + drift_ppm * 1e-6)
    return times + rng.uniform(-jitter_s, jitter_s, times.size)


def test_perfect_delivery():
    declared = build_schedule(get_preset("itbs_600")).times_s
    result = reconcile(declared, declared)
    assert result.ok and len(result.matched) == 600
    assert np.array_equal(result.matched[:, 0], result.matched[:, 1])
    assert result.offset_s == pytest.approx(0, abs=1e-9) and result.drift_ppm == pytest.approx(0, abs=1e-6)
    assert result.discrepancies == []


def test_itbs_with_offset_drift_jitter_dropped_and_extra():
    schedule = build_schedule(get_preset("itbs_600"))
    declared = schedule.times_s
    dropped = [0, 12 * 30 + 4 * 3, 12 * 30 + 4 * 3 + 1, 12 * 30 + 4 * 3 + 2, 599]
    delivered = deliver(declared, drop=dropped, extra_s=[55.0, 100.03], offset_s=7.25, drift_ppm=20,
                        jitter_s=0.0005)
    result = reconcile(declared, delivered, schedule=schedule)
    assert result.missing.tolist() == dropped
    assert result.extra.size == 2
    assert result.offset_s == pytest.approx(7.25, abs=1e-3)
    assert result.drift_ppm == pytest.approx(20, abs=10)
    assert result.max_abs_residual_s <= 0.0006
    texts = [str(d) for d in result.discrepancies]
    assert "train 12: 3 pulses missing" in texts
    assert "train 0: 1 pulse missing" in texts and "train 19: 1 pulse missing" in texts
    assert "between train 5 and train 6: 1 pulse extra" in texts  # 55 s falls in the 8 s pause
    assert "train 10: 1 pulse extra" in texts  # 100.03 s lies inside train 10
    assert "3 pulses missing" in result.summary()


def test_snt_course_with_20_ppm_drift_over_days():
    schedule = build_schedule(get_preset("snt_course"))
    declared = schedule.times_s
    rng = np.random.default_rng(5)
    dropped = np.sort(rng.choice(declared.size, 900, replace=False))
    extra = rng.uniform(0, declared[-1], 90)
    delivered = deliver(declared, drop=dropped, extra_s=extra, offset_s=-3.7, drift_ppm=20, jitter_s=0.0002)
    result = reconcile(declared, delivered, schedule=schedule)
    # 20 ppm over 4.4 days is 7.6 s: far beyond the 5 ms tolerance without the drift fit
    assert result.drift_ppm == pytest.approx(20, abs=0.01)
    assert result.offset_s == pytest.approx(-3.7, abs=1e-4)
    # an extra pulse within the tolerance of a dropped pulse's slot legitimately takes its place
    assert set(result.missing.tolist()) <= set(dropped.tolist())
    assert result.missing.size >= 895 and result.extra.size >= 85
    assert len(result.matched) + result.missing.size == declared.size
    assert len(result.matched) + result.extra.size == delivered.size
    assert result.max_abs_residual_s <= 0.00021
    assert result.discrepancies[0].location.startswith("day 0, session 0, train ")


def test_extra_pulse_before_first_and_unsorted_delivered():
    schedule = build_schedule(get_preset("itbs_600"))
    declared = schedule.times_s
    delivered = deliver(declared, extra_s=[-2.0], offset_s=3.0)
    shuffled = np.random.default_rng(1).permutation(delivered.size)
    result = reconcile(declared, delivered[shuffled], schedule=schedule)
    assert result.missing.size == 0 and result.extra.size == 1
    assert delivered[shuffled][result.extra[0]] == pytest.approx(1.0)
    assert str(result.discrepancies[0]) == "before the first pulse: 1 pulse extra"
    # matched delivered indices refer to the caller's (unsorted) order
    np.testing.assert_allclose(delivered[shuffled][result.matched[:, 1]] - 3.0, declared[result.matched[:, 0]],
                               atol=1e-9)


def test_without_schedule_runs_are_reported_by_index():
    declared = build_schedule(get_preset("rtms_10hz_fda")).times_s
    delivered = deliver(declared, drop=[100, 101, 102], offset_s=1.5)
    result = reconcile(declared, delivered)
    assert [str(d) for d in result.discrepancies] == ["declared pulses 100-102 (t=62.000000 s): 3 pulses missing"]


def test_offset_hint_resolves_periodic_ambiguity():
    declared = build_schedule(get_preset("rtms_1hz", count=60)).times_s
    delivered = deliver(declared, drop=[0], offset_s=10.0)
    # first delivered pulse is declared pulse 1: without a hint one period of offset is ambiguous
    result = reconcile(declared, delivered, offset_hint_s=10.0)
    assert result.missing.tolist() == [0]
    assert result.offset_s == pytest.approx(10.0, abs=1e-6)


def test_empty_inputs():
    declared = build_schedule(get_preset("ctbs_300")).times_s
    nothing = reconcile(declared, [])
    assert nothing.missing.size == 300 and len(nothing.matched) == 0
    none_declared = reconcile([], [1.0, 2.0])
    assert none_declared.extra.tolist() == [0, 1]


def test_bad_inputs():
    schedule = build_schedule(get_preset("ctbs_300"))
    with pytest.raises(InputError, match="finite"):
        reconcile([0.0, np.nan], [0.0])
    with pytest.raises(InputError, match="schedule has 300 pulses"):
        reconcile([0.0, 1.0], [0.0], schedule=schedule)
    with pytest.raises(InputError, match="tolerance_s"):
        reconcile([0.0, 1.0], [0.0], tolerance_s=0)


@settings(max_examples=25, deadline=None)
@given(
    offset_s=st.floats(-30, 30),
    drift_ppm=st.floats(-50, 50),
    drop_fraction=st.floats(0, 0.05),
    seed=st.integers(0, 1000),
)
def test_property_recovers_clock_and_every_dropped_pulse(offset_s, drift_ppm, drop_fraction, seed):
    schedule = build_schedule(get_preset("aitbs_mouse_day", sessions_per_day=3, session_interval_s=1800))
    declared = schedule.times_s
    rng = np.random.default_rng(seed)
    dropped = np.flatnonzero(rng.random(declared.size) < drop_fraction)
    dropped = dropped[dropped > 0]  # keep the first pulse so the periodic alignment is unambiguous
    delivered = deliver(declared, drop=dropped, offset_s=offset_s, drift_ppm=drift_ppm, jitter_s=0.001, seed=seed)
    result = reconcile(declared, delivered, schedule=schedule)
    assert result.missing.tolist() == dropped.tolist()
    assert result.extra.size == 0
    assert result.offset_s == pytest.approx(offset_s, abs=2e-3)
    assert result.drift_ppm == pytest.approx(drift_ppm, abs=2.0)


def test_unsorted_declared_without_schedule_reports_the_callers_indices():
    declared = build_schedule(get_preset("rtms_10hz_fda")).times_s
    delivered = deliver(declared, drop=[100, 101, 102], offset_s=1.5)
    reverse = declared[::-1].copy()  # caller index k is sorted position 2999 - k
    result = reconcile(reverse, delivered)
    expected = sorted(2999 - i for i in (100, 101, 102))
    assert sorted(result.missing.tolist()) == expected
    (gap,) = result.discrepancies
    assert sorted(gap.indices) == expected
    assert all(str(i) in gap.location for i in expected)
    np.testing.assert_allclose(reverse[result.matched[:, 0]] + 1.5, delivered[result.matched[:, 1]], atol=1e-9)
