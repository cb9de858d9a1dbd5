"""Imaging logic on plain arrays: per-frame TMS artifact masks (``artifacts``) and clock fits (``clock``)."""

from nwbtms.imaging.artifacts import artifact_mask, build_artifact_mask
from nwbtms.imaging.clock import ClockFit, build_clock_alignment, fit_clock, to_session_clock

__all__ = [
    "ClockFit",
    "artifact_mask",
    "build_artifact_mask",
    "build_clock_alignment",
    "fit_clock",
    "to_session_clock",
]
