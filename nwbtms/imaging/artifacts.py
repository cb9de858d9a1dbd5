"""Per-frame TMS artifact masks: which imaging frames overlap a pulse plus its artifact window.

Frame ``i`` is acquired during ``[t_i, t_i + frame_duration_s)``; pulse ``p`` disturbs the closed window
``[p + window_s[0], p + window_s[1]]``. A frame is masked when the two overlap::

    t_i <= p + window_s[1]  and  t_i + frame_duration_s > p + window_s[0]

so a zero-length window masks exactly the frame containing the pulse, and a window ending exactly at a
frame start masks that frame (conservative: an artifact mask should rather flag one frame too many).
All times on the session clock.
"""

from __future__ import annotations

import numpy as np

from nwbtms.errors import InputError

METHOD_TEXT = (
    "frame i acquired during [t_i, t_i + frame_duration_in_s) is masked when it overlaps the closed window "
    "[pulse + artifact_window_in_s[0], pulse + artifact_window_in_s[1]] of any pulse; all times on the "
    "session clock (nwbtms.imaging.artifacts.artifact_mask)"
)


def artifact_mask(
    frame_times_s: np.ndarray,
    frame_duration_s: float,
    pulse_times_s: np.ndarray,
    window_s: tuple[float, float],
) -> np.ndarray:
    """Boolean mask, one value per frame: True where the frame overlaps a pulse's artifact window.

    Parameters
    ----------
    frame_times_s : array
        Start of each frame's acquisition, non-decreasing (s, session clock).
    frame_duration_s : float
        Acquisition window of one frame (s), usually ``1 / frame_rate_hz``.
    pulse_times_s : array
        Pulse times (s, session clock), any order.
    window_s : (float, float)
        ``(start, stop)`` of the artifact relative to each pulse (s), e.g. ``(-0.001, 0.010)``.

    Returns
    -------
    ndarray of bool

    Raises
    ------
    InputError
        Non-positive frame duration, a reversed window or decreasing frame times.
    """
    frames = np.asarray(frame_times_s, dtype=np.float64).reshape(-1)
    pulses = np.asarray(pulse_times_s, dtype=np.float64).reshape(-1)
    start_s, stop_s = (float(v) for v in window_s)
    if not frame_duration_s > 0:
        raise InputError(f"frame duration must be > 0 s, got {frame_duration_s}", field="frame_duration_s")
    if stop_s < start_s:
        raise InputError(f"artifact window ({start_s}, {stop_s}) ends before it starts", field="window_s",
                         hint="give (start, stop) relative to the pulse, e.g. (-0.001, 0.01)")
    if frames.size and np.any(np.diff(frames) < 0):
        raise InputError("frame times must be non-decreasing", field="frame_times_s")
    mask = np.zeros(frames.size, dtype=bool)
    if not frames.size or not pulses.size:
        return mask
    # First frame ending after the window start; first frame starting after the window stop.
    first = np.searchsorted(frames + frame_duration_s, pulses + start_s, side="right")
    after = np.searchsorted(frames, pulses + stop_s, side="right")
    hit = first < after  # windows falling between two frames touch none
    edges = (np.bincount(first[hit], minlength=frames.size + 1)
             - np.bincount(after[hit], minlength=frames.size + 1))
    mask[:] = np.cumsum(edges[:-1]) > 0
    return mask


def frame_times_of(series) -> np.ndarray:
    """Frame start times (s) of a pynwb TimeSeries: its timestamps, or ``starting_time + i / rate``."""
    if series.timestamps is not None:
        timestamps = series.timestamps
        if hasattr(timestamps, "timestamps"):  # timestamps linked from another series
            timestamps = timestamps.timestamps
        return np.asarray(timestamps[:], dtype=np.float64)
    num_frames = series.data.shape[0] if hasattr(series.data, "shape") else len(series.data)
    return (series.starting_time or 0.0) + np.arange(num_frames) / series.rate


def build_artifact_mask(
    series,
    pulse_times_s: np.ndarray,
    window_s: tuple[float, float],
    *,
    frame_duration_s: float | None = None,
    pulses=None,
    name: str | None = None,
):
    """An ``ndx_tms.TMSArtifactMask`` of ``series`` (a TwoPhotonSeries already on the session clock).

    Parameters
    ----------
    series : pynwb TimeSeries
        The imaging series; frame times come from its timestamps or rate.
    pulse_times_s : array
        Pulse times on the session clock.
    window_s : (float, float)
        Artifact window around each pulse (s).
    frame_duration_s : float, optional
        Default ``1 / rate`` of the series (or the median timestamp interval).
    pulses : ndx_tms.TMSPulsesTable, optional
        The pulses table the times came from, linked from the mask.
    name : str, optional
        Default ``<series name>_tms_artifact_mask``.
    """
    from ndx_tms import TMSArtifactMask

    frames = frame_times_of(series)
    if frame_duration_s is None:
        if series.rate is not None:
            frame_duration_s = 1.0 / series.rate
        elif frames.size > 1:
            frame_duration_s = float(np.median(np.diff(frames)))
        else:
            raise InputError(f"series {series.name}: give frame_duration_s (one frame, no rate)",
                             field="frame_duration_s")
    mask = artifact_mask(frames, frame_duration_s, pulse_times_s, window_s)
    return TMSArtifactMask(
        name=name or f"{series.name}_tms_artifact_mask", mask=mask,
        artifact_window_in_s=[float(v) for v in window_s],
        frame_duration_in_s=float(frame_duration_s), series=series, pulses=pulses, method=METHOD_TEXT,
    )
