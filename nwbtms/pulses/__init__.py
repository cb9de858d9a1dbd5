"""Pulse logic on plain arrays and recordings: detection, merging with logs and navigators, sessions.

Pure numpy; no pynwb. Detection: :func:`nwbtms.pulses.detect.detect_pulses`; merging TTL times with
stimulator-log and navigator values: :func:`nwbtms.pulses.merge.merge_pulse_sources`; sessions of a course
from gaps: :func:`nwbtms.pulses.sessions.find_sessions`.
"""

from nwbtms.pulses.detect import DetectedPulses, detect_pulses, detect_pulses_in_array, pulses_from_edge_times
from nwbtms.pulses.merge import MergedPulses, MergeReport, merge_pulse_sources
from nwbtms.pulses.sessions import SessionSpan, find_sessions, session_gap_threshold_s

__all__ = [
    "DetectedPulses",
    "MergeReport",
    "MergedPulses",
    "SessionSpan",
    "detect_pulses",
    "detect_pulses_in_array",
    "find_sessions",
    "merge_pulse_sources",
    "pulses_from_edge_times",
    "session_gap_threshold_s",
]
