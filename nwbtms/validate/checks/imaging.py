"""Step 6, imaging: every imaging series whose time span contains a pulse carries a TMSArtifactMask with one
value per frame."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._paths import object_path
from nwbtms.validate.checks._tables import tms_metadata
from nwbtms.validate.chunked import CHUNK_ELEMENTS, iter_rows, n_rows
from nwbtms.validate.context import as_tms_view
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, Hit, define, register_check

TMS_ARTIFACT_MASK = define("tms.imaging.artifact_mask", Severity.BEST_PRACTICE_VIOLATION, 6,
                           "Imaging series overlapping pulses carry a TMSArtifactMask of matching length.",
                           "Add a TMSArtifactMask (ndx_tms) linked to the series.", profiles=TMS_ONLY)


def _span_s(series) -> tuple[float, float, int] | None:
    """(first frame time, end of last frame, number of frames) of an image series."""
    data = series.data
    frames = n_rows(data) if data is not None else 0
    if frames == 0:
        return None
    if series.timestamps is not None:
        ts = series.timestamps
        if n_rows(ts) == 0:  # frames without times: the schema and NWB Inspector report the mismatch
            return None
        first, last = float(ts[0]), float(ts[n_rows(ts) - 1])
        return first, last, frames
    rate = series.rate
    if not rate:
        return None
    start = float(series.starting_time or 0.0)
    return start, start + frames / float(rate), frames


def _pulses_between(pulses, first: float, last: float, chunk_elements: int) -> int:
    count = 0
    for _, times in iter_rows(pulses["timestamp"].data, chunk_elements=chunk_elements):
        times = np.asarray(times, dtype=float)
        count += int(np.count_nonzero((times >= first) & (times <= last)))
    return count


@register_check(TMS_ARTIFACT_MASK, neurodata_type="NWBFile")
def check_artifact_masks(nwbfile, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Imaging series overlapping pulses have a mask; each mask has one value per frame of its series."""
    from pynwb.image import ImageSeries

    metadata = tms_metadata(nwbfile)
    pulses = as_tms_view(metadata).pulses if metadata is not None else None  # /events (0.2) or /general/tms

    objects = list(nwbfile.objects.values())
    masks = [o for o in objects if type(o).__name__ == "TMSArtifactMask"]
    masked = {id(m.series): m for m in masks if getattr(m, "series", None) is not None}
    for mask in masks:
        series = getattr(mask, "series", None)
        if series is None:
            continue
        frames = n_rows(series.timestamps) if series.timestamps is not None else (
            n_rows(series.data) if series.data is not None else 0)
        if n_rows(mask.mask) != frames:
            yield TMS_ARTIFACT_MASK.hit(f"mask has {n_rows(mask.mask)} values but series {series.name} has "
                                        f"{frames} frames", location=object_path(mask))
    if pulses is None or not len(pulses):
        return
    for series in objects:
        if not isinstance(series, ImageSeries) or type(series).__name__ == "ImageMaskSeries":
            continue
        if id(series) in masked:
            continue
        span = _span_s(series)
        if span is None:
            continue
        overlapping = _pulses_between(pulses, span[0], span[1], chunk_elements)
        if overlapping:
            yield TMS_ARTIFACT_MASK.hit(
                f"{type(series).__name__} {series.name} spans {span[0]:.3f}-{span[1]:.3f} s and overlaps "
                f"{overlapping} pulse(s) but has no TMSArtifactMask", location=object_path(series))
