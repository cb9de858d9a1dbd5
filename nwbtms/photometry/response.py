"""The pulse-aligned photometry response of each fiber of an NWB file, read with h5py alone.

For every demodulated signal (``FiberPhotometryResponseSeries`` in acquisition not named ``photometry_raw_*``,
one row of the ``FiberPhotometryTable``) and every onset the pulses are aligned to (:func:`pulse_onsets`): the
samples from
``window_s[0]`` to ``window_s[1]`` around the pulse, as dF/F against the mean of the samples in
``baseline_s`` before it (``normalize=None``: the values minus that mean, in the series' unit). Samples the
series' ``TMSArtifactMask`` marks (inside a pulse's artifact window) are left out (NaN) before averaging, and
so are pulses whose window runs past the recording. Reads by slices: one window per pulse, timestamps in blocks.

Alignment. Averaging over every pulse of a patterned protocol (iTBS: bursts of 3 pulses at 50 Hz, trains every
10 s) smears the response to a train over its own pulses, so by default the onsets come from the file: the
innermost unit (pulse, burst, train) whose units are all at least the response window apart. The units are
those the pulses table numbers (``session``, ``train_number``, ``burst_number``, as the conversion matched the
pulses to the protocol's timing levels); when the pulses are not numbered (-1) or no numbered unit is that far
apart, the gaps between pulses give them: sorted gaps are grouped where they jump by at least
:data:`GAP_JUMP`, and a unit starts after a gap of a group. A single-pulse protocol whose pulses are the
window apart is aligned to every pulse, an iTBS session to its train onsets (a session of one numbered train to
its one onset). ``min_gap_s`` overrides this:
only pulses preceded by at least that gap (0: every pulse). Each response says which alignment was used
(``aligned_to``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import h5py
import numpy as np

from nwbtms.errors import InputError
from nwbtms.io.h5read import find_typed, iter_blocks, link_target, text

RAW_PREFIX = "photometry_raw_"


@dataclass(frozen=True)
class PulseAlignedResponse:
    """Mean and SEM across pulses of one fiber's signal around each TMS pulse."""

    fiber: str
    cell_type: str
    #: the response series it was computed from
    series: str
    excitation_wavelength_in_nm: float
    #: time from the pulse, s
    time_s: np.ndarray
    mean: np.ndarray
    sem: np.ndarray
    #: onsets averaged over (pulses, or trains/bursts as ``aligned_to`` says)
    n_pulses: int
    #: ``dF/F`` or the series' unit (``normalize=None``)
    unit: str
    #: what time 0 is: ``every pulse``, ``train onsets``, ``burst onsets`` or ``pulses after >= <gap> s``
    aligned_to: str = "every pulse"


def _column(table: h5py.Group, name: str, n: int) -> list[str]:
    if name not in table:
        return [""] * n
    return [text(v) for v in table[name][()]]


#: Sorted inter-pulse gaps more than this factor apart belong to different levels (pulse, burst, train, ...).
GAP_JUMP = 2.0


def pulse_onsets(times_s: np.ndarray, numbers: dict[str, np.ndarray] | None = None, *,
                 quiet_s: float = 0.0, min_gap_s: float | None = None) -> tuple[np.ndarray, str]:
    """The times to align responses to and a short label of the choice (see the module docstring).

    Parameters
    ----------
    times_s
        Pulse times, s (any order).
    numbers
        ``session``, ``train_number``, ``burst_number`` columns of the pulses table, aligned with ``times_s``
        (-1: not matched to the protocol); missing keys are absent columns.
    quiet_s
        Length of the response window: gap groups at least this long separate the units aligned to.
    min_gap_s
        Explicit override: pulses preceded by at least this gap (the first pulse always); 0 is every pulse.
    """
    times = np.asarray(times_s, dtype=np.float64)
    order = np.argsort(times, kind="stable")
    times = times[order]
    if times.size < 2:
        return times, "every pulse"
    if min_gap_s is not None:
        if min_gap_s <= 0:
            return times, "every pulse"
        keep = np.concatenate(([True], np.diff(times) >= min_gap_s))
        return times[keep], f"pulses after >= {min_gap_s:g} s"
    gaps = np.diff(times)
    every = np.ones(times.size, dtype=bool)
    numbers = numbers or {}
    columns = {k: np.asarray(v, dtype=np.int64)[order] for k, v in numbers.items()}
    session = columns.get("session", np.zeros(times.size, dtype=np.int64))
    numbered = [("every pulse", every)]
    for label, names in (("burst onsets", ("train_number", "burst_number")), ("train onsets", ("train_number",))):
        if all(n in columns and np.all(columns[n] >= 0) for n in names):  # -1: not matched to the protocol
            keys = np.column_stack([session, *(columns[n] for n in names)])
            numbered.append((label, np.concatenate(([True], np.any(keys[1:] != keys[:-1], axis=1)))))
    chosen = _first_separated(gaps, numbered, quiet_s) if len(numbered) > 1 else None
    if chosen is None:  # not numbered, or no numbered level is separated: group the gaps themselves
        levels = np.sort(gaps[gaps > 0])
        bounds = levels[1:][levels[1:] > GAP_JUMP * levels[:-1]]  # the shortest gap of each group above the first
        grouped = [("every pulse", every)] + [(f"pulses after >= {b:.3g} s gaps", np.concatenate(([True], gaps >= b)))
                                              for b in bounds]
        chosen = _first_separated(gaps, grouped, quiet_s) or grouped[-1]
    label, starts = chosen
    return times[starts], label


def _first_separated(gaps: np.ndarray, candidates: list[tuple[str, np.ndarray]], quiet_s: float):
    """The first (innermost) candidate whose units are all at least ``quiet_s`` apart, or None. A candidate of
    one unit (a session of one train) is that far apart trivially; it is named by the outermost candidate, which
    nests it and so is one unit too."""
    for label, starts in candidates:
        between = starts[1:]
        if not between.any():
            return candidates[-1][0], starts
        if float(gaps[between].min()) >= quiet_s:
            return label, starts
    return None


def _pulse_onsets(h5: h5py.File, quiet_s: float, min_gap_s: float | None) -> tuple[np.ndarray, str]:
    tables = find_typed(h5, "TMSPulsesTable")
    if not tables or "timestamp" not in tables[0]:
        return np.zeros(0), "every pulse"
    table = tables[0]
    times = np.asarray(table["timestamp"][()], dtype=np.float64)
    numbers = {name: np.asarray(table[name][()]) for name in ("session", "train_number", "burst_number")
               if name in table and isinstance(table[name], h5py.Dataset) and table[name].shape == times.shape}
    return pulse_onsets(times, numbers, quiet_s=quiet_s, min_gap_s=min_gap_s)


def _locate(times: h5py.Dataset, targets: np.ndarray) -> np.ndarray:
    """``searchsorted(times, targets)`` over a timestamps dataset read in blocks."""
    out = np.full(targets.size, -1, dtype=np.int64)
    last = None
    for start, block in iter_blocks(times):
        block = np.asarray(block, dtype=np.float64)
        todo = (out < 0) & (targets <= block[-1])
        if np.any(todo):
            out[todo] = start + np.searchsorted(block, targets[todo], side="left")
        last = start + block.size
    out[out < 0] = last if last is not None else 0
    return out


def _masks(h5: h5py.File) -> dict[str, h5py.Dataset]:
    """Series path -> its TMSArtifactMask's ``mask``."""
    found = {}
    for group in find_typed(h5, "TMSArtifactMask"):
        if "series" in group and "mask" in group:
            found[link_target(group, "series")] = group["mask"]
    return found


def read_pulse_aligned_responses(
    path: str | os.PathLike,
    *,
    window_s: tuple[float, float] = (-1.0, 2.0),
    baseline_s: tuple[float, float] = (-1.0, 0.0),
    min_gap_s: float | None = None,
    normalize: str | None = "dff",
) -> list[PulseAlignedResponse]:
    """One :class:`PulseAlignedResponse` per demodulated photometry signal of the NWB file at ``path`` (see the
    module docstring); empty when the file has no photometry or no pulses.

    Raises
    ------
    InputError
        A window or baseline that ends before it starts, or an unreadable file.
    """
    if window_s[1] <= window_s[0] or baseline_s[1] <= baseline_s[0]:
        raise InputError(f"window {window_s} or baseline {baseline_s} ends before it starts", field="window_s",
                         hint="give (start, stop) in s relative to the pulse, e.g. (-1.0, 2.0)")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"cannot open as HDF5 ({exc})", file=path, hint="give an NWB file") from None
    with h5:
        tables = find_typed(h5, "FiberPhotometryTable")
        pulses, aligned_to = _pulse_onsets(h5, window_s[1] - window_s[0], min_gap_s)
        if not tables or not pulses.size or "acquisition" not in h5:
            return []
        table = tables[0]
        n_rows = int(table["id"].shape[0])
        fibers = _column(table, "fiber", n_rows)
        cell_types = _column(table, "cell_type", n_rows)
        excitation = (np.asarray(table["excitation_wavelength_in_nm"][()], dtype=np.float64)
                      if "excitation_wavelength_in_nm" in table else np.full(n_rows, np.nan))
        masks = _masks(h5)
        out = []
        for name, series in h5["acquisition"].items():
            if (not isinstance(series, h5py.Group) or name.startswith(RAW_PREFIX)
                    or text(series.attrs.get("neurodata_type", "")) != "FiberPhotometryResponseSeries"
                    or "fiber_photometry_table_region" not in series):
                continue
            rows = np.atleast_1d(series["fiber_photometry_table_region"][()]).astype(int)
            data = series["data"]
            columns = [(0, int(rows[0]))] if data.ndim == 1 and rows.size == 1 else \
                [(j, int(r)) for j, r in enumerate(rows)] if data.ndim == 2 else []
            for column, row in columns:
                result = _aligned(series, data, column, masks.get(series.name), pulses, window_s, baseline_s,
                                  normalize)
                if result is None:
                    continue
                time_s, mean, sem, n = result
                unit = "dF/F" if normalize == "dff" else text(data.attrs.get("unit", ""))
                out.append(PulseAlignedResponse(
                    fiber=fibers[row] if row < n_rows else str(row), cell_type=cell_types[row] if row < n_rows
                    else "", series=name, excitation_wavelength_in_nm=float(excitation[row]) if row < n_rows
                    else float("nan"), time_s=time_s, mean=mean, sem=sem, n_pulses=n, unit=unit,
                    aligned_to=aligned_to))
        return out


def _aligned(series: h5py.Group, data: h5py.Dataset, column: int, mask: h5py.Dataset | None, pulses: np.ndarray,
             window_s, baseline_s, normalize):
    n = int(data.shape[0])
    if n < 2:
        return None
    if "timestamps" in series:
        stamps = series["timestamps"]
        head = np.asarray(stamps[: min(n, 10_000)], dtype=np.float64)
        rate = 1.0 / float(np.median(np.diff(head)))
        first = _locate(stamps, pulses + min(window_s[0], baseline_s[0]))
        start_time = float(head[0])
    else:
        start_time = float(series["starting_time"][()])
        rate = float(series["starting_time"].attrs["rate"])
        first = np.ceil((pulses + min(window_s[0], baseline_s[0]) - start_time) * rate - 1e-9).astype(np.int64)
    lead = min(window_s[0], baseline_s[0])
    span = int(round((max(window_s[1], baseline_s[1]) - lead) * rate))
    offsets = lead + np.arange(span) / rate
    in_window = (offsets >= window_s[0]) & (offsets < window_s[1])
    in_baseline = (offsets >= baseline_s[0]) & (offsets < baseline_s[1])
    traces = []
    for start in first:
        if start < 0 or start + span > n:
            continue
        values = np.asarray(data[start:start + span] if data.ndim == 1 else data[start:start + span, column],
                            dtype=np.float64)
        if mask is not None:
            values[np.asarray(mask[start:start + span], dtype=bool)] = np.nan
        base = values[in_baseline]
        if not np.any(np.isfinite(base)):
            continue
        f0 = float(np.nanmean(base))
        values = values - f0
        if normalize == "dff":
            if f0 == 0:
                continue
            values = values / f0
        traces.append(values[in_window])
    if not traces:
        return None
    stack = np.vstack(traces)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = np.sum(np.isfinite(stack), axis=0)
        mean = np.where(count > 0, np.nansum(stack, axis=0) / np.maximum(count, 1), np.nan)
        var = np.nansum((stack - mean) ** 2, axis=0) / np.maximum(count - 1, 1)
        sem = np.where(count > 1, np.sqrt(var / np.maximum(count, 1)), np.nan)
    return offsets[in_window], mean, sem, len(traces)


__all__ = ["PulseAlignedResponse", "pulse_onsets", "read_pulse_aligned_responses"]
