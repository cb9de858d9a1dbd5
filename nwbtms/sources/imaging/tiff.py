"""Generic multi-page TIFF movies (one frame per page), and the page layout the ScanImage reader shares.

A plain TIFF stack carries no reliable rate, so ``frame_rate_hz`` must be given; channels and planes,
when interleaved page by page, are given as ``channels=[...]`` and ``num_planes=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.imaging._pages import PageInfo, PageReader, check_uniform, scan_pages
from nwbtms.sources.imaging.base import ImagingSource
from nwbtms.sources.registry import Reader, head_bytes, keyword_options

TIFF_SUFFIXES = (".tif", ".tiff")


@dataclass
class PagedTiffSource(ImagingSource):
    """A movie whose frames are the pages of one or more TIFF files, read across files in order.

    Pages are interleaved as ScanImage writes them: for each volume (or time point), for each slice
    (planes, then ``flyback_frames`` flyback slices), one page per channel. With ``plane_major`` (a
    slow z-stack) all frames of plane 0 come first, then plane 1, and so on.
    """

    plane_major: bool = False
    page_counts: list[int] = field(default_factory=list)

    def page_index(self, channel: int, plane: int, frame: int) -> int:
        """Global (across files) page index of ``frame`` of ``plane`` and ``channel``."""
        num_channels = len(self.channels)
        if self.plane_major:
            return (plane * self.num_frames + frame) * num_channels + channel
        slices = self.num_planes + self.flyback_frames
        return (frame * slices + plane) * num_channels + channel

    def _read_frames(self, out: np.ndarray, channel: int, plane: int, frames: Sequence[int]) -> None:
        starts = np.cumsum([0, *self.page_counts])
        with PageReader(self.frame_shape, self.dtype) as reader:
            for i, frame in enumerate(frames):
                page = self.page_index(channel, plane, frame)
                file_index = int(np.searchsorted(starts, page, side="right") - 1)
                reader.read_into(out[i], self.paths[file_index], page - int(starts[file_index]))


def scan_files(paths: Sequence[Path], *, descriptions: bool = False) -> list[list[PageInfo]]:
    """Scan every page of every file and check all frames share the first page's shape and dtype."""
    scanned = [scan_pages(p, descriptions=descriptions) for p in paths]
    first = scanned[0][0]
    if len(first.shape) != 2:
        raise SourceError(
            f"pages are {first.shape}, expected 2-D grey frames (rows, cols)", file=paths[0],
            field="page 0", hint="RGB or multi-sample pages are not two-photon frames",
        )
    for path, pages in zip(paths, scanned, strict=True):
        check_uniform(path, pages, first.shape, first.dtype)
    return scanned


def layout_frames(path: Path, total_pages: int, num_channels: int, slices_per_volume: int) -> int:
    """Frames per plane and channel; :class:`SourceError` when pages do not fill whole volumes."""
    per_volume = num_channels * slices_per_volume
    if total_pages % per_volume:
        raise SourceError(
            f"{total_pages} pages are not a whole number of volumes of {slices_per_volume} slice(s) x "
            f"{num_channels} channel(s)", file=path,
            hint="the acquisition was cut short or the channel/plane/flyback counts are wrong",
        )
    return total_pages // per_volume


def open_tiff_stack(
    paths: Sequence[str | Path],
    *,
    frame_rate_hz: float | None = None,
    channels: Sequence[str] | None = None,
    num_planes: int = 1,
    pixel_size_um: tuple[float, float] | None = None,
    start_datetime: Any = None,
) -> PagedTiffSource:
    """Open a generic multi-page TIFF (or several, read in the given order) as a movie.

    Parameters
    ----------
    paths : sequence of path
        TIFF files in acquisition order.
    frame_rate_hz : float
        Frame rate; required, since a plain TIFF does not carry one.
    channels : sequence of str, optional
        Names of page-interleaved channels (default: one channel).
    num_planes : int
        Page-interleaved planes per volume (default 1).
    pixel_size_um : (float, float), optional
        ``(row, col)`` pixel size.
    start_datetime : datetime, optional
        Acquisition start, if known.

    Raises
    ------
    InputError
        ``frame_rate_hz`` is missing or not positive.
    SourceError
        A file is truncated, not a TIFF, or has frames of differing shape.
    """
    paths = [Path(p) for p in paths]
    if frame_rate_hz is None:
        raise InputError(
            "a generic TIFF does not state its frame rate", file=paths[0], field="frame_rate_hz",
            hint="give the rate: open_imaging(path, format='tiff', frame_rate_hz=30.0) or --frame-rate 30",
        )
    if not float(frame_rate_hz) > 0:
        raise InputError(f"frame_rate_hz must be positive, got {frame_rate_hz}", field="frame_rate_hz")
    channel_names = list(channels) if channels else ["Channel 1"]
    scanned = scan_files(paths)
    first = scanned[0][0]
    counts = [len(pages) for pages in scanned]
    num_frames = layout_frames(paths[0], sum(counts), len(channel_names), num_planes)
    rows, cols = first.shape
    fov = None if pixel_size_um is None else (rows * pixel_size_um[0], cols * pixel_size_um[1])
    return PagedTiffSource(
        paths=tuple(paths), format="tiff", num_frames=num_frames, frame_shape=(rows, cols),
        dtype=first.dtype, frame_rate_hz=float(frame_rate_hz),
        volume_rate_hz=float(frame_rate_hz) / num_planes if num_planes > 1 else None,
        channels=channel_names, num_planes=num_planes, pixel_size_um=pixel_size_um,
        field_of_view_um=fov, start_datetime=start_datetime, page_counts=counts,
        metadata={"pages_per_file": counts},
    )


class TiffReader(Reader):
    """Generic multi-page TIFFs as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "tiff"
    kind = "imaging"
    display_name = "Multi-page TIFF"
    suffixes = TIFF_SUFFIXES
    info = "Any multi-page TIFF (or a folder or list of them) with the frame rate given as an option."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return head_bytes(path, 4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # TIFF and BigTIFF

    @classmethod
    def open(cls, path: Any, **options: Any) -> PagedTiffSource:
        from nwbtms.sources.imaging import open_imaging

        return open_imaging(path, format=cls.name, **options)

    @classmethod
    def options(cls) -> tuple[str, ...]:
        return keyword_options(open_tiff_stack)
