"""Scan arrays read in bounded slices so every element is checked with memory independent of the array size.

The slices come from the read layer the report shares (:mod:`nwbtms.io.h5read`: ``iter_rows``, ``n_rows``,
``unwrap``, ``CHUNK_ELEMENTS``, re-exported here for the checks)."""

from __future__ import annotations

import numpy as np

from nwbtms.io.h5read import CHUNK_ELEMENTS, iter_rows, n_rows, unwrap


class FirstOffender:
    """Count offending elements over slices and remember the first one (index and a description)."""

    def __init__(self) -> None:
        self.count = 0
        self.index: int | None = None
        self.detail = ""

    def add(self, start: int, bad: np.ndarray, describe=None) -> None:
        """Add the offsets ``bad`` (into a slice starting at ``start``); ``describe(offset)`` says what the
        first offender is."""
        if bad.size:
            self.count += int(bad.size)
            if self.index is None:
                self.index = start + int(bad[0])
                self.detail = describe(int(bad[0])) if describe is not None else ""


class AscendingScan:
    """Find decreasing steps in a sequence fed block by block (NaN is skipped, as "unknown").

    After :meth:`feed` of every block, ``first_bad`` is the index of the first element smaller than the
    previous finite one, ``bad_count`` the number of such elements.
    """

    def __init__(self) -> None:
        self.last = -np.inf
        self.first_bad: int | None = None
        self.first_bad_values: tuple[float, float] | None = None
        self.bad_count = 0

    def feed(self, start: int, block: np.ndarray) -> None:
        """Scan ``block`` whose first element has index ``start``."""
        values = np.asarray(block, dtype=float).ravel()
        finite = np.flatnonzero(~np.isnan(values))
        if finite.size == 0:
            return
        seq = values[finite]
        previous = np.concatenate(([self.last], seq[:-1]))
        bad = np.flatnonzero(seq < previous)
        if bad.size:
            self.bad_count += int(bad.size)
            if self.first_bad is None:
                self.first_bad = start + int(finite[bad[0]])
                self.first_bad_values = (float(previous[bad[0]]), float(seq[bad[0]]))
        self.last = float(seq[-1])

    def describe(self, what: str, position: str = "element", unit: str = "") -> str:
        """``"<what> decrease N time(s); first at <position> <index> (a -> b)"`` after a scan that found some."""
        before, after = self.first_bad_values
        return (f"{what} decrease {self.bad_count} time(s); first at {position} {self.first_bad} "
                f"({before!r}{unit} -> {after!r}{unit})")


class RegularScan:
    """Decide block by block whether consecutive differences are all equal (to ``decimals`` places).

    Same rule as NWB Inspector's ``check_regular_timestamps`` (differences rounded to 9 decimals), without
    reading the whole array at once.
    """

    def __init__(self, decimals: int = 9) -> None:
        self.decimals = decimals
        self.step: float | None = None
        self.regular = True
        self.previous: float | None = None
        self.count = 0

    def feed(self, block: np.ndarray) -> None:
        """Scan the next block."""
        if not self.regular:
            return
        values = np.asarray(block, dtype=float).ravel()
        if values.size == 0:
            return
        if self.previous is not None:
            values = np.concatenate(([self.previous], values))
        self.previous = float(values[-1])
        self.count += values.size
        diffs = np.unique(np.round(np.diff(values), self.decimals))
        if diffs.size == 0:
            return
        if self.step is None:
            self.step = float(diffs[0])
        if diffs.size > 1 or diffs[0] != self.step:
            self.regular = False


__all__ = ["CHUNK_ELEMENTS", "AscendingScan", "FirstOffender", "RegularScan", "iter_rows", "n_rows", "unwrap"]
