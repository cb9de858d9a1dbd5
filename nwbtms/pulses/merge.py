"""Merge per-pulse values from stimulator logs and navigators onto the trigger (TTL) pulse times.

TTL times are the truth (the stimulator fires on the trigger): every output array is aligned with ``ttl_times_s``.
A source (stimulator log, navigator export) runs on its own clock and may miss rows or hold extra ones,
so each is matched in three steps (``match="order_then_nearest"``):

1. **Clock offset.** Pair rows with pulses by order, at lags ``-K..K`` (``K`` = count difference + 2), and
   take the median of the paired differences ``source - ttl`` at each lag as a candidate offset. The
   candidate that lets the most rows find a pulse within ``tolerance_s`` wins (ties: the smaller lag), and
   is refined as the median residual of its matches. One constant offset per source; drift must fit in
   the tolerance.
2. **Nearest within tolerance.** Each row, shifted by the offset, takes its nearest pulse when within
   ``tolerance_s``; when two rows claim one pulse the closer keeps it.
3. **Report.** Rows left without a pulse and pulses left without a row are counted, listed and put in
   :class:`MergeReport` messages, never dropped silently; unmatched pulses get NaN.

Other modes: ``"order"`` pairs row ``i`` with pulse ``i`` (differences beyond the tolerance are reported),
``"nearest"`` skips step 1 (offset 0 unless given in ``offsets_s``), and ``"previous"`` gives each pulse
the latest row at or before it no older than ``tolerance_s`` (for polled status logs with fewer rows than
pulses; offset 0 unless given). A source without times (e.g. a Brainsight export lacking Date/Time) is
matched by order, and the report says so.

Values: dI/dt measured on the DAQ (``ttl_di_dt_a_per_us``) comes first; the stimulator log gives
%MSO, dI/dt, coil temperature, mode and waveform; the navigator gives the pose, tracking errors and
target label, and fills %MSO and dI/dt where the log has none (the stimulator is the authority on its
own output). Disagreements above :data:`INTENSITY_AGREEMENT_PERCENT_MSO` are reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from nwbtms.errors import InputError

MATCH_MODES = ("order_then_nearest", "order", "nearest", "previous")
#: Log and navigator %MSO may differ by rounding (navigators report integers); more is reported.
INTENSITY_AGREEMENT_PERCENT_MSO = 1.0
#: Largest lag (rows) tried when estimating a clock offset, beyond the count difference.
EXTRA_LAGS = 2
MAX_LAGS = 200
#: Unmatched rows or pulses listed by index in a message (the rest are counted).
LISTED = 10


@dataclass
class SourceMatch:
    """How one source matched the TTL pulses.

    Attributes
    ----------
    name : str
        ``"log"`` or ``"navigator"``.
    path : str
        File the source came from ("" when not known).
    method : str
        Matching actually used (``order_then_nearest``, ``order``, ``nearest``, ``previous``, or
        ``order (no times)``).
    n_rows, n_matched : int
        Rows in the source and rows matched to a pulse.
    unmatched_rows : ndarray of int64
        Source rows (0-based) with no pulse.
    pulses_without_row : ndarray of int64
        Pulses (0-based) that got no value from this source.
    offset_s : float
        Source clock minus TTL clock, s (NaN when not estimated).
    max_abs_residual_s : float
        Largest ``|source - offset - ttl|`` among matched pairs, s.
    messages : list of str
    """

    name: str
    path: str
    method: str
    n_rows: int
    n_matched: int
    unmatched_rows: np.ndarray
    pulses_without_row: np.ndarray
    offset_s: float
    max_abs_residual_s: float
    messages: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every row and every pulse found a partner."""
        return self.unmatched_rows.size == 0 and self.pulses_without_row.size == 0


@dataclass
class MergeReport:
    """Per-source match counts and messages of :func:`merge_pulse_sources`."""

    n_pulses: int
    tolerance_s: float
    sources: dict[str, SourceMatch] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every source matched every pulse and every row."""
        return all(s.complete for s in self.sources.values())

    def all_messages(self) -> list[str]:
        """Every message, the per-source ones first."""
        out = [m for s in self.sources.values() for m in s.messages]
        return out + self.messages


@dataclass
class MergedPulses:
    """Per-pulse values aligned with the TTL times (NaN, -1 or "" where no source matched).

    Attributes
    ----------
    time_s : ndarray of float64
        The TTL pulse times (the truth).
    intensity_percent_mso, di_dt_a_per_us, coil_temperature_c : ndarray of float64
    pose : ndarray of float64, shape (n, 4, 4)
        Navigator pose (matsimnibs axes), all-NaN where absent.
    target_error_mm, angular_error_deg, twist_error_deg : ndarray of float64
    target_label, mode, waveform : list of str
    log_row, navigator_row : ndarray of int64
        Matched row of each source (-1: none).
    coordinate_space, pose_convention : str
        From the navigator ("" without one).
    report : MergeReport
    """

    time_s: np.ndarray
    intensity_percent_mso: np.ndarray
    di_dt_a_per_us: np.ndarray
    coil_temperature_c: np.ndarray
    pose: np.ndarray
    target_error_mm: np.ndarray
    angular_error_deg: np.ndarray
    twist_error_deg: np.ndarray
    target_label: list[str]
    mode: list[str]
    waveform: list[str]
    log_row: np.ndarray
    navigator_row: np.ndarray
    coordinate_space: str
    pose_convention: str
    report: MergeReport

    def __len__(self) -> int:
        return int(self.time_s.size)


def merge_pulse_sources(
    ttl_times_s,
    *,
    log=None,
    navigator=None,
    tolerance_s: float,
    match: str = "order_then_nearest",
    offsets_s: Mapping[str, float] | None = None,
    ttl_di_dt_a_per_us=None,
) -> MergedPulses:
    """Attach stimulator-log and navigator values to the TTL pulses.

    Parameters
    ----------
    ttl_times_s : array_like of float
        Detected pulse times (non-decreasing), s: the truth.
    log : StimulatorLog, optional
        From :func:`nwbtms.sources.logs.read_stimulator_log` (or any object with ``time_s``,
        ``intensity_percent_mso``, ``di_dt_a_per_us``, ``coil_temperature_c``, ``mode``, ``waveform``).
    navigator : NavigatorPulses, optional
        From :mod:`nwbtms.sources.navigation`.
    tolerance_s : float
        Largest accepted difference between a row (after the offset) and its pulse, s. Choose it below
        half the shortest inter-pulse interval (e.g. 5 ms for iTBS's 20 ms, Huang 2005).
    match : {"order_then_nearest", "order", "nearest", "previous"}
        See the module docstring.
    offsets_s : mapping, optional
        Known clock offsets (source minus TTL, s) by source name ``"log"``/``"navigator"``; skips the
        estimate.
    ttl_di_dt_a_per_us : array_like, optional
        dI/dt measured on the DAQ per pulse (``DetectedPulses.di_dt_a_per_us`` of a calibrated coil-current
        channel); where finite it wins over the log and navigator values (it is a measurement of this
        pulse, not a reported setting).

    Returns
    -------
    MergedPulses
    """
    ttl = np.asarray(ttl_times_s, dtype=np.float64).ravel()
    if match not in MATCH_MODES:
        raise InputError(f"unknown match mode {match!r}", field="match", hint=f"use one of {list(MATCH_MODES)}")
    if not (np.isfinite(tolerance_s) and tolerance_s > 0):
        raise InputError(
            f"tolerance_s must be a positive number of seconds, got {tolerance_s}",
            field="tolerance_s",
            hint="e.g. 0.005 for pulses 20 ms apart",
        )
    if not np.all(np.isfinite(ttl)):
        raise InputError("TTL times must be finite", field="ttl_times_s", hint="drop NaN pulse times first")
    if np.any(np.diff(ttl) < 0):
        raise InputError("TTL times must be non-decreasing", field="ttl_times_s", hint="sort the pulse times")
    offsets_s = dict(offsets_s or {})
    unknown = set(offsets_s) - {"log", "navigator"}
    if unknown:
        raise InputError(
            f"offsets_s has unknown source(s) {sorted(unknown)}",
            field="offsets_s",
            hint="use the keys 'log' and 'navigator'",
        )
    n = ttl.size
    report = MergeReport(n_pulses=n, tolerance_s=float(tolerance_s))
    merged = MergedPulses(
        time_s=ttl,
        intensity_percent_mso=np.full(n, np.nan),
        di_dt_a_per_us=np.full(n, np.nan),
        coil_temperature_c=np.full(n, np.nan),
        pose=np.full((n, 4, 4), np.nan),
        target_error_mm=np.full(n, np.nan),
        angular_error_deg=np.full(n, np.nan),
        twist_error_deg=np.full(n, np.nan),
        target_label=[""] * n,
        mode=[""] * n,
        waveform=[""] * n,
        log_row=np.full(n, -1, dtype=np.int64),
        navigator_row=np.full(n, -1, dtype=np.int64),
        coordinate_space="",
        pose_convention="",
        report=report,
    )
    def matched_rows(name: str, source) -> tuple[np.ndarray, np.ndarray]:
        rows, info = match_source(ttl, source.time_s, tolerance_s=tolerance_s, match=match,
                                  offset_s=offsets_s.get(name), name=name, path=_path(source))
        report.sources[name] = info
        return rows, rows >= 0

    if log is not None:
        rows, hit = matched_rows("log", log)
        merged.log_row = rows
        for name in ("intensity_percent_mso", "di_dt_a_per_us", "coil_temperature_c"):
            getattr(merged, name)[hit] = np.asarray(getattr(log, name), dtype=np.float64)[rows[hit]]
        merged.mode = _take_text(log.mode, rows)
        merged.waveform = _take_text(log.waveform, rows)
    if navigator is not None:
        rows, hit = matched_rows("navigator", navigator)
        merged.navigator_row = rows
        merged.pose[hit] = np.asarray(navigator.pose, dtype=np.float64)[rows[hit]]
        for name in ("target_error_mm", "angular_error_deg", "twist_error_deg"):
            getattr(merged, name)[hit] = np.asarray(getattr(navigator, name), dtype=np.float64)[rows[hit]]
        merged.target_label = _take_text(navigator.target_label, rows)
        merged.coordinate_space = navigator.coordinate_space
        merged.pose_convention = getattr(navigator, "pose_convention", "")
        _fill_from_navigator(merged, navigator, rows, report)
    if ttl_di_dt_a_per_us is not None:
        measured = np.asarray(ttl_di_dt_a_per_us, dtype=np.float64).ravel()
        if measured.shape != ttl.shape:
            raise InputError(
                f"ttl_di_dt_a_per_us has {measured.size} values for {n} pulses",
                field="ttl_di_dt_a_per_us",
                hint="give one value per TTL pulse (NaN when absent)",
            )
        finite = np.isfinite(measured)
        merged.di_dt_a_per_us[finite] = measured[finite]
    return merged


def match_source(
    ttl: np.ndarray,
    source_times_s,
    *,
    tolerance_s: float,
    match: str = "order_then_nearest",
    offset_s: float | None = None,
    name: str = "source",
    path: str = "",
) -> tuple[np.ndarray, SourceMatch]:
    """Match one source's row times to the TTL pulses.

    Returns
    -------
    rows : ndarray of int64
        For each pulse, the matched source row or -1.
    info : SourceMatch
    """
    src = np.asarray(source_times_s, dtype=np.float64).ravel()
    n, m = ttl.size, src.size
    messages: list[str] = []
    method = match
    if m and not np.isfinite(src).any():
        method = "order (no times)"
        messages.append(f"{name}: rows have no times; matched by order only")
        rows = _by_order(n, m)
        offset = np.nan
    elif m and not np.isfinite(src).all():
        raise InputError(
            f"{name}: {int(np.sum(~np.isfinite(src)))} of {m} rows have no time",
            field=name,
            hint="give every row a time, or none (then rows are matched by order)",
        )
    elif match == "order":
        rows = _by_order(n, m)
        k = min(n, m)
        offset = float(np.median(src[:k] - ttl[:k])) if k else np.nan
        if offset_s is not None:
            offset = float(offset_s)
        if k:
            far = np.abs(src[:k] - offset - ttl[:k]) > tolerance_s
            if far.any():
                messages.append(
                    f"{name}: {int(far.sum())} order-matched row(s) differ from their pulse by "
                    f"more than {tolerance_s:g} s after the offset (first: row "
                    f"{int(np.argmax(far))})"
                )
    elif match == "previous":
        offset = 0.0 if offset_s is None else float(offset_s)
        rows = _previous(ttl, src - offset, tolerance_s)
    else:
        if offset_s is not None:
            offset = float(offset_s)
        elif match == "nearest" or m == 0 or n == 0:
            offset = 0.0
        else:
            offset = estimate_offset(ttl, src, tolerance_s)
        rows = _nearest(ttl, src - offset, tolerance_s)
        if match == "order_then_nearest" and offset_s is None and m and n:
            matched = rows >= 0
            if matched.any():  # refine on the matches, then match again
                offset += float(np.median(src[rows[matched]] - offset - ttl[matched]))
                rows = _nearest(ttl, src - offset, tolerance_s)
    hit = rows >= 0
    used = np.zeros(m, dtype=bool)
    used[rows[hit]] = True
    residual = np.abs(src[rows[hit]] - (0.0 if np.isnan(offset) else offset) - ttl[hit]) if hit.any() else []
    max_residual = float(np.max(residual)) if len(residual) and np.isfinite(offset) else np.nan
    unmatched_rows = np.flatnonzero(~used)
    without = np.flatnonzero(~hit)
    if m != n:
        messages.append(f"{name}: {m} rows for {n} TTL pulses")
    if unmatched_rows.size and method != "previous":
        messages.append(f"{name}: {unmatched_rows.size} row(s) matched no pulse: rows {_listed(unmatched_rows)}")
    if without.size:
        messages.append(f"{name}: {without.size} pulse(s) got no value: pulses {_listed(without)}")
    info = SourceMatch(
        name=name,
        path=path,
        method=method,
        n_rows=m,
        n_matched=int(hit.sum()),
        unmatched_rows=unmatched_rows if method != "previous" else np.zeros(0, dtype=np.int64),
        pulses_without_row=without,
        offset_s=float(offset),
        max_abs_residual_s=max_residual,
        messages=messages,
    )
    return rows, info


def estimate_offset(ttl: np.ndarray, src: np.ndarray, tolerance_s: float) -> float:
    """Constant offset (source minus TTL) that lets the most source rows find a pulse within tolerance."""
    n, m = ttl.size, src.size
    max_lag = min(abs(m - n) + EXTRA_LAGS, MAX_LAGS)
    best = (-1, 0, 0.0)  # (matches, -|lag|, offset)
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            k = min(n, m - lag)
            diffs = src[lag : lag + k] - ttl[:k] if k > 0 else np.zeros(0)
        else:
            k = min(n + lag, m)
            diffs = src[:k] - ttl[-lag : -lag + k] if k > 0 else np.zeros(0)
        if diffs.size == 0:
            continue
        candidate = float(np.median(diffs))
        matches = int(np.sum(_nearest(ttl, src - candidate, tolerance_s) >= 0))
        key = (matches, -abs(lag), candidate)
        if key[:2] > best[:2]:
            best = key
    return best[2]


def _nearest(ttl: np.ndarray, shifted: np.ndarray, tolerance_s: float) -> np.ndarray:
    """For each pulse the row whose shifted time is nearest within tolerance (one row per pulse)."""
    rows = np.full(ttl.size, -1, dtype=np.int64)
    if ttl.size == 0 or shifted.size == 0:
        return rows
    right = np.clip(np.searchsorted(ttl, shifted), 0, ttl.size - 1)
    left = np.clip(right - 1, 0, ttl.size - 1)
    take_left = np.abs(shifted - ttl[left]) < np.abs(shifted - ttl[right])
    pulse = np.where(take_left, left, right)
    distance = np.abs(shifted - ttl[pulse])
    ok = np.flatnonzero(distance <= tolerance_s)
    if ok.size == 0:
        return rows
    order = ok[np.lexsort((distance[ok], pulse[ok]))]
    first_pulses, first = np.unique(pulse[order], return_index=True)
    rows[first_pulses] = order[first]
    return rows


def _previous(ttl: np.ndarray, shifted: np.ndarray, max_age_s: float) -> np.ndarray:
    """For each pulse the latest row at or before it, no older than ``max_age_s``."""
    rows = np.full(ttl.size, -1, dtype=np.int64)
    if shifted.size == 0:
        return rows
    candidate = np.searchsorted(shifted, ttl, side="right") - 1
    valid = candidate >= 0
    age = np.full(ttl.size, np.inf)
    age[valid] = ttl[valid] - shifted[candidate[valid]]
    ok = valid & (age <= max_age_s)
    rows[ok] = candidate[ok]
    return rows


def _by_order(n: int, m: int) -> np.ndarray:
    rows = np.full(n, -1, dtype=np.int64)
    k = min(n, m)
    rows[:k] = np.arange(k)
    return rows


def _take_text(values, rows: np.ndarray) -> list[str]:
    values = list(values)
    return [values[r] if r >= 0 else "" for r in rows.tolist()]


def _fill_from_navigator(merged: MergedPulses, navigator, rows: np.ndarray, report: MergeReport) -> None:
    hit = rows >= 0
    for name, nav_name in (
        ("intensity_percent_mso", "amplitude_percent_mso"),
        ("di_dt_a_per_us", "di_dt_a_per_us"),
    ):
        nav = np.full(merged.time_s.size, np.nan)
        nav[hit] = np.asarray(getattr(navigator, nav_name), dtype=np.float64)[rows[hit]]
        ours = getattr(merged, name)
        if name == "intensity_percent_mso":
            both = np.isfinite(ours) & np.isfinite(nav)
            differ = both & (np.abs(ours - nav) > INTENSITY_AGREEMENT_PERCENT_MSO)
            if differ.any():
                report.messages.append(
                    f"log and navigator %MSO differ by more than {INTENSITY_AGREEMENT_PERCENT_MSO:g} at "
                    f"{int(differ.sum())} pulse(s) (pulses {_listed(np.flatnonzero(differ))}); the log's "
                    "value is kept"
                )
        fill = ~np.isfinite(ours) & np.isfinite(nav)
        ours[fill] = nav[fill]


def _listed(indices: np.ndarray) -> str:
    shown = indices[:LISTED].tolist()
    return f"{shown}{' ...' if indices.size > LISTED else ''}"


def _path(source) -> str:
    path = getattr(source, "path", None)
    return "" if path is None else str(path)
