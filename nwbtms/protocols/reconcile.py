"""Delivered versus declared pulses: matched pairs, missing and extra pulses, clock offset and drift.

Model: ``delivered = offset_s + (1 + drift_ppm * 1e-6) * declared`` plus small timing noise. The
delivered clock may start seconds off and run up to ``max_drift_ppm`` fast or slow. Steps, all
vectorised numpy:

1. Coarse offset: candidate offsets are differences between the first 10 delivered and the first 10
   declared pulses; each is scored by how many declared pulses of a short opening window find a
   delivered pulse within ``tolerance_s``. Ties (strictly periodic protocols are ambiguous by whole
   periods) go to the candidate closest to ``offset_hint_s`` (which also beats alignments scoring up
   to 10% lower), or else to ``delivered[0] - declared[0]``.
2. Growing windows: match the declared pulses of a window (nearest delivered pulse by
   ``searchsorted``, one-to-one, within ``tolerance_s``), fit offset and drift by least squares
   (drift clamped to ``max_drift_ppm``), and extend the window as far as the slope's uncertainty
   allows, until it covers the whole schedule, so a 20 ppm drift over days never outgrows the
   tolerance.
3. A final pass with the fitted clock gives the matched pairs, the residuals, and the missing and
   extra pulses, which are located in the protocol's structure when a :class:`Schedule` is given
   (``"session 3, train 12: 3 pulses missing"``, 0-based like the pulses table).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nwbtms.errors import InputError
from nwbtms.protocols.schedule import Schedule

#: Default upper bound of the clock drift searched for, in ppm (crystal clocks are within ~20-50 ppm).
DEFAULT_MAX_DRIFT_PPM = 100.0
#: Default tolerance: a quarter of the shortest declared inter-pulse interval, capped at 10 ms.
DEFAULT_TOLERANCE_CAP_S = 0.010
_CANDIDATES = 10
_MIN_WINDOW_PULSES = 16
_MAX_WINDOW_PULSES = 64


@dataclass(frozen=True)
class Discrepancy:
    """Missing or extra pulses at one place of the protocol.

    Attributes
    ----------
    kind : str
        ``"missing"`` (declared, not delivered) or ``"extra"`` (delivered, not declared).
    location : str
        Where, e.g. ``"session 3, train 12"`` or ``"between train 4 and train 5"``.
    count : int
        Number of pulses.
    indices : tuple of int
        Declared indices (missing) or delivered indices (extra).
    time_s : float
        Declared-clock time of the first of them.
    """

    kind: str
    location: str
    count: int
    indices: tuple[int, ...]
    time_s: float

    def __str__(self) -> str:
        return f"{self.location}: {self.count} pulse{'s' if self.count != 1 else ''} {self.kind}"


@dataclass(frozen=True, eq=False)
class Reconciliation:
    """Result of :func:`reconcile`.

    Attributes
    ----------
    matched : numpy.ndarray
        (k, 2) int64 pairs of (declared index, delivered index), in declared order.
    missing : numpy.ndarray
        Declared indices without a delivered pulse.
    extra : numpy.ndarray
        Delivered indices without a declared pulse.
    offset_s : float
        Delivered-clock time of declared time 0.
    drift_ppm : float
        Delivered clock rate relative to the declared one, minus 1, in ppm.
    residuals_s : numpy.ndarray
        Delivered minus fitted time of each matched pair.
    max_abs_residual_s : float
        Largest absolute residual (0 without matches).
    tolerance_s : float
        Matching tolerance used.
    discrepancies : list of Discrepancy
        Missing and extra pulses grouped by place, in time order (located on first access).
    """

    matched: np.ndarray
    missing: np.ndarray
    extra: np.ndarray
    offset_s: float
    drift_ppm: float
    residuals_s: np.ndarray
    max_abs_residual_s: float
    tolerance_s: float
    n_declared: int
    n_delivered: int
    _locate: Callable[[], list[Discrepancy]] | None = field(default=None, repr=False)

    @cached_property
    def discrepancies(self) -> list[Discrepancy]:
        """Missing and extra pulses grouped by place, in time order."""
        return self._locate() if self._locate is not None else []

    @property
    def ok(self) -> bool:
        """True when every declared pulse was delivered and nothing else was."""
        return self.missing.size == 0 and self.extra.size == 0

    def to_declared_clock(self, delivered_s) -> np.ndarray:
        """Delivered-clock times mapped onto the declared clock with the fitted offset and drift."""
        return (np.asarray(delivered_s, dtype=np.float64) - self.offset_s) / (1.0 + self.drift_ppm * 1e-6)

    def summary(self, max_items: int = 10) -> str:
        """Counts, clock fit and the first ``max_items`` discrepancies, one per line."""
        lines = [
            f"{self.n_declared:,} declared, {self.n_delivered:,} delivered: {len(self.matched):,} matched, "
            f"{self.missing.size:,} missing, {self.extra.size:,} extra",
            f"clock: offset {self.offset_s:+.6f} s, drift {self.drift_ppm:+.2f} ppm, max |residual| "
            f"{self.max_abs_residual_s * 1e3:.3f} ms (tolerance {self.tolerance_s * 1e3:g} ms)",
        ]
        lines.extend(f"  {d}" for d in self.discrepancies[:max_items])
        if len(self.discrepancies) > max_items:
            lines.append(f"  ... and {len(self.discrepancies) - max_items} more place(s)")
        return "\n".join(lines)


def _as_sorted(values, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Float64 1-D finite array sorted ascending, and the permutation used (None if already sorted)."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InputError(f"{what} times must be finite; index {bad} is {array[bad]}", field=what)
    if array.size > 1 and np.any(array[1:] < array[:-1]):
        order = np.argsort(array, kind="stable")
        return array[order], order
    return array, None


def _midpoints(delivered: np.ndarray) -> np.ndarray:
    """Midpoints between consecutive sorted delivered times: ``searchsorted`` into them gives the nearest."""
    return 0.5 * (delivered[1:] + delivered[:-1])


def _nearest_pairs(
    pred: np.ndarray, delivered: np.ndarray, tolerance_s: float, midpoints: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one nearest matches of sorted predictions into sorted delivered times within tolerance.

    The nearest delivered pulse is found with one ``searchsorted`` into the midpoints between delivered
    pulses (a prediction exactly halfway goes to the earlier pulse); ``midpoints`` may be passed in when
    matching several times against the same delivered pulses.
    """
    if pred.size == 0 or delivered.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if midpoints is None:
        midpoints = _midpoints(delivered)
    nearest = np.searchsorted(midpoints, pred)
    distance = np.abs(delivered[nearest] - pred)
    decl_idx = np.flatnonzero(distance <= tolerance_s)
    deliv_idx = nearest[decl_idx]
    if deliv_idx.size > 1 and np.any(deliv_idx[1:] == deliv_idx[:-1]):
        dist = distance[decl_idx]
        order = np.lexsort((dist, deliv_idx))
        first = np.r_[True, deliv_idx[order][1:] != deliv_idx[order][:-1]]
        keep = np.sort(order[first])
        decl_idx, deliv_idx = decl_idx[keep], deliv_idx[keep]
    return decl_idx, deliv_idx


def _match_count(pred: np.ndarray, delivered: np.ndarray, tolerance_s: float) -> np.ndarray:
    """Per row of ``pred`` (candidates x pulses), how many predictions have a delivered pulse in tolerance."""
    last = delivered.size - 1
    right = np.searchsorted(delivered, pred)
    left = np.clip(right - 1, 0, last)
    right = np.minimum(right, last)
    distance = np.minimum(np.abs(pred - delivered[left]), np.abs(delivered[right] - pred))
    return (distance <= tolerance_s).sum(axis=-1)


def _coarse_offset(
    declared: np.ndarray,
    delivered: np.ndarray,
    tolerance_s: float,
    window_s: float,
    offset_hint_s: float | None,
    midpoints: np.ndarray,
) -> float:
    """Offset (delivered minus declared) that best aligns the opening window of the schedule."""
    candidates = (
        np.unique(np.round((delivered[:_CANDIDATES, None] - declared[None, :_CANDIDATES]).ravel() / tolerance_s))
        * tolerance_s
    )
    stop = int(np.searchsorted(declared, declared[0] + window_s, side="right"))
    stop = min(max(stop, min(_MIN_WINDOW_PULSES, declared.size)), _MAX_WINDOW_PULSES)
    window = declared[:stop]
    reach = delivered[min(_CANDIDATES, delivered.size) - 1] + (window[-1] - window[0]) + 2 * tolerance_s
    nearby = delivered[: int(np.searchsorted(delivered, reach, side="right"))]
    scores = _match_count(window[None, :] + candidates[:, None], nearby, 2 * tolerance_s)
    if offset_hint_s is None:
        best = np.flatnonzero(scores == scores.max())
        anchor = delivered[0] - declared[0]
    else:  # a hint also wins over near-best alignments a period away (an edge pulse dropped)
        best = np.flatnonzero(scores >= scores.max() - max(1, 0.1 * scores.max()))
        anchor = offset_hint_s
    choice = candidates[best[np.argmin(np.abs(candidates[best] - anchor))]]
    # refine to the median difference of the window's matches
    decl_idx, deliv_idx = _nearest_pairs(window + choice, delivered, tolerance_s, midpoints)
    if decl_idx.size:
        return float(np.median(delivered[deliv_idx] - window[decl_idx]))
    return float(choice)


def _fit(declared: np.ndarray, delivered: np.ndarray, max_drift: float) -> tuple[float, float, float]:
    """Least-squares ``delivered = a + b * declared`` with ``|b - 1| <= max_drift``.

    Returns ``(a, b, slope_uncertainty)``, the last being three standard errors of ``b`` (noise
    floored at 20 us so a handful of perfect points does not claim a perfect slope).
    """
    center = declared.mean()
    x = declared - center
    y_mean = delivered.mean()
    sxx = float((x * x).sum())  # elementwise sums, not np.dot: BLAS threads stall on a busy machine
    if declared.size < 3 or sxx == 0.0:
        return float(y_mean - center), 1.0, max_drift
    slope = float((x * (delivered - y_mean)).sum() / sxx)
    slope = min(max(slope, 1.0 - max_drift), 1.0 + max_drift)
    intercept = y_mean - slope * center
    residual = delivered - (intercept + slope * declared)
    noise = max(float(np.sqrt((residual * residual).sum() / (declared.size - 2))), 20e-6)
    return float(intercept), slope, min(3.0 * noise / np.sqrt(sxx), max_drift)


class _RunningFit:
    """Least-squares clock fit updated window by window from sums, without re-reading earlier matches.

    Sums are kept of ``x = declared - x0`` and ``y = delivered - declared - y0`` (the deviation from a
    clock that only shifts, small), centred at the first match, so float64 sums lose nothing that
    matters for tracking; the final fit is recomputed exactly by :func:`_fit`.
    """

    def __init__(self, max_drift: float, y0: float) -> None:
        self.max_drift = max_drift
        self.x0: float | None = None
        self.y0 = y0
        self.n = 0
        self.sx = self.sy = self.sxx = self.sxy = self.syy = 0.0

    def add(self, declared: np.ndarray, delivered: np.ndarray) -> None:
        """Add matched pairs."""
        if not declared.size:
            return
        if self.x0 is None:
            self.x0 = float(declared[0])
        x = declared - self.x0
        y = delivered - declared - self.y0
        self.n += declared.size
        self.sx += float(x.sum())
        self.sy += float(y.sum())
        self.sxx += float((x * x).sum())
        self.sxy += float((x * y).sum())
        self.syy += float((y * y).sum())

    def fit(self) -> tuple[float, float, float, float]:
        """``(intercept, slope, slope_uncertainty, centre)`` as :func:`_fit` defines them."""
        n, max_drift = self.n, self.max_drift
        mx, my = self.sx / n, self.sy / n
        vxx = max(self.sxx - n * mx * mx, 0.0)
        centre = self.x0 + mx
        if n < 3 or vxx == 0.0:
            return self.y0 + my, 1.0, max_drift, centre
        vxy = self.sxy - n * mx * my
        vyy = self.syy - n * my * my
        b = min(max(vxy / vxx, -max_drift), max_drift)
        residual_ss = max(vyy - 2.0 * b * vxy + b * b * vxx, 0.0)
        noise = max(float(np.sqrt(residual_ss / (n - 2))), 20e-6)
        intercept = self.y0 + my - b * mx - b * self.x0
        return intercept, 1.0 + b, min(3.0 * noise / np.sqrt(vxx), max_drift), centre


def _track(
    declared: np.ndarray,
    delivered: np.ndarray,
    tolerance_s: float,
    max_drift: float,
    intercept: float,
    midpoints: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Match window by window, refitting the clock; each window ends where the slope's uncertainty
    could move a prediction by half the tolerance. A final full pass uses the final fit."""
    slope, slope_uncertainty = 1.0, max_drift
    done = 0
    center = declared[0]
    running = _RunningFit(max_drift, intercept)
    decl_parts: list[np.ndarray] = []
    deliv_parts: list[np.ndarray] = []
    while done < declared.size:
        horizon = center + 0.5 * tolerance_s / max(slope_uncertainty, 1e-12)
        end = max(horizon, declared[done])
        stop = int(np.searchsorted(declared, end, side="right"))
        part = declared[done:stop]
        di, dj = _nearest_pairs(intercept + slope * part, delivered, tolerance_s, midpoints)
        decl_parts.append(di + done)
        deliv_parts.append(dj)
        done = stop
        if done < declared.size:  # the last window's fit is made exactly below, on every match
            running.add(part[di], delivered[dj])
            if running.n:
                intercept, slope, slope_uncertainty, center = running.fit()
    decl_idx = np.concatenate(decl_parts)
    deliv_idx = np.concatenate(deliv_parts)
    if decl_idx.size:
        intercept, slope, _ = _fit(declared[decl_idx], delivered[deliv_idx], max_drift)
    # final pass with that fit: re-check the matches, retry only the unmatched declared pulses
    pred = intercept + slope * declared
    distance = np.abs(delivered[deliv_idx] - pred[decl_idx])
    keep = distance <= tolerance_s
    changed = not keep.all()
    if changed:
        decl_idx, deliv_idx, distance = decl_idx[keep], deliv_idx[keep], distance[keep]
    unmatched = np.ones(declared.size, dtype=bool)
    unmatched[decl_idx] = False
    retry = np.flatnonzero(unmatched)
    if retry.size:
        di, dj = _nearest_pairs(pred[retry], delivered, tolerance_s, midpoints)
        if di.size:
            changed = True
            decl_idx = np.concatenate([decl_idx, retry[di]])
            deliv_idx = np.concatenate([deliv_idx, dj])
            distance = np.concatenate([distance, np.abs(delivered[dj] - pred[retry[di]])])
            order = np.argsort(decl_idx, kind="stable")
            decl_idx, deliv_idx, distance = decl_idx[order], deliv_idx[order], distance[order]
    kept = decl_idx.size
    decl_idx, deliv_idx = _one_per_delivered(decl_idx, deliv_idx, distance)
    if decl_idx.size and (changed or decl_idx.size != kept):
        intercept, slope, _ = _fit(declared[decl_idx], delivered[deliv_idx], max_drift)
    return decl_idx, deliv_idx, intercept, slope


def _one_per_delivered(decl_idx: np.ndarray, deliv_idx: np.ndarray, distance: np.ndarray):
    """Keep, for each delivered pulse matched more than once, the closest declared pulse."""
    if deliv_idx.size < 2 or np.all(deliv_idx[1:] > deliv_idx[:-1]):  # the usual case: no sort needed
        return decl_idx, deliv_idx
    by_delivered = np.lexsort((distance, deliv_idx))
    sorted_deliv = deliv_idx[by_delivered]
    first = np.r_[True, sorted_deliv[1:] != sorted_deliv[:-1]]
    if first.all():
        return decl_idx, deliv_idx
    keep = np.sort(by_delivered[first])
    return decl_idx[keep], deliv_idx[keep]


def default_tolerance_s(declared_s: np.ndarray) -> float:
    """A quarter of the shortest declared inter-pulse interval, at most 10 ms."""
    if declared_s.size < 2:
        return DEFAULT_TOLERANCE_CAP_S
    steps = np.diff(declared_s)
    shortest = float(steps.min())
    if shortest <= 0:  # coinciding pulses: the shortest positive step
        steps = steps[steps > 0]
        if steps.size == 0:
            return DEFAULT_TOLERANCE_CAP_S
        shortest = float(steps.min())
    return min(0.25 * shortest, DEFAULT_TOLERANCE_CAP_S)


def _group_level(schedule: Schedule) -> str:
    names = schedule.protocol.level_names
    if "train" in names:
        return "train"
    return names[1] if len(names) > 1 else "pulse"


def _discrepancies(
    missing: np.ndarray,
    extra: np.ndarray,
    declared: np.ndarray,
    extra_declared_s: np.ndarray,
    extra_delivered_idx: np.ndarray,
    tolerance_s: float,
    schedule: Schedule | None,
    group_level: str | None,
    declared_order: np.ndarray | None = None,
) -> list[Discrepancy]:
    """Missing pulses grouped by unit (or by runs without a schedule); extra pulses located likewise.

    ``missing`` are positions in the sorted ``declared``; ``declared_order`` (the sort permutation, None
    when the caller's times were sorted) maps them back to the caller's indices for the report.
    """
    items: list[Discrepancy] = []
    if schedule is not None:
        level = group_level or _group_level(schedule)
        units = schedule.unit_number(level)
        if missing.size:
            _, first = np.unique(units[missing], return_index=True)
            firsts = missing[first]
            missing_list = missing.tolist()
            bounds = [*first.tolist(), missing.size]
            places = schedule.locations(firsts, level)
            for k, (where, time_s) in enumerate(zip(places, declared[firsts].tolist(), strict=True)):
                pulses = tuple(missing_list[bounds[k] : bounds[k + 1]])
                items.append(Discrepancy("missing", where, len(pulses), pulses, time_s))
        groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
        per_unit = schedule.protocol.pulses_per_unit(level)
        before = np.searchsorted(declared, extra_declared_s, side="right") - 1
        for k, t, j in zip(before.tolist(), extra_declared_s.tolist(), extra_delivered_idx.tolist(), strict=True):
            if k < 0:
                where = "before the first pulse"
            else:
                unit_last = min((int(units[k]) + 1) * per_unit, declared.size) - 1
                if t <= declared[unit_last] + tolerance_s:
                    where = schedule.location(k, level)
                elif unit_last + 1 >= declared.size:
                    where = "after the last pulse"
                else:
                    where = (
                        f"between {schedule.location(unit_last, level)} and {schedule.location(unit_last + 1, level)}"
                    )
            groups[where].append((j, t))
        for where, entries in groups.items():
            items.append(Discrepancy("extra", where, len(entries), tuple(j for j, _ in entries), entries[0][1]))
    else:
        if missing.size:
            breaks = np.flatnonzero(np.diff(missing) != 1) + 1
            for run in np.split(missing, breaks):
                caller = run if declared_order is None else declared_order[run]
                if caller.size == 1:
                    span = f"declared pulse {caller[0]}"
                elif np.all(np.diff(caller) == 1):
                    span = f"declared pulses {caller[0]}-{caller[-1]}"
                else:
                    span = "declared pulses " + ", ".join(map(str, caller.tolist()))
                items.append(
                    Discrepancy(
                        "missing",
                        f"{span} (t={declared[run[0]]:.6f} s)",
                        int(run.size),
                        tuple(caller.tolist()),
                        float(declared[run[0]]),
                    )
                )
        for j, t in zip(extra_delivered_idx.tolist(), extra_declared_s.tolist(), strict=True):
            items.append(Discrepancy("extra", f"delivered pulse {j} (t={t:.6f} s on the declared clock)", 1, (j,), t))
    items.sort(key=lambda d: d.time_s)
    return items


def reconcile(
    declared_s,
    delivered_s,
    *,
    tolerance_s: float | None = None,
    schedule: Schedule | None = None,
    max_drift_ppm: float = DEFAULT_MAX_DRIFT_PPM,
    offset_hint_s: float | None = None,
    group_level: str | None = None,
) -> Reconciliation:
    """Match delivered pulses to declared ones and fit the delivered clock (offset and linear drift).

    Parameters
    ----------
    declared_s : array_like
        Declared pulse times, s (e.g. ``build_schedule(p).times_s``).
    delivered_s : array_like
        Delivered pulse times on the recording clock, s (any offset; sorted or not).
    tolerance_s : float, optional
        Largest |delivered - fitted| for a match; default a quarter of the shortest declared interval,
        at most 10 ms.
    schedule : Schedule, optional
        The schedule ``declared_s`` came from; discrepancies are then located by level.
    max_drift_ppm : float
        Largest clock drift expected; sets the opening window of the offset search.
    offset_hint_s : float, optional
        Expected offset, used to break ties between offsets a whole period apart.
    group_level : str, optional
        Level by which discrepancies are grouped (default ``train`` when present).

    Raises
    ------
    InputError
        Non-finite times, or a schedule whose length differs from ``declared_s``.
    """
    declared, declared_order = _as_sorted(declared_s, "declared")
    delivered, delivered_order = _as_sorted(delivered_s, "delivered")
    if schedule is not None and len(schedule) != declared.size:
        raise InputError(
            f"schedule has {len(schedule)} pulses but declared_s has {declared.size}",
            field="schedule",
            hint="pass the schedule the declared times came from",
        )
    if schedule is not None and declared_order is not None:
        raise InputError("declared times must be in schedule order when a schedule is given", field="declared_s")
    if group_level is not None and schedule is not None and group_level not in schedule.protocol.level_names:
        raise InputError(f"group_level {group_level!r} is not a level of the protocol", field="group_level")
    tolerance = default_tolerance_s(declared) if tolerance_s is None else float(tolerance_s)
    if not tolerance > 0:
        raise InputError(f"tolerance_s must be > 0, got {tolerance_s}", field="tolerance_s")

    intercept, slope = 0.0, 1.0
    decl_idx = deliv_idx = np.zeros(0, dtype=np.int64)
    if declared.size and delivered.size:
        max_drift = max(max_drift_ppm, 1e-3) * 1e-6
        window_s = tolerance / (2.0 * max_drift)
        midpoints = _midpoints(delivered)
        intercept = _coarse_offset(declared, delivered, tolerance, window_s, offset_hint_s, midpoints)
        decl_idx, deliv_idx, intercept, slope = _track(
            declared, delivered, tolerance, max_drift, intercept, midpoints
        )
    elif delivered.size:
        intercept = float(delivered[0])
    residuals = delivered[deliv_idx] - (intercept + slope * declared[decl_idx])
    missing_mask = np.ones(declared.size, dtype=bool)
    missing_mask[decl_idx] = False
    extra_mask = np.ones(delivered.size, dtype=bool)
    extra_mask[deliv_idx] = False
    missing = np.flatnonzero(missing_mask)
    extra = np.flatnonzero(extra_mask)
    extra_declared_s = (delivered[extra] - intercept) / slope

    # report indices in the caller's order (no copy when the caller's times were sorted)
    def caller_declared(idx: np.ndarray) -> np.ndarray:
        return idx if declared_order is None else declared_order[idx]

    def caller_delivered(idx: np.ndarray) -> np.ndarray:
        return idx if delivered_order is None else delivered_order[idx]

    def locate() -> list[Discrepancy]:
        return _discrepancies(
            missing,
            extra,
            declared,
            extra_declared_s,
            caller_delivered(extra),
            tolerance,
            schedule,
            group_level,
            declared_order,
        )

    matched = np.empty((decl_idx.size, 2), dtype=np.int64)
    matched[:, 0] = caller_declared(decl_idx)
    matched[:, 1] = caller_delivered(deliv_idx)
    return Reconciliation(
        matched=matched,
        missing=caller_declared(missing).astype(np.int64, copy=False),
        extra=caller_delivered(extra).astype(np.int64, copy=False),
        offset_s=float(intercept),
        drift_ppm=float((slope - 1.0) * 1e6),
        residuals_s=residuals,
        max_abs_residual_s=float(np.abs(residuals).max()) if residuals.size else 0.0,
        tolerance_s=tolerance,
        n_declared=int(declared.size),
        n_delivered=int(delivered.size),
        _locate=locate,
    )


#: Largest |delivered - declared| of a matched pulse when the metadata gives none (``match_tolerance_s``), s.
DEFAULT_SESSION_TOLERANCE_S = 0.005
#: How the tolerance is written into a reconciliation table's description, so that a validator reproduces it.
TOLERANCE_NOTE = "matched within tolerance_s={:g}"
_TOLERANCE_IN_TEXT = re.compile(r"matched within tolerance_s=(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)")


def reconcile_session(schedule: Schedule, delivered_s, *,
                      tolerance_s: float = DEFAULT_SESSION_TOLERANCE_S) -> Reconciliation:
    """The one reconciliation of a stimulation session with its protocol's whole schedule.

    ``convert`` records its result in the reconciliation table and ``validate`` reproduces it from the
    protocol levels stored in the file with this same function (every level, a day-level preset such as
    ``aitbs_mouse_day`` included), so the two never disagree.

    Parameters
    ----------
    schedule : Schedule
        ``build_schedule`` of the session's protocol.
    delivered_s : array_like
        The session's delivered pulse times, s.
    tolerance_s : float
        Largest |delivered - fitted declared| for a match, s.
    """
    delivered = np.asarray(delivered_s, dtype=np.float64)
    return reconcile(schedule.times_s, delivered, schedule=schedule, tolerance_s=tolerance_s,
                     offset_hint_s=float(delivered[0]) if delivered.size else None)


def tolerance_from_description(description: str | None) -> float:
    """The tolerance a reconciliation table's description records (:data:`TOLERANCE_NOTE`), else the default."""
    match = _TOLERANCE_IN_TEXT.search(description or "")
    try:
        return float(match.group(1)) if match else DEFAULT_SESSION_TOLERANCE_S
    except ValueError:
        return DEFAULT_SESSION_TOLERANCE_S
