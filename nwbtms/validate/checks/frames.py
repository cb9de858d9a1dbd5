"""Step 6, imaging frames: rates positive, and every TMSArtifactMask's values recomputed from the pulses, its
artifact window, its frame duration and the frame times of its series (frames the file marks wrongly are
reported both ways: stimulated frames left clean, clean frames marked).

The rule is the one masks are written with (:func:`nwbtms.imaging.artifacts.artifact_mask`): frame ``i`` acquired
during ``[t_i, t_i + frame_duration)`` is masked when it overlaps ``[pulse + window start, pulse + window stop]``
of any pulse. A mask is only called wrong where the verdict holds with the window 1 us wider and narrower, so
times rounded to the microsecond they are written at never make a finding. Frame times are read in slices.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._tables import file_objects
from nwbtms.validate.chunked import CHUNK_ELEMENTS, FirstOffender, iter_rows, n_rows, unwrap
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

TMS_IMAGING_RATE = define(
    "tms.imaging.rate", Severity.CRITICAL, 6, "Imaging rates (ImagingPlane.imaging_rate, series rate) are finite "
    "and above 0.", "Write the frame rate in Hz (frames per second of the plane).", profiles=("tms",))
TMS_ARTIFACT_MASK_VALUES = define(
    "tms.imaging.artifact_mask_values", Severity.CRITICAL, 6,
    "Every TMSArtifactMask marks exactly the frames its pulses, artifact window and frame duration give.",
    "Recompute the mask (nwbtms.imaging.artifacts.build_artifact_mask) from the pulses and the series' frame "
    "times.", profiles=("tms",))

#: Allowance on every time compared (times are written at 1 us resolution).
TIME_TOLERANCE_S = 1e-6


@register_check(TMS_IMAGING_RATE, neurodata_type=("ImagingPlane", "ImageSeries"))
def check_imaging_rate(obj) -> Iterator[Hit]:
    """``imaging_rate`` of an ImagingPlane, or ``rate`` of an ImageSeries, when given, is finite and > 0."""
    for attribute in ("imaging_rate", "rate"):
        value = getattr(obj, attribute, None)
        if value is None or not hasattr(type(obj), attribute):
            continue
        if not (math.isfinite(float(value)) and float(value) > 0):
            yield TMS_IMAGING_RATE.hit(f"{type(obj).__name__} {obj.name!r}: {attribute} is {plain(value)} Hz",
                                       location=object_path(obj))


def frame_time_blocks(series, chunk_elements: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(first frame, start times)`` of the frames of ``series`` in slices (timestamps, or starting_time and
    rate); nothing when the series has neither."""
    timestamps = series.timestamps
    if timestamps is not None:
        if hasattr(timestamps, "timestamps"):  # timestamps linked from another series
            timestamps = timestamps.timestamps
        for start, block in iter_rows(timestamps, chunk_elements=chunk_elements):
            yield start, np.asarray(block, dtype=float)
        return
    rate = series.rate
    frames = n_rows(series.data) if series.data is not None else 0
    if not rate or not math.isfinite(float(rate)) or float(rate) <= 0:
        return
    first = float(series.starting_time or 0.0)
    for start in range(0, frames, chunk_elements):
        stop = min(frames, start + chunk_elements)
        yield start, first + np.arange(start, stop) / float(rate)


def _expected(frames: np.ndarray, duration: float, pulses: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """True where a frame overlaps a pulse's window (``pulses`` sorted; frames in any order)."""
    first = np.searchsorted(pulses, frames - window[1], side="left")  # first pulse whose window stop >= t
    after = np.searchsorted(pulses, frames + duration - window[0], side="left")  # pulses with start < t + d
    return after > first


def _pulse_times(pulses, chunk_elements: int) -> np.ndarray:
    """Finite pulse times of a TMSPulsesTable in seconds (its declared unit), sorted."""
    from nwbtms.validate.checks.units import seconds_of

    column = pulses["timestamp"]
    scale = seconds_of(column)
    parts = [np.asarray(block, dtype=float) * scale for _, block in iter_rows(column.data,
                                                                              chunk_elements=chunk_elements)]
    times = np.concatenate(parts) if parts else np.empty(0)
    return np.sort(times[np.isfinite(times)])


@register_check(TMS_ARTIFACT_MASK_VALUES, neurodata_type="TMSArtifactMask")
def check_artifact_mask_values(mask, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """The values of one TMSArtifactMask against those recomputed from its pulses (its ``pulses`` link, else
    every pulses table of its file), window, frame duration and the frame times of its series."""
    series = getattr(mask, "series", None)
    location = object_path(mask)
    values = unwrap(mask.mask)
    n_values = n_rows(values)
    if series is None:
        return
    n_frames = n_rows(series.timestamps) if series.timestamps is not None else (
        n_rows(series.data) if series.data is not None else 0)
    if n_values != n_frames or n_frames == 0:
        return  # tms.imaging.artifact_mask reports a mask whose length is not the series' number of frames
    window = tuple(float(v) for v in np.asarray(mask.artifact_window_in_s, dtype=float).reshape(-1)[:2])
    duration = float(mask.frame_duration_in_s)
    if len(window) != 2 or not all(map(math.isfinite, window)) or window[1] < window[0]:
        yield TMS_ARTIFACT_MASK_VALUES.hit(f"artifact_window_in_s {tuple(plain(w) for w in window)} is not a "
                                           "(start, stop) window with start <= stop", location=location)
        return
    if not (math.isfinite(duration) and duration > 0):
        yield TMS_ARTIFACT_MASK_VALUES.hit(f"frame_duration_in_s is {plain(duration)}; it must be above 0 s",
                                           location=location)
        return
    tables = [mask.pulses] if getattr(mask, "pulses", None) is not None else file_objects(mask, "TMSPulsesTable")
    parts = [_pulse_times(t, chunk_elements) for t in tables]
    pulses = np.sort(np.concatenate(parts)) if parts else np.empty(0)
    wide = (window[0] - TIME_TOLERANCE_S, window[1] + TIME_TOLERANCE_S)
    narrow = (window[0] + TIME_TOLERANCE_S, window[1] - TIME_TOLERANCE_S)
    marked_clean = FirstOffender()  # stimulated frames the file leaves clean
    marked_wrongly = FirstOffender()  # clean frames the file marks
    for start, times in frame_time_blocks(series, chunk_elements):
        stored = np.asarray(values[start:start + times.size], dtype=bool)
        finite = np.isfinite(times)
        must = np.zeros(times.size, dtype=bool)
        may = np.zeros(times.size, dtype=bool)
        if pulses.size:
            must[finite] = _expected(times[finite], max(duration - 2 * TIME_TOLERANCE_S, 0.0), pulses, narrow) \
                if narrow[0] <= narrow[1] else False
            may[finite] = _expected(times[finite], duration + 2 * TIME_TOLERANCE_S, pulses, wide)
        marked_clean.add(start, np.flatnonzero(must & ~stored),
                         lambda i, t=times: f"frame at {plain(t[i])} s")
        marked_wrongly.add(start, np.flatnonzero(stored & ~may & finite),
                           lambda i, t=times: f"frame at {plain(t[i])} s")
    where = column_path(mask, "mask") if location else None
    if marked_clean.count:
        yield TMS_ARTIFACT_MASK_VALUES.hit(
            f"{marked_clean.count} frame(s) of {series.name!r} overlap a pulse's artifact window but the mask says "
            f"clean; first frame {marked_clean.index} ({marked_clean.detail})", location=where,
            index=marked_clean.index, count=marked_clean.count)
    if marked_wrongly.count:
        yield TMS_ARTIFACT_MASK_VALUES.hit(
            f"{marked_wrongly.count} frame(s) of {series.name!r} are marked as artifact but overlap no pulse's "
            f"artifact window; first frame {marked_wrongly.index} ({marked_wrongly.detail})", location=where,
            index=marked_wrongly.index, count=marked_wrongly.count)
