"""Step 6, fiber photometry (ndx-fiber-photometry): response series refer to fiber rows that exist, every fiber
row says which cell type it records, and every demodulated signal of a file with TMS pulses has an artifact mask
that marks samples at each pulse inside the recording.

Whether a mask marks exactly the right samples is :mod:`nwbtms.validate.checks.frames`' check of every
``TMSArtifactMask``; here only that the mask is there and no pulse inside the series' span is left unmarked.
Series times and mask values are read in slices.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._paths import object_path
from nwbtms.validate.checks.frames import _pulse_times, frame_time_blocks
from nwbtms.validate.chunked import CHUNK_ELEMENTS, iter_rows, n_rows
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

PHOTOMETRY_ROWS = define(
    "data.photometry.series_rows", Severity.ERROR, 6,
    "A FiberPhotometryResponseSeries refers to rows of its FiberPhotometryTable that exist.",
    "Point fiber_photometry_table_region at the fiber rows the series was recorded from (0 to rows - 1).")
PHOTOMETRY_CELL_TYPE = define(
    "data.photometry.fiber_cell_type", Severity.BEST_PRACTICE_SUGGESTION, 6,
    "Each FiberPhotometryTable row names the cell type its fiber records, one of the file's TMS cell types.",
    "Give each fiber its cell_type (a key of the metadata's cell_types), so the response can be grouped by cell "
    "type (IT, PT, ...).")
PHOTOMETRY_ARTIFACTS = define(
    "data.photometry.artifact_masked", Severity.BEST_PRACTICE_VIOLATION, 6,
    "Every demodulated photometry signal of a file with TMS pulses has a TMSArtifactMask that marks samples at "
    "each pulse inside the recording.",
    "Convert with a stimulation section (nwbtms marks the samples inside stimulation.artifact_window_s), or add "
    "the mask with nwbtms.nwb.photometry.build_photometry_artifact_mask.", profiles=("tms",))

RAW_PREFIX = "photometry_raw_"


@register_check(PHOTOMETRY_ROWS, neurodata_type="FiberPhotometryResponseSeries")
def check_series_rows(series) -> Iterator[Hit]:
    """The region's indices lie in ``[0, len(table))``."""
    region = getattr(series, "fiber_photometry_table_region", None)
    if region is None:
        return
    size = len(region.table)
    rows = np.atleast_1d(np.asarray(region.data[:], dtype=np.int64))
    bad = rows[(rows < 0) | (rows >= size)]
    if bad.size:
        yield PHOTOMETRY_ROWS.hit(f"{series.name!r} refers to fiber row(s) {bad.tolist()[:5]} of "
                                  f"{region.table.name!r}, which has {size} row(s)",
                                  location=object_path(series), count=int(bad.size))


def _cell_type_labels(table) -> set[str] | None:
    """Labels of the file's TMS cell types (None when the file has none)."""
    node = table
    while getattr(node, "parent", None) is not None:
        node = node.parent
    try:
        from ndx_tms import find_tms_tables

        cell_types = find_tms_tables(node).get("cell_types")
    except Exception:  # noqa: BLE001 - not an NWBFile with TMS tables: nothing to compare with
        return None
    if cell_types is None or "label" not in cell_types.colnames:
        return None
    return {str(v) for v in cell_types["label"].data[:]}


@register_check(PHOTOMETRY_CELL_TYPE, neurodata_type="FiberPhotometryTable")
def check_fiber_cell_type(table) -> Iterator[Hit]:
    """A ``cell_type`` column, non-empty on every row, each label among the file's cell types when it has any."""
    if len(table) == 0:
        return
    if "cell_type" not in table.colnames:
        yield PHOTOMETRY_CELL_TYPE.hit(f"{table.name!r} has no cell_type column", location=object_path(table))
        return
    values = [str(v) for v in table["cell_type"].data[:]]
    empty = [i for i, v in enumerate(values) if not v]
    if empty:
        yield PHOTOMETRY_CELL_TYPE.hit(f"{len(empty)} fiber row(s) without a cell type (row {empty[0]} first)",
                                       location=object_path(table), index=empty[0], count=len(empty))
    labels = _cell_type_labels(table)
    unknown = [i for i, v in enumerate(values) if v and labels is not None and v not in labels]
    if unknown:
        yield PHOTOMETRY_CELL_TYPE.hit(
            f"fiber row {unknown[0]} records cell type {values[unknown[0]]!r}, not one of the file's cell types "
            f"({', '.join(sorted(labels)) or 'none'})", location=object_path(table), index=unknown[0],
            count=len(unknown))


def _signal_series(nwbfile) -> list:
    return [s for name, s in (nwbfile.acquisition or {}).items()
            if type(s).__name__ == "FiberPhotometryResponseSeries" and not name.startswith(RAW_PREFIX)]


def _masks(nwbfile) -> dict[int, object]:
    found = {}
    for module in (nwbfile.processing or {}).values():
        for obj in module.data_interfaces.values():
            if type(obj).__name__ == "TMSArtifactMask" and getattr(obj, "series", None) is not None:
                found[id(obj.series)] = obj
    return found


@register_check(PHOTOMETRY_ARTIFACTS, neurodata_type="NWBFile")
def check_artifact_masked(nwbfile, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Each signal series has a mask; each pulse inside the series' span has a masked sample within its mask's
    window (widened by one sample)."""
    series_list = _signal_series(nwbfile)
    if not series_list:
        return
    from ndx_tms import find_tms_tables

    pulses = find_tms_tables(nwbfile).get("pulses")
    if pulses is None or len(pulses) == 0:
        return
    times = _pulse_times(pulses, chunk_elements)
    masks = _masks(nwbfile)
    for series in series_list:
        mask = masks.get(id(series))
        if mask is None:
            yield PHOTOMETRY_ARTIFACTS.hit(f"photometry signal {series.name!r} has no TMSArtifactMask although the "
                                           f"file has {times.size} pulse(s)", location=object_path(series))
            continue
        window = np.asarray(mask.artifact_window_in_s, dtype=float)
        period = float(mask.frame_duration_in_s or 0.0)
        marked, first, last = [], None, None
        values = iter_rows(mask.mask, chunk_elements=chunk_elements)
        # both 1-D and read in blocks of chunk_elements rows, so the blocks line up
        for (_, block), (_, flags) in zip(frame_time_blocks(series, chunk_elements), values, strict=False):
            flags = np.asarray(flags, dtype=bool)[: block.size]
            marked.append(block[: flags.size][flags])
            first = block[0] if first is None else first
            last = block[-1]
        if first is None or n_rows(mask.mask) == 0:
            continue
        inside = times[(times >= first) & (times <= last)]
        hits = np.sort(np.concatenate(marked)) if marked else np.empty(0)
        lo = np.searchsorted(hits, inside + window[0] - period - 1e-6, side="left")
        hi = np.searchsorted(hits, inside + window[1] + period + 1e-6, side="right")
        missed = inside[hi <= lo]
        if missed.size:
            yield PHOTOMETRY_ARTIFACTS.hit(
                f"{missed.size} of {inside.size} pulse(s) inside {series.name!r} have no masked sample in "
                f"{mask.name!r} (first at {missed[0]:.6f} s)", location=object_path(mask), count=int(missed.size))
