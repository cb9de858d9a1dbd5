"""Step 7, time units: every time column and time axis states seconds, the unit NWB times are in.

Event times (``TimestampVectorData``, ``DurationVectorData``: their ``unit`` attribute), TimeSeries
``timestamps`` and ``starting_time``: a time stored in milliseconds and labelled so is 1,000 times off for
every NWB tool, and for the checks that compare times. Works on the HDF5 tree, so it runs in every profile and
when the objects cannot be built; the TMS checks read times with :func:`seconds_of`.
"""

from __future__ import annotations

from collections.abc import Iterator

from nwbtms.validate.context import FileContext, child_dataset
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

DATA_TIME_UNIT = define(
    "data.time_unit", Severity.CRITICAL, 7, "Time columns and time axes declare their unit as seconds.",
    "Store times in seconds and set unit='seconds' (NWB times are seconds from the session start).", fast=False)

#: Unit names -> seconds per unit (the names a writer would plausibly put in a ``unit`` attribute).
SECONDS_PER_UNIT = {"seconds": 1.0, "second": 1.0, "s": 1.0, "sec": 1.0,
                    "milliseconds": 1e-3, "millisecond": 1e-3, "ms": 1e-3,
                    "microseconds": 1e-6, "microsecond": 1e-6, "us": 1e-6,
                    "nanoseconds": 1e-9, "ns": 1e-9, "minutes": 60.0, "min": 60.0, "hours": 3600.0, "h": 3600.0}
#: Types whose ``unit`` attribute is the unit of their times.
TIME_COLUMN_TYPES = ("TimestampVectorData", "DurationVectorData")


def seconds_per_unit(unit) -> float | None:
    """Seconds per ``unit`` (None when the unit is unknown; a missing unit means seconds)."""
    if unit is None:
        return 1.0
    text = unit.decode() if isinstance(unit, bytes) else str(unit)
    return SECONDS_PER_UNIT.get(text.strip().lower())


def declared_unit(column):
    """The unit a time column declares in the file (its HDF5 ``unit`` attribute, which pynwb replaces by
    'seconds' when it builds the object), else the object's ``unit``."""
    import h5py

    data = getattr(column, "data", None)
    data = getattr(data, "dataset", data)
    if isinstance(data, h5py.Dataset) and "unit" in data.attrs:
        return data.attrs["unit"]
    return getattr(column, "unit", None)


def seconds_of(column) -> float:
    """Seconds per unit of a time column (1 when its unit is seconds, missing or unknown: data.time_unit
    reports those)."""
    return seconds_per_unit(declared_unit(column)) or 1.0


def _unit_hit(path: str, unit, what: str) -> Hit | None:
    text = unit.decode() if isinstance(unit, bytes) else str(unit)
    if text == "seconds":
        return None
    scale = seconds_per_unit(text)
    meaning = f"{scale:g} s per unit" if scale else "not a unit of time nwbtms knows"
    return DATA_TIME_UNIT.hit(f"{what} has unit {text!r} ({meaning}); NWB times are in seconds", location=path)


@register_check(DATA_TIME_UNIT, neurodata_type=None)
def check_time_units(ctx: FileContext) -> Iterator[Hit]:
    """The unit of every time column and every TimeSeries time axis in the file."""
    seen: set = set()
    for path, (namespace, neurodata_type) in ctx.tree.typed.items():
        lineage = ctx.hierarchy(namespace, neurodata_type)
        if any(t in lineage for t in TIME_COLUMN_TYPES):
            dataset = ctx.h5.get(path)
            unit = dataset.attrs.get("unit") if dataset is not None else None
            if unit is not None:
                hit = _unit_hit(path, unit, f"time column {path.rsplit('/', 1)[-1]!r}")
                if hit is not None:
                    yield hit
        elif "TimeSeries" in lineage:
            for axis in ("timestamps", "starting_time"):
                dataset = child_dataset(ctx, path, axis)
                if dataset is None or dataset.id in seen:
                    continue
                seen.add(dataset.id)
                unit = dataset.attrs.get("unit")
                if unit is not None:
                    hit = _unit_hit(dataset.name, unit, f"{axis} of {path}")
                    if hit is not None:
                        yield hit
