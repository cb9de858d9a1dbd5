"""Exact pulse schedules: every declared pulse time in integer microseconds, with its place in the levels.

Pulse ``i`` of a protocol sits at index ``(i // pulses_per_unit(level)) % count(level)`` of each level
and at ``sum(index[level] * interval_us(level))`` us, so times are exact to 1 us however long the
course (no float accumulation; docs/ARCHITECTURE.md). Indices are 0-based, like the
``*_number`` columns of ``TMSPulsesTable``. Jitter is drawn from ``numpy.random.default_rng(seed)``
(seed 0 when not given) so a schedule is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nwbtms.protocols.model import US_PER_S, Protocol

#: Seed used for jittered protocols when the caller gives none, so schedules are reproducible.
DEFAULT_JITTER_SEED = 0


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Schedule:
    """Declared pulses of a protocol.

    Attributes
    ----------
    protocol : Protocol
        The protocol scheduled.
    times_us : numpy.ndarray
        int64 pulse onsets in us, first pulse at 0, strictly increasing (read-only).
    index : dict of str to numpy.ndarray
        Per level name, each pulse's 0-based index within its parent unit (``index["train"]``).
    intensity_fraction : numpy.ndarray or None
        Fraction of the protocol intensity per pulse when the protocol has a ramp.
    seed : int or None
        Seed of the jitter draws (None without jitter).
    """

    protocol: Protocol
    times_us: np.ndarray
    index: dict[str, np.ndarray]
    intensity_fraction: np.ndarray | None = None
    seed: int | None = None
    _unit_cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.times_us.size)

    @property
    def times_s(self) -> np.ndarray:
        """Pulse onsets in seconds (float64; exact to well below 1 us for any course we accept)."""
        return self.times_us / US_PER_S

    def unit_number(self, level: str) -> np.ndarray:
        """Each pulse's 0-based unit of ``level`` counted over the whole schedule (e.g. train 0..1199)."""
        if level not in self._unit_cache:
            per_unit = self.protocol.pulses_per_unit(level)
            self._unit_cache[level] = _readonly(np.arange(len(self), dtype=np.int64) // per_unit)
        return self._unit_cache[level]

    def location_levels(self, down_to: str = "pulse") -> list[str]:
        """Level names used in locations, outermost first, down to ``down_to``, skipping count-1 levels."""
        key = ("levels", down_to)
        if key not in self._unit_cache:
            names = list(reversed(self.protocol.level_names))
            names = names[: names.index(down_to) + 1]
            kept = [n for n in names if self.protocol.level(n).count > 1]
            self._unit_cache[key] = kept or [down_to]
        return self._unit_cache[key]

    def locations(self, pulses, down_to: str = "pulse") -> list[str]:
        """:meth:`location` of many pulses at once."""
        pulses = np.asarray(pulses, dtype=np.int64)
        names = self.location_levels(down_to)
        columns = [self.index[name][pulses].tolist() for name in names]
        return [
            ", ".join(f"{name} {value}" for name, value in zip(names, row, strict=True))
            for row in zip(*columns, strict=True)
        ]

    def location(self, pulse: int, down_to: str = "pulse") -> str:
        """Where pulse ``pulse`` sits, e.g. ``"session 3, train 12, burst 4"`` (0-based)."""
        return ", ".join(f"{name} {self.index[name][pulse]}" for name in self.location_levels(down_to))


def build_schedule(protocol: Protocol, *, seed: int | None = None) -> Schedule:
    """Every pulse of ``protocol``: exact int64 onsets in us (first at 0) and per-level indices.

    Parameters
    ----------
    protocol : Protocol
        The protocol to expand.
    seed : int, optional
        Seed of the jitter draws; :data:`DEFAULT_JITTER_SEED` when None. Ignored without jitter.
    """
    total = protocol.total_pulses
    pulse_number = np.arange(total, dtype=np.int64)
    times_us = np.zeros(total, dtype=np.int64)
    index: dict[str, np.ndarray] = {}
    jitter = protocol.jitter
    used_seed = None
    per_unit = 1
    for lvl in protocol.levels:
        unit_index = (pulse_number // per_unit) % lvl.count if lvl.count > 1 else np.zeros(total, np.int64)
        if jitter is not None and jitter.level == lvl.name and jitter.max_us > 0 and lvl.count > 1:
            used_seed = DEFAULT_JITTER_SEED if seed is None else int(seed)
            rng = np.random.default_rng(used_seed)
            blocks = total // (per_unit * lvl.count)
            steps = lvl.interval_us + rng.integers(
                -jitter.max_us, jitter.max_us, size=(blocks, lvl.count - 1), endpoint=True, dtype=np.int64
            )
            onsets = np.zeros((blocks, lvl.count), dtype=np.int64)
            np.cumsum(steps, axis=1, out=onsets[:, 1:])
            block = pulse_number // (per_unit * lvl.count)
            times_us += onsets[block, unit_index]
        elif lvl.count > 1:
            times_us += unit_index * lvl.interval_us
        index[lvl.name] = _readonly(unit_index.astype(np.int32))
        per_unit *= lvl.count
    fraction = None
    if protocol.ramp is not None:
        ramp = protocol.ramp
        position = index[ramp.level].astype(np.float64)
        fraction = np.where(
            position < ramp.count,
            ramp.start_fraction + (1.0 - ramp.start_fraction) * position / ramp.count,
            1.0,
        )
        fraction = _readonly(fraction)
    return Schedule(
        protocol=protocol,
        times_us=_readonly(times_us),
        index=index,
        intensity_fraction=fraction,
        seed=used_seed,
    )
