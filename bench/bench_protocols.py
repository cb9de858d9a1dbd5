"""Benchmark: schedule and reconcile the 90,000-pulse SNT course (Cole et al. 2020).

- schedule: ``build_schedule(snt_course)`` (exact int64 us) against a baseline that accumulates float
  seconds pulse by pulse in Python (the naive way; also shows its drift from the exact times);
- reconcile: 1% dropped, 0.1% extra pulses, 20 ppm clock drift, 2.5 s offset, +-0.2 ms jitter, against
  a baseline of one ``np.searchsorted`` of the delivered times into the declared ones (the core of any
  matcher, without offset, drift, one-to-one matching or locations).

Prints median times of ``--repeats`` runs and the ratios. Target: both well under 50 ms.
Run from the repo root: ``python -m bench.bench_protocols [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nwbtms.protocols import build_schedule, get_preset, reconcile

DROP_FRACTION = 0.01
EXTRA_FRACTION = 0.001
DRIFT_PPM = 20.0
OFFSET_S = 2.5
JITTER_S = 0.0002


def median_time(func, repeats: int) -> tuple[float, object]:
    """Median wall time (s) of ``repeats`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def naive_float_schedule(protocol) -> np.ndarray:
    """Baseline: a Python loop adding each pulse's float step in seconds to a running time."""
    counts = [lvl.count for lvl in protocol.levels]
    intervals = [lvl.interval_us / 1e6 for lvl in protocol.levels]
    # step taken when level k advances and every inner level wraps to 0
    steps = [intervals[k] - sum((counts[j] - 1) * intervals[j] for j in range(k)) for k in range(len(counts))]
    index = [0] * len(counts)
    times = [0.0] * protocol.total_pulses
    t = 0.0
    for i in range(1, protocol.total_pulses):
        k = 0
        while index[k] == counts[k] - 1:
            index[k] = 0
            k += 1
        index[k] += 1
        t += steps[k]
        times[i] = t
    return np.asarray(times)


def delivered_times(declared_s: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    keep = rng.random(declared_s.size) >= DROP_FRACTION
    extra = rng.uniform(0, declared_s[-1], int(round(EXTRA_FRACTION * declared_s.size)))
    times = np.sort(np.concatenate([declared_s[keep], extra]))
    return OFFSET_S + times * (1 + DRIFT_PPM * 1e-6) + rng.uniform(-JITTER_S, JITTER_S, times.size)


def _located(declared, delivered, schedule):
    result = reconcile(declared, delivered, schedule=schedule)
    return result.discrepancies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    protocol = get_preset("snt_course")

    naive_s, naive = median_time(lambda: naive_float_schedule(protocol), max(1, args.repeats // 3))
    exact_s, schedule = median_time(lambda: build_schedule(protocol), args.repeats)
    drift_us = float(np.abs(naive - schedule.times_us / 1e6).max() * 1e6)
    print(f"schedule snt_course ({len(schedule):,} pulses): {exact_s * 1e3:.1f} ms; naive float loop "
          f"{naive_s * 1e3:.1f} ms (ratio naive/exact {naive_s / exact_s:.1f}x; naive max error {drift_us:.3f} us)")

    declared = schedule.times_s
    delivered = delivered_times(declared)
    base_s, _ = median_time(lambda: np.searchsorted(declared, delivered), args.repeats)
    rec_s, result = median_time(lambda: reconcile(declared, delivered, schedule=schedule), args.repeats)
    located_s, _ = median_time(lambda: _located(declared, delivered, schedule), args.repeats)
    print(f"reconcile ({delivered.size:,} delivered, {DROP_FRACTION:.0%} dropped, {EXTRA_FRACTION:.1%} extra, "
          f"{DRIFT_PPM:g} ppm): {rec_s * 1e3:.1f} ms (match and clock fit); with every discrepancy located "
          f"{located_s * 1e3:.1f} ms; one np.searchsorted {base_s * 1e3:.1f} ms "
          f"(ratios to searchsorted {rec_s / base_s:.1f}x and {located_s / base_s:.1f}x)")
    print(f"  result: {len(result.matched):,} matched, {result.missing.size} missing, {result.extra.size} extra, "
          f"drift {result.drift_ppm:.3f} ppm, offset {result.offset_s:.6f} s, "
          f"{len(result.discrepancies)} discrepancy places, e.g. '{result.discrepancies[0]}'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
