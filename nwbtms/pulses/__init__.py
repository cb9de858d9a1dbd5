"""Pulse logic on plain arrays and recordings: detection (``detect``), merging and sessions.

Pure numpy; no pynwb. Detection: :func:`nwbtms.pulses.detect.detect_pulses`.
"""

from nwbtms.pulses.detect import DetectedPulses, detect_pulses, detect_pulses_in_array

__all__ = ["DetectedPulses", "detect_pulses", "detect_pulses_in_array"]
