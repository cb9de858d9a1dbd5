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
                        "equal to it).", "Swap or fix the interval bounds.", fast=False)


@register_check(DATA_TIMESTAMPS_FINITE, DATA_TIMESTAMPS_ASCENDING, DATA_TIMESTAMPS_REGULAR, DATA_INTERVALS,
                neurodata_type=None)
def check_arrays(ctx: FileContext) -> Iterator[Hit]:
    """Scan every TimeSeries timestamps dataset and every TimeIntervals table."""
    seen: set = set()
    for path, (namespace, neurodata_type) in ctx.tree.typed.items():
        lineage = ctx.hierarchy(namespace, neurodata_type)
        if "TimeSeries" in lineage:
            timestamps = child_dataset(ctx, path, "timestamps")
            if timestamps is not None and timestamps.id not in seen:
                seen.add(timestamps.id)
                yield from check_timestamps(timestamps, ctx.chunk_elements)
        elif "EventsTable" in lineage:
            if ctx.profile == "tms" and "TMSPulsesTable" in lineage:
                continue  # every pulse time is checked in step 6 (tms.pulses.finite, tms.pulses.ascending)
            timestamps = child_dataset(ctx, path, "timestamp")
            if timestamps is not None and timestamps.id not in seen:
                seen.add(timestamps.id)
                yield from check_timestamps(timestamps, ctx.chunk_elements, regular=False)
        elif "TimeIntervals" in lineage:
            yield from check_intervals(child_dataset(ctx, path, "start_time"), child_dataset(ctx, path, "stop_time"),
                                       ctx.chunk_elements)


def check_timestamps(dataset: h5py.Dataset, chunk_elements: int, *, regular: bool = True) -> Iterator[Hit]:
    """Finite, ascending and (for a TimeSeries, ``regular``) not regularly spaced timestamps, every element."""
    if dataset.ndim != 1 or dataset.dtype.kind not in "fiu":
        return
    ascending = AscendingScan()
    spacing = RegularScan() if regular else None
    nonfinite = FirstOffender()
    for start, block in iter_rows(dataset, chunk_elements=chunk_elements):
        if block.dtype.kind == "f":
            nonfinite.add(start, np.flatnonzero(~np.isfinite(block)))
        ascending.feed(start, block)
        if spacing is not None:
            spacing.feed(block)
    if nonfinite.count:
        yield DATA_TIMESTAMPS_FINITE.hit(f"{nonfinite.count} of {dataset.shape[0]} timestamps are NaN or infinite",
                                         location=dataset.name, index=nonfinite.index, count=nonfinite.count)
    if ascending.bad_count:
        yield DATA_TIMESTAMPS_ASCENDING.hit(ascending.describe("timestamps"),
                                            location=dataset.name, index=ascending.first_bad,
                                            count=ascending.bad_count)
    if spacing is None:
        return
    if spacing.regular and spacing.count > 2 and spacing.step not in (None, 0.0) and not nonfinite.count:
        first = float(dataset[0])
        yield DATA_TIMESTAMPS_REGULAR.hit(
            f"timestamps are regular (step {spacing.step!r} s); use starting_time={first!r} and "
            f"rate={1 / spacing.step!r}", location=dataset.name)


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
