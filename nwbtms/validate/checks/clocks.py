"""Step 6, clock alignments: every TMSClockAlignment is internally consistent (one residual per shared event,
finite fit parameters, event times ascending, and the stated RMS residual equal to the residuals' RMS)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._format import plain
from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.chunked import CHUNK_ELEMENTS, AscendingScan, iter_rows, n_rows
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

TMS_CLOCK_ALIGNMENT = define(
    "tms.clock_alignment.consistent", Severity.CRITICAL, 6,
    "A TMSClockAlignment has one residual per shared event, finite offset, drift and residuals, ascending "
    "event times, and rms_residual_in_s equal to the RMS of its residuals.",
    "Write the alignment from one fit (nwbtms.imaging.clock.fit_clock): its event times, their residuals and "
    "its RMS.", profiles=("tms",))

#: Relative allowance between the stated RMS residual and the one recomputed (float64 sums in another order).
RMS_RELATIVE_TOLERANCE = 1e-6
#: Absolute allowance, s (times are written at 1 us resolution; residuals are far below it).
RMS_ABSOLUTE_TOLERANCE_S = 1e-9


@register_check(TMS_CLOCK_ALIGNMENT, neurodata_type="TMSClockAlignment")
def check_clock_alignment(alignment, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """One TMSClockAlignment on its own terms."""
    location = object_path(alignment)
    n_events = n_rows(alignment.device_time_in_s)
    n_residuals = n_rows(alignment.residual_in_s)
    if n_events != n_residuals:
        yield TMS_CLOCK_ALIGNMENT.hit(f"{n_residuals} residual(s) for {n_events} shared event(s) "
                                      "(residual_in_s and device_time_in_s must have one value per event)",
                                      location=location)
    for name in ("offset_in_s", "drift_in_ppm", "rms_residual_in_s"):
        value = getattr(alignment, name, None)
        if value is not None and not math.isfinite(float(value)):
            yield TMS_CLOCK_ALIGNMENT.hit(f"{name} is {plain(value)}", location=location)
    ascending = AscendingScan()
    nonfinite = 0
    for start, block in iter_rows(alignment.device_time_in_s, chunk_elements=chunk_elements):
        block = np.asarray(block, dtype=float)
        nonfinite += int(np.count_nonzero(~np.isfinite(block)))
        ascending.feed(start, block)
    if nonfinite:
        yield TMS_CLOCK_ALIGNMENT.hit(f"{nonfinite} device time(s) are NaN or infinite",
                                      location=column_path(alignment, "device_time_in_s"))
    if ascending.bad_count:
        yield TMS_CLOCK_ALIGNMENT.hit(ascending.describe("device times", "event", " s"),
                                      location=column_path(alignment, "device_time_in_s"),
                                      index=ascending.first_bad, count=ascending.bad_count)
    squares, count, bad = 0.0, 0, 0
    for _, block in iter_rows(alignment.residual_in_s, chunk_elements=chunk_elements):
        block = np.asarray(block, dtype=float)
        finite = np.isfinite(block)
        bad += int(np.count_nonzero(~finite))
        squares += float(np.sum(block[finite] ** 2))
        count += int(np.count_nonzero(finite))
    if bad:
        yield TMS_CLOCK_ALIGNMENT.hit(f"{bad} residual(s) are NaN or infinite",
                                      location=column_path(alignment, "residual_in_s"))
    stated = getattr(alignment, "rms_residual_in_s", None)
    if count and not bad and stated is not None and math.isfinite(float(stated)):
        rms = math.sqrt(squares / count)
        if abs(rms - float(stated)) > max(RMS_ABSOLUTE_TOLERANCE_S, RMS_RELATIVE_TOLERANCE * rms):
            yield TMS_CLOCK_ALIGNMENT.hit(f"rms_residual_in_s is {plain(stated)} but the {count} residuals have an "
                                          f"RMS of {plain(rms)} s", location=location)
