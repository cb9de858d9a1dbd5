"""Delivered pulse times against a whole protocol: every missing and extra pulse located, and a check of
whether another stimulator interval convention explains the pulses far better.

Stimulators read "the interval between trains" differently (:mod:`nwbtms.protocols.model`): a protocol that
says "8 s between 2 s iTBS trains" (a gap after the end of the train, trains every 10 s) delivered on a
MagVenture MagPro, which counts its inter-train interval from the last pulse, starts trains every 9.84 s, and
most pulses then miss the declared schedule. :func:`compare_with_protocol` reconciles the pulses with the
protocol as declared and with the train interval re-read in each other convention; when one of them leaves
far fewer pulses unmatched, it is named (:attr:`ProtocolComparison.better`).

``read_pulse_times`` reads the delivered times from a CSV file with a ``time_s`` column.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import InputError, ProtocolError
from nwbtms.protocols.model import INTERVAL_CONVENTIONS, Protocol
from nwbtms.protocols.reconcile import Reconciliation, reconcile
from nwbtms.protocols.schedule import Schedule, build_schedule

#: How each convention reads a stated interval, for messages.
CONVENTION_TEXT = {
    "onset_to_onset": "onset to onset",
    "gap_after_end": "a gap after the nominal end of each unit",
    "gap_after_last_pulse": "a gap after the last pulse of each unit (MagVenture MagPro's inter-train interval)",
}
#: An alternative reading is reported when it leaves at most this fraction of the declared reading's unmatched
#: pulses (missing + extra) and at least :data:`MIN_IMPROVEMENT` fewer.
BETTER_FRACTION = 0.25
MIN_IMPROVEMENT = 3
#: The level whose interval stimulators state (their "inter-train interval").
STATED_LEVEL = "train"


def read_pulse_times(path: str | os.PathLike) -> np.ndarray:
    """Delivered pulse times, s, from the ``time_s`` column of a CSV file (other columns ignored).

    Raises
    ------
    InputError
        Missing file or column, or a value that is not a finite number (with its line).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("pulse times file not found", file=path, hint="give a CSV file with a time_s column")
    values: list[float] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        names = [h.strip() for h in header] if header else []
        if "time_s" not in names:
            raise InputError(f"no time_s column (columns: {', '.join(names) or 'none'})", file=path, line=1,
                             hint="name the column of delivered pulse times, in seconds, time_s")
        column = names.index("time_s")
        for line, row in enumerate(reader, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            text = row[column].strip() if column < len(row) else ""
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise InputError(f"time_s {text!r} is not a finite number", file=path, line=line,
                                 field="time_s", hint="one pulse time in seconds per row")
            values.append(value)
    if not values:
        raise InputError("no pulse times", file=path, hint="add one row per delivered pulse")
    return np.asarray(values, dtype=np.float64)


@dataclass
class Alternative:
    """The protocol with its train interval re-read in another convention, and how well it explains the pulses."""

    stated_as: str
    read_as: str
    interval_s: float
    reconciliation: Reconciliation

    @property
    def unmatched(self) -> int:
        return int(self.reconciliation.missing.size + self.reconciliation.extra.size)

    def describe(self, protocol: Protocol) -> str:
        index = protocol.level_names.index(STATED_LEVEL)
        stated = protocol.stated_interval_us(index, self.stated_as) / 1e6
        return (f"the {STATED_LEVEL} interval {stated:g} s read as {CONVENTION_TEXT[self.read_as]} instead of "
                f"{CONVENTION_TEXT[self.stated_as]} ({STATED_LEVEL}s every {self.interval_s:g} s)")


@dataclass
class ProtocolComparison:
    """Result of :func:`compare_with_protocol`."""

    protocol: Protocol
    schedule: Schedule
    delivered_s: np.ndarray
    reconciliation: Reconciliation
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def better(self) -> Alternative | None:
        """The alternative reading that explains the pulses far better than the declared one, or None."""
        base = int(self.reconciliation.missing.size + self.reconciliation.extra.size)
        best = min(self.alternatives, key=lambda a: a.unmatched, default=None)
        if best is None or base - best.unmatched < MIN_IMPROVEMENT or best.unmatched > BETTER_FRACTION * base:
            return None
        return best

    def missing_pulses(self) -> list[dict[str, Any]]:
        """Each declared pulse not delivered: its index, declared time, expected delivered time and level indices."""
        rec, schedule = self.reconciliation, self.schedule
        scale = 1.0 + rec.drift_ppm * 1e-6
        return [{"index": int(k), "declared_time_s": float(schedule.times_s[k]),
                 "expected_time_s": float(rec.offset_s + scale * schedule.times_s[k]), **self._indices(int(k))}
                for k in rec.missing.tolist()]

    def extra_pulses(self) -> list[dict[str, Any]]:
        """Each delivered pulse without a declared one: its index and time, where it falls (``location``) and the
        level indices of the declared pulse just before it (``after``; None before the first pulse)."""
        rec, schedule = self.reconciliation, self.schedule
        out = []
        declared_clock = rec.to_declared_clock(self.delivered_s[rec.extra]) if rec.extra.size else np.zeros(0)
        before = np.searchsorted(schedule.times_s, declared_clock, side="right") - 1
        places = {j: d.location for d in rec.discrepancies if d.kind == "extra" for j in d.indices}
        for j, t, k in zip(rec.extra.tolist(), declared_clock.tolist(), before.tolist(), strict=True):
            out.append({"index": int(j), "time_s": float(self.delivered_s[j]), "declared_clock_time_s": float(t),
                        "location": places.get(j, ""), "after": self._indices(int(k)) if k >= 0 else None})
        return out

    def _indices(self, pulse: int) -> dict[str, int]:
        names = list(reversed(self.schedule.protocol.level_names))
        return {name: int(self.schedule.index[name][pulse]) for name in names}

    def to_dict(self) -> dict[str, Any]:
        """JSON form: counts, clock fit, every missing and extra pulse located, the better convention if any."""
        rec = self.reconciliation
        better = self.better
        return {
            "protocol": self.protocol.name,
            "declared": rec.n_declared,
            "delivered": rec.n_delivered,
            "matched": int(len(rec.matched)),
            "missing": int(rec.missing.size),
            "extra": int(rec.extra.size),
            "offset_s": rec.offset_s,
            "drift_ppm": rec.drift_ppm,
            "max_abs_residual_s": rec.max_abs_residual_s,
            "tolerance_s": rec.tolerance_s,
            "interval_conventions": {lvl.name: lvl.stated_as for lvl in self.protocol.levels[1:]},
            "missing_pulses": self.missing_pulses(),
            "extra_pulses": self.extra_pulses(),
            "discrepancies": [str(d) for d in rec.discrepancies],
            "better_convention": None if better is None else {
                "stated_as": better.stated_as, "read_as": better.read_as, "interval_s": better.interval_s,
                "matched": int(len(better.reconciliation.matched)),
                "missing": int(better.reconciliation.missing.size),
                "extra": int(better.reconciliation.extra.size),
                "explanation": better.describe(self.protocol),
            },
        }

    def summary(self, max_items: int = 20) -> str:
        """Human text: counts, clock, each missing or extra pulse, and the better convention if any."""
        counts, clock = self.reconciliation.summary(max_items=0).splitlines()[:2]
        lines = [f"{self.protocol.name}: {counts}", f"  {clock}"]
        for item in self.missing_pulses()[:max_items]:
            where = ", ".join(f"{k} {v}" for k, v in item.items() if k not in ("index", "declared_time_s",
                                                                                "expected_time_s"))
            lines.append(f"  missing: declared pulse {item['index']} ({where}) expected at "
                         f"{item['expected_time_s']:.6f} s")
        for item in self.extra_pulses()[:max_items]:
            lines.append(f"  extra: delivered pulse {item['index']} at {item['time_s']:.6f} s ({item['location']})")
        hidden = max(0, len(self.reconciliation.missing) - max_items) + max(0, len(self.reconciliation.extra)
                                                                             - max_items)
        if hidden:
            lines.append(f"  ... {hidden} more (use --format json for all)")
        better = self.better
        if better is not None:
            rec = better.reconciliation
            lines.append(f"note: the pulses follow {better.describe(self.protocol)}: {len(rec.matched):,} matched, "
                         f"{rec.missing.size:,} missing, {rec.extra.size:,} extra; the stimulator likely uses "
                         f"that convention, declare the protocol with it")
        return "\n".join(lines)


def compare_with_protocol(protocol: Protocol, delivered_s, *, tolerance_s: float | None = None,
                          seed: int | None = None) -> ProtocolComparison:
    """Reconcile ``delivered_s`` with ``protocol`` and with its train interval re-read in other conventions.

    Parameters
    ----------
    protocol : Protocol
    delivered_s : array_like
        Delivered pulse times, s, any clock offset.
    tolerance_s : float, optional
        Matching tolerance (default: a quarter of the shortest declared interval, at most 10 ms).
    seed : int, optional
        Seed of the protocol's jitter draws.
    """
    delivered = np.asarray(delivered_s, dtype=np.float64)
    schedule = build_schedule(protocol, seed=seed)
    result = reconcile(schedule.times_s, delivered, schedule=schedule, tolerance_s=tolerance_s)
    comparison = ProtocolComparison(protocol=protocol, schedule=schedule, delivered_s=delivered,
                                    reconciliation=result)
    if STATED_LEVEL not in protocol.level_names or result.ok:
        return comparison
    index = protocol.level_names.index(STATED_LEVEL)
    if protocol.levels[index].count < 2:
        return comparison
    declared_as = protocol.levels[index].stated_as
    seen = {protocol.levels[index].interval_us}
    for stated_as in INTERVAL_CONVENTIONS:
        for read_as in INTERVAL_CONVENTIONS:
            if read_as == stated_as:
                continue
            try:
                variant = protocol.reread(STATED_LEVEL, stated_as, read_as)
            except ProtocolError:
                continue  # that reading would make trains overlap
            interval_us = variant.levels[index].interval_us
            if interval_us in seen:
                continue
            seen.add(interval_us)
            variant_schedule = build_schedule(variant, seed=seed)
            rec = reconcile(variant_schedule.times_s, delivered, schedule=variant_schedule, tolerance_s=tolerance_s)
            comparison.alternatives.append(Alternative(stated_as=stated_as, read_as=read_as,
                                                       interval_s=interval_us / 1e6, reconciliation=rec))
    # the declared reading first among equals: stated as the protocol states it
    comparison.alternatives.sort(key=lambda a: (a.unmatched, a.stated_as != declared_as))
    return comparison
