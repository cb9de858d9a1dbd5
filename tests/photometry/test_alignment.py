"""Which pulses a pulse-aligned photometry response is aligned to (``pulse_onsets``): derived from the pulses
table's train/burst numbers, else from the gaps between pulses; ``min_gap_s`` overrides."""

from __future__ import annotations

import numpy as np
import pytest

from nwbtms.photometry.response import pulse_onsets

WINDOW_S = 3.0  # the default response window, (-1, 2) s


def _theta_burst(trains: int = 3, train_interval_s: float = 10.0):
    """iTBS pulses table columns: 10 bursts of 3 pulses at 50 Hz, bursts at 5 Hz, trains every 10 s."""
    train, burst, pulse = np.meshgrid(np.arange(trains), np.arange(10), np.arange(3), indexing="ij")
    times = 100.0 + train * train_interval_s + burst * 0.2 + pulse * 0.02
    numbers = {"session": np.zeros(times.size, dtype=int), "train_number": train.ravel(),
               "burst_number": burst.ravel()}
    return times.ravel(), numbers


def test_theta_burst_is_aligned_to_train_onsets_from_numbers_or_gaps():
    times, numbers = _theta_burst()
    onsets, label = pulse_onsets(times[::-1], {k: v[::-1] for k, v in numbers.items()}, quiet_s=WINDOW_S)
    assert label == "train onsets" and onsets.tolist() == [100.0, 110.0, 120.0]
    # not matched to the protocol (-1): the gaps say the same (bursts 0.16 s apart, trains 8.16 s)
    unmatched = dict(numbers, train_number=np.full(times.size, -1), burst_number=np.full(times.size, -1))
    onsets, label = pulse_onsets(times, unmatched, quiet_s=WINDOW_S)
    assert onsets.tolist() == [100.0, 110.0, 120.0] and label == "pulses after >= 8.16 s gaps"
    # a window shorter than the gap between bursts: burst onsets
    onsets, label = pulse_onsets(times, numbers, quiet_s=0.1)
    assert label == "burst onsets" and onsets.size == 30
    assert pulse_onsets(times, None, quiet_s=0.1)[0].size == 30
    # one numbered train: its onset
    one, one_numbers = _theta_burst(trains=1)
    onsets, label = pulse_onsets(one, one_numbers, quiet_s=WINDOW_S)
    assert (onsets.tolist(), label) == ([100.0], "train onsets")


def test_single_pulses_are_each_aligned_to():
    times = np.arange(20) * 5.0 + np.random.default_rng(0).uniform(-1.0, 1.0, 20)  # 5 +/- 1 s, jittered
    for numbers in (None, {"session": np.zeros(20), "train_number": np.zeros(20), "burst_number": np.zeros(20)},
                    {"train_number": np.arange(20), "burst_number": np.zeros(20)}):
        onsets, label = pulse_onsets(times, numbers, quiet_s=WINDOW_S)
        assert label == "every pulse" and onsets.tolist() == sorted(times.tolist())
    # closer than the window and without structure (1 Hz): still every pulse
    assert pulse_onsets(np.arange(10.0), None, quiet_s=WINDOW_S)[1] == "every pulse"


@pytest.mark.parametrize(("min_gap_s", "count", "label"), [(0.0, 90, "every pulse"),
                                                           (0.1, 30, "pulses after >= 0.1 s")])
def test_min_gap_overrides(min_gap_s, count, label):
    times, numbers = _theta_burst()
    onsets, got = pulse_onsets(times, numbers, quiet_s=WINDOW_S, min_gap_s=min_gap_s)
    assert (onsets.size, got) == (count, label)
