"""Sessions of an accelerated course found from gaps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.errors import InputError, ProtocolError
from nwbtms.pulses.sessions import SessionSpan, find_sessions, session_gap_threshold_s

#: iTBS (Huang 2005): 3 pulses at 50 Hz, bursts every 200 ms, 10 bursts a train, trains every 10 s, 20 trains.
ITBS = [("pulse", 3, 0.02), ("burst", 10, 0.2), ("train", 20, 10.0)]


def itbs_times_s() -> np.ndarray:
    t_us = np.zeros(1, dtype=np.int64)
    for _, count, interval_s in ITBS:
        t_us = (np.arange(count, dtype=np.int64)[:, None] * round(interval_s * 1e6) + t_us[None, :]).ravel()
    return t_us / 1e6


def aitbs_course(sessions=5, interval_s=3000.0, first_s=60.0, drop=()):
    one = itbs_times_s()
    times = np.concatenate([first_s + s * interval_s + one for s in range(sessions)])
    return np.delete(times, list(drop))


def test_itbs_threshold_from_levels():
    # longest pause within a session: 10 s train interval - 1.84 s train = 8.16 s
    assert session_gap_threshold_s(ITBS) == pytest.approx(2 * 8.16)
    with_sessions = ITBS + [("session", 5, 3000.0)]
    between = 3000.0 - 191.84
    assert session_gap_threshold_s(with_sessions) == pytest.approx((8.16 + between) / 2)


def test_threshold_accepts_protocol_levels():
    from nwbtms.protocols.model import Level

    levels = [Level("pulse", 3, 20_000), Level("burst", 10, 200_000), Level("train", 20, 10_000_000)]
    assert session_gap_threshold_s(levels) == pytest.approx(16.32)
    with pytest.raises(ProtocolError):
        session_gap_threshold_s([("pulse", 1, 0.0)])
    with pytest.raises(ProtocolError):
        session_gap_threshold_s([])


def test_aitbs_day_sessions_with_dropped_pulses():
    times = aitbs_course(sessions=5, drop=(0, 700, 2999))  # first pulse of day, one mid-session, the last
    spans = find_sessions(times, min_gap_s=session_gap_threshold_s(ITBS + [("session", 5, 3000.0)]))
    assert len(spans) == 5
    assert [s.num_pulses for s in spans] == [599, 599, 600, 600, 599]
    assert spans[0] == SessionSpan(0, 599, pytest.approx(60.02), pytest.approx(60 + 191.84))
    assert spans[1].start_s == pytest.approx(3060.0)
    assert spans[-1].stop_index == times.size
    for span in spans:
        assert np.all(np.diff(times[span.start_index:span.stop_index]) <= 8.16 + 1e-9)


def test_a_long_pause_inside_a_session_below_threshold_stays_one_session():
    times = itbs_times_s()
    times[300:] += 10.0  # a 10 s hold mid-session: pause 18.16 s
    assert len(find_sessions(times, min_gap_s=session_gap_threshold_s(ITBS + [("session", 3, 1800.0)]))) == 1
    assert len(find_sessions(times, min_gap_s=session_gap_threshold_s(ITBS))) == 2


def test_edge_cases_and_bad_input():
    assert find_sessions([], min_gap_s=1.0) == []
    assert find_sessions([5.0], min_gap_s=1.0) == [SessionSpan(0, 1, 5.0, 5.0)]
    with pytest.raises(InputError, match="non-decreasing"):
        find_sessions([0.0, 2.0, 1.0], min_gap_s=1.0)
    with pytest.raises(InputError, match="min_gap_s"):
        find_sessions([0.0], min_gap_s=0.0)
    with pytest.raises(InputError, match="finite"):
        find_sessions([0.0, np.nan], min_gap_s=1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=6),
       st.floats(min_value=100.0, max_value=5000.0))
def test_sessions_partition_the_pulses(pulses_per_session, session_interval_s):
    times = np.concatenate([k * session_interval_s + np.arange(n) * 1.0
                            for k, n in enumerate(pulses_per_session)])
    spans = find_sessions(times, min_gap_s=50.0)
    assert [s.num_pulses for s in spans] == pulses_per_session
    assert spans[0].start_index == 0 and spans[-1].stop_index == times.size
    assert all(a.stop_index == b.start_index for a, b in zip(spans, spans[1:], strict=False))
