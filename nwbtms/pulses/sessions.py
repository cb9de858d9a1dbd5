"""Stimulation sessions of an accelerated course, found from gaps between delivered pulses.

An accelerated course (aiTBS, SNT/SAINT: Cole et al. 2020) delivers several sessions in one day.
Within a session the longest pause between consecutive pulses is the inter-train pause (iTBS: 10 s
onset-to-onset minus the 2 s train = 8 s, Huang 2005); between sessions it is tens of minutes (SNT: 50 min,
Cole 2020). A new session starts after any gap longer than ``min_gap_s``.

:func:`session_gap_threshold_s` derives ``min_gap_s`` from a protocol's timing levels: above the longest
within-session pause, by :data:`WITHIN_SESSION_MARGIN` (pauses a little longer than scheduled, e.g. a
stimulator recharging, stay inside), and halfway to the between-session gap when the protocol declares a
session level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from nwbtms.errors import InputError, ProtocolError

#: Threshold = this many times the longest scheduled within-session pause when no session level is known.
WITHIN_SESSION_MARGIN = 2.0
SESSION_LEVELS = ("session", "day", "course")


@dataclass(frozen=True)
class SessionSpan:
    """One session: pulses ``times_s[start_index:stop_index]`` (stop exclusive), first and last pulse time."""

    start_index: int
    stop_index: int
    start_s: float
    stop_s: float

    @property
    def num_pulses(self) -> int:
        """Pulses in the session."""
        return self.stop_index - self.start_index


def find_sessions(times_s, *, min_gap_s: float) -> list[SessionSpan]:
    """Split pulse times into sessions wherever consecutive pulses are more than ``min_gap_s`` apart.

    Parameters
    ----------
    times_s : array_like of float
        Delivered pulse times, non-decreasing, s.
    min_gap_s : float
        A gap strictly longer than this starts a new session; see :func:`session_gap_threshold_s`.

    Returns
    -------
    list of SessionSpan
        In time order; empty for no pulses.
    """
    times = np.asarray(times_s, dtype=np.float64).ravel()
    if not (np.isfinite(min_gap_s) and min_gap_s > 0):
        raise InputError(
            f"min_gap_s must be a positive number of seconds, got {min_gap_s}",
            field="min_gap_s",
            hint="use session_gap_threshold_s(protocol) or a value above the inter-train pause",
        )
    if times.size == 0:
        return []
    if not np.all(np.isfinite(times)):
        raise InputError("pulse times must be finite", field="times_s", hint="drop NaN times first")
    gaps = np.diff(times)
    if np.any(gaps < 0):
        raise InputError("pulse times must be non-decreasing", field="times_s", hint="sort the pulse times")
    breaks = np.flatnonzero(gaps > min_gap_s) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [times.size]])
    return [
        SessionSpan(int(a), int(b), float(times[a]), float(times[b - 1])) for a, b in zip(starts, stops, strict=True)
    ]


def session_gap_threshold_s(levels: Iterable) -> float:
    """A ``min_gap_s`` for :func:`find_sessions` from a protocol's nested timing levels.

    Parameters
    ----------
    levels : iterable or Protocol
        A :class:`~nwbtms.protocols.Protocol` (its ``levels``) or levels innermost first, each a
        ``Level`` (``name``, ``count``, ``interval_us``) of
        :mod:`nwbtms.protocols` or a ``(name, count, interval_s)`` tuple. Levels named ``session``, ``day``
        or ``course`` and those outside them are between sessions.

    Returns
    -------
    float
        Halfway between the longest within-session pause and the between-session gap when a session
        level is declared; otherwise :data:`WITHIN_SESSION_MARGIN` times the longest within-session pause.
    """
    parsed = [_level(level) for level in getattr(levels, "levels", levels)]
    if not parsed:
        raise ProtocolError("protocol has no timing levels", field="levels", hint="declare pulse/burst/train levels")
    within: list[tuple[str, int, int]] = []
    session_interval_us = None
    for name, count, interval_us in parsed:
        if name in SESSION_LEVELS:
            if name == "session" and count > 1:
                session_interval_us = interval_us
            break
        within.append((name, count, interval_us))
    longest_pause_us, duration_us = _longest_pause_us(within)
    if longest_pause_us <= 0:
        raise ProtocolError(
            "the protocol has no pause within a session to derive a session gap from",
            field="levels",
            hint="pass min_gap_s explicitly",
        )
    if session_interval_us is not None and session_interval_us - duration_us > longest_pause_us:
        between_us = session_interval_us - duration_us
        return (longest_pause_us + between_us) / 2 / 1e6
    return WITHIN_SESSION_MARGIN * longest_pause_us / 1e6


def _level(level) -> tuple[str, int, int]:
    if hasattr(level, "interval_us"):
        return str(level.name), int(level.count), int(level.interval_us)
    name, count, interval_s = level
    return str(name), int(count), int(round(float(interval_s) * 1e6))


def _longest_pause_us(levels: list[tuple[str, int, int]]) -> tuple[int, int]:
    """Longest pause between consecutive pulses within one session, and the session's duration (both us).

    Built on integers level by level (no float accumulation; docs/ARCHITECTURE.md).
    """
    duration_us = 0  # first to last pulse of one unit of the current level
    longest_us = 0
    for _, count, interval_us in levels:
        if count > 1:
            longest_us = max(longest_us, interval_us - duration_us)
            duration_us = (count - 1) * interval_us + duration_us
    return longest_us, duration_us
