"""Step 7: generic data checks over whole arrays, read in slices (bounded memory, every element).

Works on the HDF5 tree directly, so it runs even when pynwb cannot build the objects: every ``timestamps``
dataset of a TimeSeries (finite, ascending, regular), every ``timestamp`` column of an EventsTable (finite,
ascending; TMS pulses are checked in step 6 under the tms profile) and every TimeIntervals table (stop after
start).
"""

from __future__ import annotations

from collections.abc import Iterator

import h5py
import numpy as np

from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.chunked import AscendingScan, FirstOffender, RegularScan, iter_rows
from nwbtms.validate.context import FileContext, child_dataset
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

DATA_TIMESTAMPS_FINITE = define("data.timestamps.finite", Severity.CRITICAL, 7, "Every timestamp is finite.",
                                "Replace NaN/inf timestamps; drop samples without a time.", fast=False)
DATA_TIMESTAMPS_ASCENDING = define("data.timestamps.ascending", Severity.CRITICAL, 7, "Timestamps never decrease.",
                                   "Sort samples by time or fix the clock alignment.", fast=False)
DATA_TIMESTAMPS_REGULAR = define("data.timestamps.regular", Severity.BEST_PRACTICE_VIOLATION, 7,  # as NWB Inspector
                                 "Regularly sampled series use starting_time and rate instead of timestamps.",
                                 "Store starting_time and rate; drop the timestamps dataset.", fast=False)
DATA_INTERVALS = define("data.intervals.stop_after_start", Severity.CRITICAL, 7,
                        "TimeIntervals stop_time is after start_time (CRITICAL before it, BEST_PRACTICE_VIOLATION "
                        "equal to it).", "Swap or fix the interval bounds.", fast=False,
                        other_severities=(Severity.BEST_PRACTICE_VIOLATION,))


def _series_timestamps(ctx: FileContext) -> Iterator[tuple[h5py.Dataset, bool]]:
    """``(timestamps, regular)`` of every TimeSeries (``regular``: the spacing is checked too) and every
    EventsTable (TMS pulses are checked in step 6 under the tms profile), each dataset once."""
    seen: set = set()
    for path, (namespace, neurodata_type) in ctx.tree.typed.items():
        lineage = ctx.hierarchy(namespace, neurodata_type)
        if "TimeSeries" in lineage:
            timestamps, regular = child_dataset(ctx, path, "timestamps"), True
        elif "EventsTable" in lineage:
            if ctx.profile == "tms" and "TMSPulsesTable" in lineage:
                continue  # every pulse time is checked in step 6 (tms.pulses.finite, tms.pulses.ascending)
            timestamps, regular = child_dataset(ctx, path, "timestamp"), False
        else:
            continue
        if timestamps is not None and timestamps.id not in seen:
            seen.add(timestamps.id)
            yield timestamps, regular


@shared(DATA_TIMESTAMPS_FINITE, DATA_TIMESTAMPS_ASCENDING, DATA_TIMESTAMPS_REGULAR)
def timestamps_pass(ctx: FileContext, hits: PassHits) -> None:
    """One pass over every timestamps dataset of the file for the three ``data.timestamps.*`` checks."""
    for timestamps, regular in _series_timestamps(ctx):
        scan_timestamps(timestamps, ctx.chunk_elements, hits, regular=regular)


@register_check(DATA_TIMESTAMPS_FINITE, neurodata_type=None)
def check_timestamps_finite(ctx: FileContext) -> Iterator[Hit]:
    """Every timestamp of every TimeSeries and EventsTable is finite (shared pass: :func:`timestamps_pass`)."""
    yield from timestamps_pass.hits(DATA_TIMESTAMPS_FINITE, ctx)


@register_check(DATA_TIMESTAMPS_ASCENDING, neurodata_type=None)
def check_timestamps_ascending(ctx: FileContext) -> Iterator[Hit]:
    """Timestamps of every TimeSeries and EventsTable never decrease."""
    yield from timestamps_pass.hits(DATA_TIMESTAMPS_ASCENDING, ctx)


@register_check(DATA_TIMESTAMPS_REGULAR, neurodata_type=None)
def check_timestamps_regular(ctx: FileContext) -> Iterator[Hit]:
    """A TimeSeries with regularly spaced timestamps should store starting_time and rate instead."""
    yield from timestamps_pass.hits(DATA_TIMESTAMPS_REGULAR, ctx)


@register_check(DATA_INTERVALS, neurodata_type=None)
def check_intervals_stop_after_start(ctx: FileContext) -> Iterator[Hit]:
    """Every row of every TimeIntervals table stops after it starts."""
    for path, (namespace, neurodata_type) in ctx.tree.typed.items():
        if "TimeIntervals" in ctx.hierarchy(namespace, neurodata_type):
            yield from check_intervals(child_dataset(ctx, path, "start_time"), child_dataset(ctx, path, "stop_time"),
                                       ctx.chunk_elements)


def check_timestamps(dataset: h5py.Dataset, chunk_elements: int, *, regular: bool = True) -> Iterator[Hit]:
    """Finite, ascending and (for a TimeSeries, ``regular``) not regularly spaced timestamps, every element
    (the three checks of :func:`scan_timestamps` on one dataset; raises what a part raised)."""
    hits = PassHits((DATA_TIMESTAMPS_FINITE, DATA_TIMESTAMPS_ASCENDING, DATA_TIMESTAMPS_REGULAR))
    scan_timestamps(dataset, chunk_elements, hits, regular=regular)
    for check in (DATA_TIMESTAMPS_FINITE, DATA_TIMESTAMPS_ASCENDING, DATA_TIMESTAMPS_REGULAR):
        part = hits.part(check)
        if isinstance(part, BaseException):
            raise part
        yield from part


def scan_timestamps(dataset: h5py.Dataset, chunk_elements: int, hits: PassHits, *, regular: bool = True) -> None:
    """Add to ``hits`` the finite, ascending and (``regular``) regular-spacing findings of ``dataset``, one
    read of each slice, each check a part under its own guard."""
    if dataset.ndim != 1 or dataset.dtype.kind not in "fiu":
        return
    ascending = AscendingScan()
    spacing = RegularScan() if regular else None
    nonfinite = FirstOffender()
    for start, block in iter_rows(dataset, chunk_elements=chunk_elements):
        if block.dtype.kind == "f":
            hits.guard(DATA_TIMESTAMPS_FINITE, _add_nonfinite, nonfinite, start, block)
        hits.guard(DATA_TIMESTAMPS_ASCENDING, ascending.feed, start, block)
        if spacing is not None:
            hits.guard(DATA_TIMESTAMPS_REGULAR, spacing.feed, block)
    if nonfinite.count:
        hits.add(DATA_TIMESTAMPS_FINITE.hit(f"{nonfinite.count} of {dataset.shape[0]} timestamps are NaN or infinite",
                                            location=dataset.name, index=nonfinite.index, count=nonfinite.count))
    if ascending.bad_count:
        hits.guard(DATA_TIMESTAMPS_ASCENDING, lambda: hits.add(DATA_TIMESTAMPS_ASCENDING.hit(
            ascending.describe("timestamps"), location=dataset.name, index=ascending.first_bad,
            count=ascending.bad_count)))
    if spacing is None:
        return

    def spacing_hit() -> Iterator[Hit]:
        # NaN timestamps are data.timestamps.finite's finding; a series with some is not called regular
        if spacing.regular and spacing.count > 2 and spacing.step not in (None, 0.0) and not nonfinite.count:
            first = float(dataset[0])
            yield DATA_TIMESTAMPS_REGULAR.hit(
                f"timestamps are regular (step {spacing.step!r} s); use starting_time={first!r} and "
                f"rate={1 / spacing.step!r}", location=dataset.name)

    hits.guard(DATA_TIMESTAMPS_REGULAR, spacing_hit)


def _add_nonfinite(nonfinite: FirstOffender, start: int, block: np.ndarray) -> None:
    nonfinite.add(start, np.flatnonzero(~np.isfinite(block)))


def check_intervals(start: h5py.Dataset | None, stop: h5py.Dataset | None, chunk_elements: int) -> Iterator[Hit]:
    """``stop_time >= start_time`` on every row of a TimeIntervals table (its two column datasets)."""
    if start is None or stop is None:
        return
    if start.shape != stop.shape:
        return  # the schema check reports unequal column lengths
    reversed_rows, empty_rows = FirstOffender(), FirstOffender()
    for row, block in iter_rows(start, chunk_elements=chunk_elements):
        stops = np.asarray(stop[row:row + block.shape[0]])
        reversed_rows.add(row, np.flatnonzero(stops < block),
                          lambda i, a=block, b=stops: f"start {float(a[i])!r}, stop {float(b[i])!r}")
        empty_rows.add(row, np.flatnonzero(stops == block), lambda i, a=block: f"start = stop = {float(a[i])!r}")
    if reversed_rows.count:
        yield DATA_INTERVALS.hit(
            f"{reversed_rows.count} interval(s) stop before they start; first at row {reversed_rows.index} "
            f"({reversed_rows.detail})", location=stop.name, index=reversed_rows.index, count=reversed_rows.count)
    if empty_rows.count:  # NWB Inspector's check_time_intervals_stop_after_start refuses these too
        yield DATA_INTERVALS.hit(
            f"{empty_rows.count} interval(s) have zero duration (stop = start); first at row {empty_rows.index} "
            f"({empty_rows.detail})", location=stop.name, index=empty_rows.index, count=empty_rows.count,
            severity=Severity.BEST_PRACTICE_VIOLATION)
