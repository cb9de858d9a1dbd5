"""Clock alignment: fit offset and linear drift between a device clock and the session clock.

Both clocks see one shared signal (the imaging frame clock recorded on the DAQ, or the TMS trigger on an
imaging aux input). Events are matched even when the two lists differ in length (edges recorded by only
one side, dropped frames, the aux input seeing only the pulses during imaging), then fitted by least
squares::

    session_time = offset_s + (1 + drift_ppm * 1e-6) * device_time

the model of ``ndx_tms.TMSClockAlignment``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nwbtms.errors import InputError

#: Default matching tolerance as a fraction of the median reference interval: an event closer to its
#: counterpart than a quarter of the spacing between events is unambiguous.
TOLERANCE_FRACTION = 0.25
#: Index shifts tried beyond the difference of the two event counts when searching the coarse offset.
EXTRA_SHIFTS = 50
#: Largest clock drift considered when comparing intervals: DAQ timebases are specified to tens of ppm
#: (NI X Series: 50 ppm); 1000 ppm leaves a wide margin.
MAX_DRIFT = 1000e-6
#: Shifts scoring within this factor of the best are treated as equally good (noise-only scores of a
#: periodic signal vary by a few percent over 200 intervals; a run of correct pairs halves the score).
TIE_FACTOR = 1.5
#: Relative interval differences below this (10 ppm) cannot tell two index shifts apart.
RELATIVE_NOISE_FLOOR = 10e-6
#: Intervals compared per candidate shift, from the start of the overlap: short enough to lie before most
#: dropped events, long enough to span several TMS trains or hundreds of frames.
MAX_COMPARED_INTERVALS = 200


@dataclass(frozen=True)
class ClockFit:
    """Offset and drift mapping device times onto the session (reference) clock.

    Attributes
    ----------
    offset_s : float
        Session time of device time zero.
    drift_ppm : float
        Rate error of the device clock, parts per million (positive: the device clock runs slow).
    device_times_s, reference_times_s : ndarray
        The matched pairs (device clock, session clock).
    device_index, reference_index : ndarray of int
        Indices of the matched events in the inputs.
    residuals_s : ndarray
        ``reference - to_session_clock(device)`` per matched pair.
    rms_residual_s : float
        Root-mean-square of :attr:`residuals_s`.
    num_device_events, num_reference_events : int
        Lengths of the inputs.
    ambiguous : bool
        Another index shift matched the events as well (a perfectly periodic signal); the shift closest to
        ``initial_offset_s`` (or to zero) was taken. Give ``initial_offset_s`` to decide.
    """

    offset_s: float
    drift_ppm: float
    device_times_s: np.ndarray
    reference_times_s: np.ndarray
    device_index: np.ndarray
    reference_index: np.ndarray
    residuals_s: np.ndarray
    rms_residual_s: float
    num_device_events: int
    num_reference_events: int
    ambiguous: bool = False

    @property
    def num_matched(self) -> int:
        """Number of matched event pairs."""
        return int(self.device_index.size)

    def describe(self) -> str:
        """One line for the user: offset, drift, residuals and how many events matched."""
        worst_ms = float(np.max(np.abs(self.residuals_s))) * 1e3 if self.residuals_s.size else float("nan")
        text = (f"offset {self.offset_s:.6f} s, drift {self.drift_ppm:.2f} ppm, residuals rms "
                f"{self.rms_residual_s * 1e3:.3f} ms (max {worst_ms:.3f} ms), {self.num_matched} events matched "
                f"of {self.num_device_events} device / {self.num_reference_events} reference")
        if self.ambiguous:
            text += "; AMBIGUOUS: another matching fits as well (give initial_offset_s)"
        return text

    @property
    def matched_pairs(self) -> np.ndarray:
        """``(n, 2)`` array of ``(device_index, reference_index)``."""
        return np.column_stack([self.device_index, self.reference_index])


def to_session_clock(times_s: np.ndarray | float, fit: ClockFit | None) -> np.ndarray:
    """Map device times onto the session clock (identity when ``fit`` is None)."""
    times = np.asarray(times_s, dtype=np.float64)
    if fit is None:
        return times
    return fit.offset_s + (1.0 + fit.drift_ppm * 1e-6) * times


def _checked(times_s, name: str) -> np.ndarray:
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    if times.size < 2:
        raise InputError(f"{name}: need at least 2 events to fit a clock, got {times.size}", field=name,
                         hint="record the shared signal (frame clock or TMS trigger) on both devices")
    if not np.all(np.isfinite(times)):
        raise InputError(f"{name}: event times contain NaN or inf", field=name)
    if np.any(np.diff(times) <= 0):
        raise InputError(f"{name}: event times must be strictly increasing", field=name,
                         hint="remove duplicate edges (debounce the trigger)")
    return times


def _coarse_fit(dev: np.ndarray, ref: np.ndarray, tol: float) -> tuple[float, list[float]]:
    """Rough drift and candidate offsets from the index shifts whose event intervals agree best.

    Intervals do not depend on the offset, and on the drift only relatively. The shift ``k``
    (``ref[i + k]`` pairs with ``dev[i]``) with the smallest mean relative interval difference (each
    capped at 1, so a few dropped events weigh little while a misplaced train boundary still counts)
    pairs the longest run of events correctly. The drift comes from the summed lengths of the agreeing
    intervals (long intervals dominate, so it is precise); the candidate offsets are the densest groups
    of pair differences of the equally good shifts, to be tried on all events.
    """
    d_dev, d_ref = np.diff(dev), np.diff(ref)
    reach = abs(ref.size - dev.size) + EXTRA_SHIFTS
    min_overlap = max(1, min(d_dev.size, d_ref.size) // 2)
    scores: list[tuple[float, int, int, int]] = []  # (mean capped relative difference, k, first_dev, n)
    for k in range(-min(reach, d_dev.size - min_overlap), min(reach, d_ref.size - min_overlap) + 1):
        first_dev = max(0, -k)
        n = min(d_dev.size - first_dev, d_ref.size - first_dev - k, MAX_COMPARED_INTERVALS)
        if n < 1 or (n < min_overlap and n < MAX_COMPARED_INTERVALS):
            continue
        a, b = d_dev[first_dev:first_dev + n], d_ref[first_dev + k:first_dev + k + n]
        scores.append((float(np.mean(np.minimum(np.abs(a - b) / b, 1.0))), k, first_dev, n))
    best_score, k, first_dev, n = min(scores)
    a, b = d_dev[first_dev:first_dev + n], d_ref[first_dev + k:first_dev + k + n]
    agree = np.abs(a - b) <= tol + MAX_DRIFT * a
    drift = float((b[agree] - a[agree]).sum() / a[agree].sum()) if agree.any() else 0.0
    offsets: list[float] = []
    for score, k, first_dev, n in scores:
        if score <= TIE_FACTOR * best_score + RELATIVE_NOISE_FLOOR:
            pair_dev = dev[first_dev:first_dev + n + 1]
            pair_ref = ref[first_dev + k:first_dev + k + n + 1]
            offsets.extend(_densest(pair_ref - (1.0 + drift) * pair_dev, tol))
    offsets.sort()
    distinct = [offsets[0]]
    distinct += [o for o, before in zip(offsets[1:], offsets[:-1], strict=True) if o - before > tol]
    return drift, distinct


def _densest(values: np.ndarray, width: float, groups: int = 3) -> list[float]:
    """Medians of the ``groups`` largest groups of ``values`` lying within ``width`` of each other."""
    values = np.sort(values)
    counts = np.searchsorted(values, values + width, side="right") - np.arange(values.size)
    found: list[float] = []
    for first in np.argsort(-counts, kind="stable"):
        centre = float(np.median(values[first:first + counts[first]]))
        if all(abs(centre - other) > width for other in found):
            found.append(centre)
        if len(found) == groups:
            break
    return found


def _match(dev_on_ref: np.ndarray, ref: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Mutual nearest neighbours within ``tol`` (both arrays sorted)."""
    right = np.clip(np.searchsorted(ref, dev_on_ref), 1, ref.size - 1)
    left = right - 1
    nearest = np.where(np.abs(ref[left] - dev_on_ref) <= np.abs(ref[right] - dev_on_ref), left, right)
    close = np.abs(ref[nearest] - dev_on_ref) <= tol
    dev_idx = np.flatnonzero(close)
    ref_idx = nearest[close]
    # Keep one device event per reference event: the closest.
    order = np.lexsort((np.abs(ref[ref_idx] - dev_on_ref[dev_idx]), ref_idx))
    dev_idx, ref_idx = dev_idx[order], ref_idx[order]
    first = np.ones(ref_idx.size, dtype=bool)
    first[1:] = ref_idx[1:] != ref_idx[:-1]
    dev_idx, ref_idx = dev_idx[first], ref_idx[first]
    order = np.argsort(dev_idx)
    return dev_idx[order], ref_idx[order]


def _refine(
    dev: np.ndarray, ref: np.ndarray, offset: float, drift: float, tol: float, iterations: int
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Match and refit until the matched set stops changing: ``(dev_idx, ref_idx, offset, drift, rms)``."""
    previous = -1
    dev_idx = ref_idx = np.zeros(0, dtype=np.int64)
    for _ in range(max(1, iterations)):
        dev_idx, ref_idx = _match(offset + (1.0 + drift) * dev, ref, tol)
        if dev_idx.size < 2 or dev_idx.size == previous:
            break
        previous = dev_idx.size
        offset, drift = _linear_fit(dev[dev_idx], ref[ref_idx])
    if dev_idx.size == 0:
        return dev_idx, ref_idx, offset, drift, np.inf
    residual = ref[ref_idx] - (offset + (1.0 + drift) * dev[dev_idx])
    return dev_idx, ref_idx, offset, drift, float(np.sqrt(np.mean(residual**2)))


def _linear_fit(dev: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """``ref - dev = offset + drift * dev`` by least squares (centred for precision)."""
    if dev.size < 2:
        return float(np.mean(ref - dev)), 0.0
    centre = dev.mean()
    slope, intercept = np.polyfit(dev - centre, ref - dev, 1)
    return float(intercept - slope * centre), float(slope)


def fit_clock(
    device_times_s: np.ndarray,
    reference_times_s: np.ndarray,
    *,
    tolerance_s: float | None = None,
    initial_offset_s: float | None = None,
    iterations: int = 20,
) -> ClockFit:
    """Match shared events of two clocks and fit offset and linear drift.

    Parameters
    ----------
    device_times_s : array
        Event times on the clock being aligned (e.g. ScanImage frame timestamps, aux trigger edges).
    reference_times_s : array
        The same events on the session clock (e.g. frame clock or TMS TTL edges on the DAQ).
    tolerance_s : float, optional
        Largest distance between matched events; default a quarter of the median reference interval.
    initial_offset_s : float, optional
        Rough offset (session minus device time), used to choose between equally good matchings of a
        periodic signal. Without it equal counts are paired in order and ties go to the smallest offset.
    iterations : int
        Most match-and-refit rounds; each extends the matched events while the drift estimate improves.

    Returns
    -------
    ClockFit

    Raises
    ------
    InputError
        Fewer than 2 events, unsorted times, or fewer than 2 events matched.
    """
    dev = _checked(device_times_s, "device_times_s")
    ref = _checked(reference_times_s, "reference_times_s")
    if tolerance_s is None:
        tolerance_s = TOLERANCE_FRACTION * float(np.median(np.diff(ref)))
    tol = float(tolerance_s)
    ambiguous = False
    if dev.size == ref.size and initial_offset_s is None:
        offset, drift = _linear_fit(dev, ref)
        residual = ref - (offset + (1.0 + drift) * dev)
        paired_in_order = bool(np.all(np.abs(residual) <= tol))
    else:
        paired_in_order = False
    if paired_in_order:
        dev_idx = ref_idx = np.arange(dev.size)
    else:
        if initial_offset_s is not None:
            drift, candidates = 0.0, [float(initial_offset_s)]
        else:
            drift, candidates = _coarse_fit(dev, ref, tol)
        prior = 0.0 if initial_offset_s is None else float(initial_offset_s)
        results = [_refine(dev, ref, start, drift, tol, iterations) for start in candidates]
        best = max(r[0].size for r in results)
        full = [r for r in results if r[0].size == best]
        lowest = min(r[4] for r in full)
        equal = [r for r in full if r[4] <= TIE_FACTOR * lowest + 1e-6]  # 1 us: timing noise floor
        dev_idx, ref_idx, offset, drift, _ = min(equal, key=lambda r: abs(r[2] - prior))
        ambiguous = len({round(r[2] / tol) for r in equal}) > 1
        if dev_idx.size < 2:
            raise InputError(
                f"only {dev_idx.size} of {dev.size} device events matched a reference event within "
                f"{tol * 1e3:.3g} ms", field="device_times_s",
                hint="check that both lists record the same signal; pass initial_offset_s or tolerance_s",
            )
    matched_dev, matched_ref = dev[dev_idx], ref[ref_idx]
    residuals = matched_ref - (offset + (1.0 + drift) * matched_dev)
    return ClockFit(
        offset_s=offset, drift_ppm=drift * 1e6, device_times_s=matched_dev, reference_times_s=matched_ref,
        device_index=np.asarray(dev_idx, dtype=np.int64), reference_index=np.asarray(ref_idx, dtype=np.int64),
        residuals_s=residuals, rms_residual_s=float(np.sqrt(np.mean(residuals**2))),
        num_device_events=int(dev.size), num_reference_events=int(ref.size), ambiguous=ambiguous,
    )


def build_clock_alignment(
    fit: ClockFit,
    *,
    name: str,
    aligned_clock: str,
    reference_clock: str,
    shared_signal: str,
):
    """An ``ndx_tms.TMSClockAlignment`` recording ``fit`` (matched device times and their residuals).

    Add it to the ``ophys`` processing module (or wherever the aligned data lives).
    """
    from ndx_tms import TMSClockAlignment

    return TMSClockAlignment(
        name=name, device_time_in_s=fit.device_times_s, residual_in_s=fit.residuals_s,
        aligned_clock=aligned_clock, reference_clock=reference_clock, shared_signal=shared_signal,
        offset_in_s=fit.offset_s, drift_in_ppm=fit.drift_ppm, rms_residual_in_s=fit.rms_residual_s,
    )
