"""Find TMS pulses in a trigger or coil-current trace, streamed chunk by chunk.

Rule (a Schmitt trigger with a timing level):

- A pulse starts when the trace reaches ``threshold`` while *armed*; its time is the crossing of
  ``threshold``, linearly interpolated between the sample below and the sample at or above it
  (sub-sample timing; for digital lines this is the first high sample).
- The detector re-arms only after the trace falls to ``threshold - hysteresis`` (noise riding on
  the edge cannot start a second pulse).
- A crossing less than ``refractory_s`` after the previous pulse's start belongs to that pulse
  (debounce; absorbs the ringing lobes of a coil-current pulse).
- ``amplitudes`` holds each pulse's peak (maximum; minimum for ``polarity="falling"``) in the
  channel's unit, from its start until the detector re-arms (and through merged crossings).
- ``saturated`` flags pulses whose peak sits at the int16 ADC rail (raw counts 32767, or -32768
  for falling pulses). Float data carry no rail, and a flat top is what a TTL recorded on an
  analog input looks like, so pulses read as floats are never flagged.
- A trace that starts above ``threshold`` is not armed: a pulse already under way when recording
  starts has no observable onset and is not reported.

State is carried across chunks, and across segments (sweeps, files) when the next segment starts
one sample period after the previous one ends (within half a period); otherwise detection
restarts disarmed at the segment start.

Automatic threshold (``threshold=None``, analog channels): one extra pass takes the trace's
minimum and maximum and an evenly strided subsample (at most :data:`LEVEL_SUBSAMPLE` values);
the low level is the median of subsampled values in the lower half of [min, max], the high level
the median of those in the upper half, or the maximum when fewer than 16 subsampled values lie
there (short, rare pulses). Long recordings are first sampled in 32 evenly spaced windows and
scanned whole only when the windows show no high level. ``threshold`` is the midpoint of the two
levels (the 50 % level used for timing digital edges, IEEE 181-2011) and ``hysteresis`` defaults
to 25 % of their difference.

For int16 recordings the comparisons run on raw counts (thresholds converted once through the
reader's lookup table) and only reported samples are scaled. Each chunk is first reduced to block
maxima (:data:`SCAN_BLOCK_SAMPLES`); only blocks that reach the trigger level are compared sample
by sample, so a sparse trigger channel costs little more than reading it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from nwbtms.errors import InputError
from nwbtms.progress import progress
from nwbtms.sources.daq.base import DEFAULT_CHUNK_SAMPLES, Chunk, Recording, Segment

#: Default debounce: shorter than the shortest paired-pulse interval (1 ms, Kujirai et al. 1993), longer than a
#: biphasic pulse and its ringing (a few hundred microseconds).
DEFAULT_REFRACTORY_S = 0.0005

#: Block length of the first pass over a chunk (block maxima); a few KiB keeps it at memory speed.
SCAN_BLOCK_SAMPLES = 4096

#: Maximum number of samples kept for the automatic level estimate.
LEVEL_SUBSAMPLE = 1 << 20

#: Automatic levels of long recordings: evenly spaced windows read first (32 x 64 Ki samples).
LEVEL_WINDOWS = 32
LEVEL_WINDOW_SAMPLES = 1 << 16

#: Fewest subsampled values above mid-range that make a high level (else the maximum is used).
LEVEL_MIN_HIGH_SAMPLES = 16

#: Values per histogram step of the automatic level estimate (bounds its temporary copies: 2 MiB).
HISTOGRAM_PIECE = 1 << 18

#: Default hysteresis as a fraction of (high level - low level) when thresholds are automatic.
HYSTERESIS_FRACTION = 0.25

Polarity = Literal["rising", "falling"]


@dataclass(frozen=True)
class DetectedPulses:
    """Pulses found on one channel.

    Attributes
    ----------
    times_s : ndarray of float64
        Pulse onsets on the recording clock (segment start_time_s + sample / rate).
    amplitudes : ndarray of float64
        Peak value per pulse in ``unit`` (1.0 for digital lines).
    di_dt_a_per_us : ndarray of float64
        ``amplitudes * calibration_a_per_us_per_unit``; NaN without a calibration.
    saturated : ndarray of bool
        Peak at the ADC rail or clipped flat.
    segments : ndarray of int64
        Segment index of each pulse onset.
    channel, path, unit : str
    sample_rate_hz : float
    threshold, hysteresis : float or None
        Levels used (in ``unit``; None for digital lines).
    polarity : str
    """

    times_s: np.ndarray
    amplitudes: np.ndarray
    di_dt_a_per_us: np.ndarray
    saturated: np.ndarray
    segments: np.ndarray
    channel: str
    path: str | None
    sample_rate_hz: float
    unit: str = ""
    threshold: float | None = None
    hysteresis: float | None = None
    polarity: str = "rising"
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.times_s.size)


# --------------------------------------------------------------------------------------- engine
class _Schmitt:
    """Stateful detector over consecutive chunks of one channel in the *work domain*.

    Work domain: values where a pulse goes up (negated for falling polarity), raw counts or
    physical values. ``to_physical`` maps work values back to the channel's (signed) unit.
    Each chunk is handled with whole-array operations: the samples at or above the trigger level
    (through block maxima), their runs, whether the gap before each run reaches the re-arm level,
    and a loop over candidate onsets only when the debounce has to decide between them.
    """

    def __init__(
        self, trigger, rearm, trigger_physical: float, to_physical, refractory_samples: float, rail=None
    ) -> None:
        self.trigger = trigger
        self.rearm = rearm
        self.trigger_physical = trigger_physical
        self.to_physical = to_physical
        self.refractory_samples = refractory_samples
        self.rail = rail
        self.onsets: list[float] = []  # seconds
        self.onset_segments: list[int] = []
        self.peaks: list = []  # work-domain peak
        self.flat: list[bool] = []
        self.reset()

    def reset(self) -> None:
        self.armed = False
        self.open_pulse = False  # the last pulse may still grow (no re-arm since its onset)
        self.prev = None  # last work-domain sample of the previous chunk
        self.last_onset_sample = -math.inf  # in samples, on a clock continuous across carried segments
        self.origin = 0  # absolute sample index of the current segment's sample 0 (carried clock)

    def start_segment(self, seg: Segment, carried: bool, rate: float, previous: Segment | None) -> None:
        if carried and previous is not None:
            self.origin += previous.num_samples
        else:
            self.reset()
        self.segment = seg
        self.rate = rate

    def _grow_last(self, peak) -> None:
        if self.peaks and peak > self.peaks[-1]:
            self.peaks[-1] = peak
            self.flat[-1] = self.rail is not None and bool(peak >= self.rail)

    def _high_samples(self, values: np.ndarray) -> np.ndarray:
        """Indices of the samples at or above the trigger level, in order.

        Block maxima (one cheap pass) show the few blocks a pulse reaches; only those are compared
        sample by sample.
        """
        n = values.shape[0]
        full = n - n % SCAN_BLOCK_SAMPLES
        parts = []
        if full:
            blocks = values[:full].reshape(-1, SCAN_BLOCK_SAMPLES)
            hot = np.flatnonzero(blocks.max(axis=1) >= self.trigger)
            if hot.size:
                where = np.flatnonzero(blocks[hot] >= self.trigger)
                parts.append(hot[where // SCAN_BLOCK_SAMPLES] * SCAN_BLOCK_SAMPLES + where % SCAN_BLOCK_SAMPLES)
        if full < n:
            parts.append(np.flatnonzero(values[full:] >= self.trigger) + full)
        if not parts:
            return np.empty(0, np.intp)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _reaches_rearm(self, values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Whether each non-empty stretch ``starts[k]:stops[k]`` (increasing, disjoint) reaches the re-arm level.

        The first sample of a stretch settles most of them; the others take one minimum each.
        """
        reached = values[starts] <= self.rearm
        open_ = np.flatnonzero(~reached)
        if open_.size:
            edges = np.stack([starts[open_], stops[open_]], axis=1).ravel()
            if edges[-1] >= values.shape[0]:
                edges = edges[:-1]
            reached[open_] = np.minimum.reduceat(values, edges)[::2] <= self.rearm
        return reached

    def feed(self, values: np.ndarray, start_sample: int) -> None:
        n = values.shape[0]
        if n == 0:
            return
        high = self._high_samples(values)
        if high.size == 0:  # the common case: nothing reaches the trigger level
            if not self.armed and values.min() <= self.rearm:
                self.armed, self.open_pulse = True, False
            self.prev = values[-1]
            return
        # Runs of consecutive samples at or above the trigger level: hi_starts[k]:hi_ends[k].
        breaks = np.flatnonzero(np.diff(high) > 1) + 1
        run_first = np.concatenate(([0], breaks))
        hi_starts = high[run_first]
        hi_ends = high[np.append(breaks - 1, high.size - 1)] + 1
        run_peaks = np.maximum.reduceat(values[high], run_first)
        # A run may start a pulse when the gap before it reaches the re-arm level (gap 0 starts at
        # the chunk start; when run 0 starts there, its own first sample decides, as the trace does).
        armed = np.empty(hi_starts.size, bool)
        if hi_starts.size > 1:
            armed[1:] = self._reaches_rearm(values, hi_ends[:-1], hi_starts[1:])
        if self.armed:
            armed[0] = True
        elif hi_starts[0] == 0:
            armed[0] = bool(values[:1] <= self.rearm)
        else:
            armed[0] = bool(values[: hi_starts[0]].min() <= self.rearm)
        tail = hi_ends[-1] < n
        tail_armed = bool(tail and self._reaches_rearm(values, hi_ends[-1:], np.asarray([n]))[0])
        candidates = np.flatnonzero(armed)
        onsets = self._onsets(values, hi_starts[candidates], start_sample) if candidates.size else []
        accepted = np.zeros(hi_starts.size, bool)
        if (
            onsets
            and onsets[0] - self.last_onset_sample >= self.refractory_samples
            and (len(onsets) == 1 or np.diff(onsets).min() >= self.refractory_samples)
        ):  # the common case: every candidate is a new pulse
            accepted[candidates] = True
            self.last_onset_sample = onsets[-1]
            base = self.segment.start_time_s
            self.onsets.extend((base + (np.asarray(onsets) - self.origin) / self.rate).tolist())
            self.onset_segments.extend([self.segment.index] * len(onsets))
        else:
            for c, onset in zip(candidates.tolist(), onsets, strict=True):
                if onset - self.last_onset_sample >= self.refractory_samples:
                    self.last_onset_sample = onset
                    accepted[c] = True
                    self.onsets.append(self.segment.start_time_s + (onset - self.origin) / self.rate)
                    self.onset_segments.append(self.segment.index)
        # Runs before this chunk's first onset continue the previous pulse when it is still open
        # or when a debounced crossing merged them into it.
        owner = np.cumsum(accepted) - 1
        continues = (owner < 0) & (self.open_pulse | (np.cumsum(armed) > 0))
        if continues.any():
            self._grow_last(run_peaks[continues].max())
        if accepted.any():
            for peak in np.maximum.reduceat(run_peaks, np.flatnonzero(accepted)).tolist():
                self.peaks.append(peak)
                self.flat.append(self.rail is not None and peak >= self.rail)
        self.armed = tail_armed
        self.open_pulse = not self.armed and bool(owner[-1] >= 0 or continues[-1])
        self.prev = values[-1]

    def _onsets(self, values: np.ndarray, at: np.ndarray, start_sample: int) -> list[float]:
        """Onsets (samples, carried clock): trigger-level crossing interpolated before each ``at``."""
        has_before = at > 0
        before = values[np.clip(at - 1, 0, None)]
        if not has_before[0] and self.prev is not None:
            before[0] = self.prev
            has_before[0] = True
        lo = np.asarray(self.to_physical(before), dtype=np.float64)
        hi = np.asarray(self.to_physical(values[at]), dtype=np.float64)
        span = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(span > 0, (self.trigger_physical - lo) / span, 1.0)
        fraction = np.where(has_before, np.clip(fraction, 0.0, 1.0), 1.0)
        return ((self.origin + start_sample + at - 1) + fraction).tolist()


# --------------------------------------------------------------------------------------- levels
def _levels_from(data: Iterable[np.ndarray], stride: int) -> tuple[float, float, np.ndarray] | None:
    """Extremes of ``data`` and every ``stride``-th value."""
    lo = math.inf
    hi = -math.inf
    picked = []
    offset = 0
    for block in data:
        if block.size == 0:
            continue
        lo = min(lo, float(block.min()))
        hi = max(hi, float(block.max()))
        picked.append(block[(-offset) % stride :: stride].copy())  # raw counts stay int16
        offset += block.size
    if not picked:
        return None
    return lo, hi, np.concatenate(picked)


def _median_of_histogram(counts: np.ndarray, first_value: int) -> float:
    """``np.median`` of the integers whose histogram is ``counts`` (bin k holds ``first_value + k``)."""
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])

    def kth(k: int) -> int:  # k-th smallest value, 0-based
        return first_value + int(np.searchsorted(cumulative, k, side="right"))

    return float(kth(n // 2)) if n % 2 else (kth(n // 2 - 1) + kth(n // 2)) / 2


def _split_levels(lo: float, hi: float, sample: np.ndarray) -> tuple[float, float | None] | None:
    """(low level, high level or None when too few samples lie in the upper half)."""
    if not hi > lo:
        return None
    middle = (lo + hi) / 2
    if sample.dtype.kind in "iu" and sample.dtype.itemsize <= 2 and sample.size:
        # Raw counts: the same medians from one histogram instead of masks and partial sorts.
        first = int(sample.min())
        span = int(sample.max()) - first + 1
        counts = np.zeros(span, np.int64)
        for start in range(0, sample.size, HISTOGRAM_PIECE):  # bincount works on intp: bounded copies
            counts += np.bincount(sample[start : start + HISTOGRAM_PIECE].astype(np.intp) - first, minlength=span)
        cut = min(max(math.floor(middle) - first + 1, 0), counts.size)  # bins [0, cut) hold values <= middle
        lower_n, upper_n = int(counts[:cut].sum()), int(counts[cut:].sum())
        low_level = _median_of_histogram(counts[:cut], first) if lower_n else lo
        high_level = _median_of_histogram(counts[cut:], first + cut) if upper_n >= LEVEL_MIN_HIGH_SAMPLES else None
        return low_level, high_level
    lower = sample[sample <= middle]
    upper = sample[sample > middle]
    low_level = float(np.median(lower)) if lower.size else lo
    return low_level, (float(np.median(upper)) if upper.size >= LEVEL_MIN_HIGH_SAMPLES else None)


def _estimate_levels(
    recording: Recording, info, segments: list[Segment], use_raw: bool, chunk_samples: int
) -> tuple[float, float] | None:
    """(low, high) levels of a trace (raw counts when ``use_raw``); None when the trace is flat.

    Long recordings are sampled first (:data:`LEVEL_WINDOWS` evenly spaced windows of
    :data:`LEVEL_WINDOW_SAMPLES`); the whole trace is scanned only when those windows show no
    high level (e.g. a single short pulse in an hour).
    """
    read = recording._read_raw if use_raw else recording._read
    total = sum(s.num_samples for s in segments)
    if recording.random_access and total > 4 * LEVEL_WINDOWS * LEVEL_WINDOW_SAMPLES:
        positions = np.linspace(0, total - LEVEL_WINDOW_SAMPLES, LEVEL_WINDOWS).astype(np.int64)
        ends = np.cumsum([s.num_samples for s in segments])

        def windows() -> Iterator[np.ndarray]:
            for position in positions.tolist():
                k = int(np.searchsorted(ends, position, side="right"))
                seg = segments[k]
                start = position - (int(ends[k]) - seg.num_samples)
                stop = min(seg.num_samples, start + LEVEL_WINDOW_SAMPLES)
                yield read(info, seg.index, start, stop)

        found = _levels_from(windows(), 1)
        split = None if found is None else _split_levels(*found)
        if split is not None and split[1] is not None and split[1] > split[0]:
            return split[0], split[1]
    chunks = (c.data for c in recording._iter(info, [s.index for s in segments], chunk_samples, read))
    found = _levels_from(chunks, max(1, total // LEVEL_SUBSAMPLE))
    split = None if found is None else _split_levels(*found)
    if split is None:
        return None
    low, high = split[0], (split[1] if split[1] is not None else found[1])
    return (low, high) if high > low else None


# --------------------------------------------------------------------------------------- public
def _check_common(polarity: str, refractory_s: float, calibration, hysteresis) -> None:
    if polarity not in ("rising", "falling"):
        raise InputError(f"polarity must be 'rising' or 'falling', got {polarity!r}", field="polarity")
    if not (math.isfinite(refractory_s) and refractory_s >= 0):
        raise InputError(f"refractory_s must be >= 0, got {refractory_s!r}", field="refractory_s")
    if calibration is not None and not math.isfinite(float(calibration)):
        raise InputError("calibration_a_per_us_per_unit must be finite", field="calibration_a_per_us_per_unit")
    if hysteresis is not None and not (math.isfinite(float(hysteresis)) and float(hysteresis) >= 0):
        raise InputError(f"hysteresis must be >= 0, got {hysteresis!r}", field="hysteresis")


def _contiguous(previous: Segment | None, seg: Segment, rate: float) -> bool:
    if previous is None:
        return False
    expected = previous.start_time_s + previous.num_samples / rate
    return abs(seg.start_time_s - expected) <= 0.5 / rate


def _run(
    chunks: Iterator[Chunk],
    segments: dict[int, Segment],
    engine: _Schmitt,
    rate: float,
    convert,
) -> None:
    previous: Segment | None = None
    current = None
    for chunk in chunks:
        if chunk.segment != current:
            seg = segments[chunk.segment]
            engine.start_segment(seg, _contiguous(previous, seg, rate), rate, previous)
            previous, current = seg, chunk.segment
        engine.feed(convert(chunk.data), chunk.start_sample)


def detect_pulses(
    recording: Recording,
    channel: str,
    *,
    threshold: float | None = None,
    hysteresis: float | None = None,
    refractory_s: float = DEFAULT_REFRACTORY_S,
    polarity: Polarity = "rising",
    calibration_a_per_us_per_unit: float | None = None,
    segment: int | list[int] | None = None,
    chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
    show_progress: bool = False,
) -> DetectedPulses:
    """Detect pulses on ``channel`` of ``recording`` (see the module docstring for the rule).

    Parameters
    ----------
    recording : Recording
        From :func:`nwbtms.sources.daq.open_recording`.
    channel : str
        Channel name; :class:`~nwbtms.errors.ChannelNotFoundError` lists the existing ones.
    threshold : float, optional
        Trigger level in the channel's unit (analog); automatic when None. Ignored for digital lines.
    hysteresis : float, optional
        Re-arm distance below the threshold (above it for falling polarity), in the channel's unit.
        Default: 25 % of the level difference (automatic), or 0 with an explicit threshold.
    refractory_s : float
        Crossings closer than this to a pulse onset belong to that pulse.
    polarity : {"rising", "falling"}
        Direction of the pulse edge (falling: negative-going pulses, peak is the minimum).
    calibration_a_per_us_per_unit : float, optional
        dI/dt in A/us per channel unit (coil-current monitors); fills ``di_dt_a_per_us``.
    segment : int or list of int, optional
        Only these segments (sweeps, recordings); default all.
    chunk_samples : int
        Samples read at a time (memory bound).
    show_progress : bool
        Draw a progress bar on a terminal (:mod:`nwbtms.progress`).
    """
    _check_common(polarity, refractory_s, calibration_a_per_us_per_unit, hysteresis)
    info = recording.channel(channel)
    rate = float(recording.sample_rate_hz)
    selected = recording.segments_for(segment)
    seg_index = [s.index for s in selected]
    segments = {s.index: s for s in selected}
    notes: list[str] = []
    sign = 1.0 if polarity == "rising" else -1.0
    refractory_samples = refractory_s * rate
    total_chunks = sum(-(-s.num_samples // max(1, int(chunk_samples))) for s in selected)

    def bar(chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        return progress(
            chunks, total=total_chunks, desc=f"pulses on {info.name}", unit="chunk", quiet=not show_progress
        )

    if info.kind == "digital":
        engine = _Schmitt(1, 0, 1.0, lambda w: np.asarray(w, dtype=np.float64), refractory_samples, rail=None)
        flip = polarity == "falling"
        _run(
            bar(recording.iter_chunks(info.name, segment=seg_index, chunk_samples=chunk_samples)),
            segments,
            engine,
            rate,
            (lambda d: (~d).view(np.uint8)) if flip else (lambda d: d.view(np.uint8)),
        )
        amplitudes = np.ones(len(engine.onsets))
        return _result(
            engine,
            amplitudes,
            np.zeros(len(engine.onsets), bool),
            recording,
            info,
            rate,
            None,
            None,
            polarity,
            calibration_a_per_us_per_unit,
            notes,
        )

    table = recording.raw_lookup_table(info.name)
    counts = np.arange(-32768, 32768, dtype=np.int32)
    physical = None if table is None else table[counts.astype(np.int16).view(np.uint16)]
    # Compare raw counts only when the count -> physical map is monotonic increasing (always for
    # linear scales with positive gain; checked for WaveSurfer polynomials).
    use_raw = physical is not None and bool(np.all(np.diff(physical) >= 0))

    def raw_chunks() -> Iterator[Chunk]:
        if use_raw:
            return recording.iter_raw_chunks(info.name, segment=seg_index, chunk_samples=chunk_samples)
        return recording.iter_chunks(info.name, segment=seg_index, chunk_samples=chunk_samples)

    if threshold is None:
        levels = _estimate_levels(recording, info, selected, use_raw, chunk_samples)
        if levels is None:
            notes.append("trace is flat: no pulses")
            return _empty(recording, info, rate, polarity, notes)
        low, high = levels
        if use_raw:
            low = float(table[np.asarray([low]).round().astype(np.int16).view(np.uint16)][0])
            high = float(table[np.asarray([high]).round().astype(np.int16).view(np.uint16)][0])
        if polarity == "falling":
            low, high = high, low
        threshold = (low + high) / 2
        if hysteresis is None:
            hysteresis = HYSTERESIS_FRACTION * abs(high - low)
    threshold = float(threshold)
    hysteresis = 0.0 if hysteresis is None else float(hysteresis)
    rearm_physical = threshold - sign * hysteresis

    if use_raw:
        if sign > 0:
            trig_idx = np.searchsorted(physical, threshold, side="left")
            rearm_idx = np.searchsorted(physical, rearm_physical, side="right") - 1
            trigger = int(counts[trig_idx]) if trig_idx < counts.size else 32768
            rearm = int(counts[rearm_idx]) if rearm_idx >= 0 else -32769

            def convert(d):
                return d

            rail = 32767

            def to_physical(w):
                return table[np.asarray(w).astype(np.int16).view(np.uint16)]
        else:
            # work = -count (int32): pulse goes down in counts; trigger when count <= c_t.
            trig_idx = np.searchsorted(physical, threshold, side="right") - 1
            rearm_idx = np.searchsorted(physical, rearm_physical, side="left")
            trigger = -int(counts[trig_idx]) if trig_idx >= 0 else 32769
            rearm = -int(counts[rearm_idx]) if rearm_idx < counts.size else -32768

            def convert(d):
                return -d.astype(np.int32)

            rail = 32768

            def to_physical(w):
                return -table[(-np.asarray(w)).astype(np.int16).view(np.uint16)]

        engine = _Schmitt(trigger, rearm, sign * threshold, to_physical, refractory_samples, rail=rail)
        _run(bar(raw_chunks()), segments, engine, rate, convert)
        peaks_work = np.asarray(engine.peaks, dtype=np.int64)
        amplitudes = sign * to_physical(peaks_work) if peaks_work.size else np.empty(0)
    else:
        engine = _Schmitt(
            sign * threshold,
            sign * rearm_physical,
            sign * threshold,
            lambda w: np.asarray(w, dtype=np.float64),
            refractory_samples,
            rail=None,
        )
        _run(bar(raw_chunks()), segments, engine, rate, (lambda d: d) if sign > 0 else (lambda d: -d))
        amplitudes = sign * np.asarray(engine.peaks, dtype=np.float64)
    return _result(
        engine,
        amplitudes,
        np.asarray(engine.flat, dtype=bool),
        recording,
        info,
        rate,
        threshold,
        hysteresis,
        polarity,
        calibration_a_per_us_per_unit,
        notes,
    )


def _result(
    engine, amplitudes, saturated, recording, info, rate, threshold, hysteresis, polarity, calibration, notes
) -> DetectedPulses:
    amplitudes = np.asarray(amplitudes, dtype=np.float64)
    di_dt = amplitudes * float(calibration) if calibration is not None else np.full(amplitudes.size, np.nan)
    return DetectedPulses(
        times_s=np.asarray(engine.onsets, dtype=np.float64),
        amplitudes=amplitudes,
        di_dt_a_per_us=di_dt,
        saturated=saturated,
        segments=np.asarray(engine.onset_segments, dtype=np.int64),
        channel=info.name,
        path=None if recording.path is None else str(recording.path),
        sample_rate_hz=rate,
        unit=info.unit,
        threshold=threshold,
        hysteresis=hysteresis,
        polarity=polarity,
        notes=notes,
    )


def _empty(recording, info, rate, polarity, notes) -> DetectedPulses:
    empty = np.empty(0)
    return DetectedPulses(
        empty,
        empty.copy(),
        empty.copy(),
        np.empty(0, bool),
        np.empty(0, np.int64),
        info.name,
        None if recording.path is None else str(recording.path),
        rate,
        info.unit,
        None,
        None,
        polarity,
        notes,
    )


class _ArrayRecording(Recording):
    """A plain array seen as a one-segment recording (for :func:`detect_pulses_in_array`)."""

    def __init__(self, data: np.ndarray, rate: float, start_time_s: float, unit: str) -> None:
        from nwbtms.sources.daq.base import ChannelInfo, check_sample_rate

        rate = check_sample_rate(rate, file="<array>", field="sample_rate_hz")
        kind = "digital" if data.dtype == bool else "analog"
        self._data = data
        super().__init__(
            path=None,
            format="array",
            sample_rate_hz=rate,
            channels=[ChannelInfo("data", kind, unit, 0)],
            segments=[Segment(0, float(start_time_s), int(data.shape[0]))],
        )

    def _read(self, info, segment, start, stop) -> np.ndarray:
        part = self._data[start:stop]
        return part if part.dtype == bool else np.asarray(part, dtype=np.float64)


def detect_pulses_in_array(
    data: np.ndarray,
    sample_rate_hz: float,
    *,
    threshold: float | None = None,
    hysteresis: float | None = None,
    refractory_s: float = DEFAULT_REFRACTORY_S,
    polarity: Polarity = "rising",
    calibration_a_per_us_per_unit: float | None = None,
    start_time_s: float = 0.0,
    unit: str = "",
    chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
) -> DetectedPulses:
    """:func:`detect_pulses` on a 1-D array (bool: digital line; numbers: analog trace)."""
    data = np.asarray(data)
    if data.ndim != 1:
        raise InputError(f"data must be 1-D, got shape {data.shape}", field="data")
    if data.dtype != bool and not np.issubdtype(data.dtype, np.number):
        raise InputError(f"data must be numeric or bool, got {data.dtype}", field="data")
    if data.dtype != bool and data.size and not np.all(np.isfinite(data)):
        raise InputError(
            "data contains NaN or infinite values",
            field="data",
            hint="interpolate or drop the gaps before detection",
        )
    recording = _ArrayRecording(data, sample_rate_hz, start_time_s, unit)
    return detect_pulses(
        recording,
        "data",
        threshold=threshold,
        hysteresis=hysteresis,
        refractory_s=refractory_s,
        polarity=polarity,
        calibration_a_per_us_per_unit=calibration_a_per_us_per_unit,
        chunk_samples=chunk_samples,
    )


def pulses_from_edge_times(
    times_s,
    *,
    channel: str,
    path: str | None = None,
    refractory_s: float = DEFAULT_REFRACTORY_S,
    notes: list[str] | None = None,
) -> DetectedPulses:
    """Pulses from edge times the acquisition system measured itself (e.g. ScanImage ``auxTrigger``).

    No trace to threshold: each edge is a pulse onset (amplitude 1.0, as for digital lines), after the
    same debounce as :func:`detect_pulses` (an edge less than ``refractory_s`` after a kept one is dropped).
    """
    _check_common("rising", refractory_s, None, None)
    times = np.sort(np.asarray(times_s, dtype=np.float64).ravel())
    if times.size and not np.all(np.isfinite(times)):
        raise InputError(f"edge times of {channel!r} are not all finite", file=path, field=channel)
    kept: list[float] = []
    for t in times.tolist():
        if not kept or t - kept[-1] >= refractory_s:
            kept.append(t)
    n = len(kept)
    return DetectedPulses(
        times_s=np.asarray(kept, dtype=np.float64),
        amplitudes=np.ones(n),
        di_dt_a_per_us=np.full(n, np.nan),
        saturated=np.zeros(n, bool),
        segments=np.zeros(n, np.int64),
        channel=channel,
        path=path,
        sample_rate_hz=math.nan,
        notes=list(notes or []) + ["edge times recorded by the acquisition system (no threshold detection)"],
    )
