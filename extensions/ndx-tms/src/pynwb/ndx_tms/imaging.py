"""Imaging support types: per-frame TMS artifact masks and clock alignment fits."""

from __future__ import annotations

import numpy as np

from ndx_tms._registry import generated, register
from ndx_tms.vocabulary import TMSValueError


@register
class TMSArtifactMask(generated("TMSArtifactMask")):
    """Per-frame mask (True = frame overlaps a pulse plus its artifact window) of an imaging series."""

    def _check(self) -> None:
        window = np.asarray(self.artifact_window_in_s, dtype=float)
        if window.shape != (2,) or window[1] < window[0]:
            raise TMSValueError(f"TMSArtifactMask.artifact_window_in_s must be (start, stop), got {window}")
        if self.frame_duration_in_s is not None and not self.frame_duration_in_s > 0:
            raise TMSValueError("TMSArtifactMask.frame_duration_in_s must be > 0")


@register
class TMSClockAlignment(generated("TMSClockAlignment")):
    """Offset and linear drift mapping a device clock onto the session clock, with residuals."""

    def _check(self) -> None:
        if len(self.device_time_in_s) != len(self.residual_in_s):
            raise TMSValueError("TMSClockAlignment: device_time_in_s and residual_in_s differ in length")
