"""Structural z-stacks as volumes: Bruker PrairieView Z-series, ScanImage slow stacks, plain multi-page TIFF.

A :class:`ZStack` wraps an :class:`~nwbtms.sources.imaging.base.ImagingSource` whose planes are the
stack's slices (``num_planes``) and whose frames are the repeats per slice (averaged into one slice
image), and adds the geometry a volume needs: the ``(row, col)`` pixel size and the slice spacing
(``z_step_um``) with each slice's depth. Slices are read one at a time (:meth:`ZStack.iter_slices`), so a
volume streams like a movie.

- Bruker: a master XML with ``Sequence type="ZSeries"`` (one sequence); slice depths from each frame's
  ``positionCurrent_ZAxis`` (µm), pixel size from ``micronsPerPixel``.
- ScanImage: a slow stack (``hStackManager`` / ``state.acq.numberOfZSlices``); depths from the header.
- Plain TIFF: every page (per channel) a slice, in order; give ``z_step_um`` and ``pixel_size_um``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.imaging.base import ImagingPlaneInfo, ImagingSource

#: Repeats of one slice averaged at once (bounded memory for long per-slice acquisitions).
_REPEATS_PER_READ = 16


@dataclass
class ZStack:
    """A structural volume: ``num_slices`` slices of ``frame_shape`` at ``z_positions_um``.

    Attributes
    ----------
    source : ImagingSource
        Planes = slices, frames = repeats per slice.
    z_positions_um : numpy.ndarray
        Depth of each slice (µm, microscope axis), increasing in acquisition order or not.
    z_step_um : float
        Slice spacing (µm, positive).
    pixel_size_um : (float, float) or None
        ``(row, col)``.
    """

    source: ImagingSource
    z_positions_um: np.ndarray
    z_step_um: float
    pixel_size_um: tuple[float, float] | None

    @property
    def path(self) -> Path:
        """The file the stack was read from."""
        return self.source.path

    @property
    def num_slices(self) -> int:
        """Slices in the volume."""
        return int(self.source.num_planes)

    @property
    def frame_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of one slice."""
        return self.source.frame_shape

    @property
    def repeats_per_slice(self) -> int:
        """Frames acquired per slice (averaged)."""
        return int(self.source.num_frames)

    @property
    def dtype(self) -> np.dtype:
        """Voxel type written: the source's for one frame per slice, float32 for averaged slices."""
        return self.source.dtype if self.repeats_per_slice == 1 else np.dtype("float32")

    @property
    def depth_um(self) -> float:
        """Extent along z (µm): ``num_slices * z_step_um``."""
        return float(self.num_slices * self.z_step_um)

    @property
    def field_of_view_um(self) -> tuple[float, float, float] | None:
        """``(height, width, depth)`` in µm when the pixel size is known."""
        if self.pixel_size_um is None:
            return None
        rows, cols = self.frame_shape
        return (rows * self.pixel_size_um[0], cols * self.pixel_size_um[1], self.depth_um)

    def iter_slices(self, *, channel: int | str = 0) -> Iterator[np.ndarray]:
        """Yield each slice ``(rows, cols)`` in acquisition order (repeats averaged)."""
        for plane in range(self.num_slices):
            if self.repeats_per_slice == 1:
                yield next(self.source.iter_frames(channel=channel, plane=plane, frames_per_chunk=1))[0]
                continue
            total = np.zeros(self.frame_shape, dtype=np.float64)
            for block in self.source.iter_frames(channel=channel, plane=plane,
                                                 frames_per_chunk=_REPEATS_PER_READ):
                total += block.sum(axis=0, dtype=np.float64)
            yield (total / self.repeats_per_slice).astype(np.float32)

    def summary(self) -> dict[str, Any]:
        """For ``inspect``: slices, shape, voxel size, depth."""
        return {
            "kind": "volume", "reader": self.source.format, "path": str(self.path),
            "num_slices": self.num_slices, "frame_shape": list(self.frame_shape),
            "repeats_per_slice": self.repeats_per_slice, "channels": list(self.source.channels),
            "pixel_size_um": None if self.pixel_size_um is None else list(self.pixel_size_um),
            "z_step_um": self.z_step_um, "depth_um": self.depth_um,
            "z_positions_um": [float(z) for z in self.z_positions_um],
        }


def _step_from_positions(z: np.ndarray, path: Path, z_step_um: float | None) -> float:
    if z_step_um is not None:
        if not float(z_step_um) > 0:
            raise InputError(f"z_step_um must be positive, got {z_step_um}", file=path, field="z_step_um")
        return float(z_step_um)
    if z.size < 2 or not np.all(np.isfinite(z)):
        raise InputError("the slice spacing is not in the file", file=path, field="z_step_um",
                         hint="give z_step_um (µm between slices)")
    steps = np.abs(np.diff(z))
    if not np.allclose(steps, steps[0], rtol=1e-3, atol=1e-3) or steps[0] <= 0:
        raise SourceError(f"slices are not evenly spaced (steps {np.unique(np.round(steps, 3))[:5]} µm)",
                          file=path, field="z positions", hint="a volume needs one slice spacing")
    return float(steps[0])


def _z_of(value: Any) -> float:
    """``positionCurrent_ZAxis`` (4.x: a value; 5.x: sub-indexed by z device, summed: piezo + motor)."""
    if isinstance(value, dict):
        values = [float(v) for v in value.values() if v not in (None, "")]
        return float(sum(values)) if values else float("nan")
    return float("nan") if value in (None, "") else float(value)


def open_bruker_zseries(path: str | Path, *, require_frames: bool = True,
                        z_step_um: float | None = None) -> ZStack:
    """A PrairieView Z-series (folder or master XML) as a volume.

    Raises
    ------
    SourceError
        Not a Z-series, frames with differing channels, missing frame TIFFs (with ``require_frames``),
        no pixel size or uneven slices.
    """
    from nwbtms.sources.imaging.bruker import _PRAIRIEVIEW_DTYPE, BrukerSource, _raw_header, _resolve_xml
    from nwbtms.sources.imaging.bruker_xml import read_prairieview_xml

    xml = _resolve_xml(Path(path))
    scan = read_prairieview_xml(xml)
    if scan.sequence_types != ["ZSeries"] or len(scan.sequences) != 1 or not scan.sequences[0].frames:
        raise SourceError(f"not a single Z-series (sequence types {scan.sequence_types})", file=xml,
                          field="Sequence/@type", hint="T-series are movies: convert them as imaging planes")
    frames = scan.sequences[0].frames
    channel_map = sorted({(f.channel, f.channel_name) for f in frames[0].files})
    numbers = [n for n, _ in channel_map]
    frame_files, missing = [], []
    for frame in frames:
        by_channel = {f.channel: f for f in frame.files}
        if sorted(by_channel) != numbers:
            raise SourceError(f"slice {frame.index} has channels {sorted(by_channel)}, the first {numbers}",
                              file=xml, field=f"Frame[@index={frame.index}]/File")
        entry = []
        for number in numbers:
            tiff = xml.parent / Path(by_channel[number].filename).name
            if not tiff.is_file():
                missing.append(tiff)
            entry.append((tiff, (by_channel[number].page or 1) - 1))
        frame_files.append([entry])
    if missing and require_frames:
        raise SourceError(f"{len(missing)} slice TIFF(s) are missing, first: {missing[0].name}", file=xml,
                          hint="copy the whole Z-series folder (the XML lists every slice file)")
    rows, cols = scan.state_value("linesPerFrame"), scan.state_value("pixelsPerLine")
    if rows is None or cols is None:
        raise SourceError("linesPerFrame/pixelsPerLine not in the XML", file=xml, field="PVStateShard")
    z = np.array([_z_of(scan.state_value("positionCurrent", "ZAxis", frame=f)) for f in frames])
    size_x = scan.state_value("micronsPerPixel", "XAxis")
    size_y = scan.state_value("micronsPerPixel", "YAxis")
    pixel = (float(size_y), float(size_x)) if size_x is not None and size_y is not None else None
    dtype = _PRAIRIEVIEW_DTYPE
    if not missing:
        from nwbtms.sources.imaging._pages import scan_pages

        dtype = scan_pages(frame_files[0][0][0][0])[0].dtype
    period = scan.state_value("framePeriod", frame=frames[0])
    source = BrukerSource(
        paths=(xml,), format="bruker", num_frames=1, frame_shape=(int(float(rows)), int(float(cols))),
        dtype=dtype, frame_rate_hz=1.0 / float(period) if period and float(period) > 0 else 1.0,
        channels=[name for _, name in channel_map], num_planes=len(frames),
        planes=[ImagingPlaneInfo(i, float(v)) for i, v in enumerate(z)], pixel_size_um=pixel,
        start_datetime=scan.date, raw_header=_raw_header(xml),
        metadata={"prairieview_version": scan.version, "sequence_types": scan.sequence_types,
                  "missing_frame_files": len(missing)},
        frame_files=frame_files, missing_files=missing, scan=scan,
    )
    return ZStack(source=source, z_positions_um=z, z_step_um=_step_from_positions(z, xml, z_step_um),
                  pixel_size_um=pixel)


def is_bruker_zseries(path: str | Path) -> bool:
    """Whether ``path`` (folder or XML) is a PrairieView Z-series."""
    from nwbtms.sources.imaging.bruker import _resolve_xml

    path = Path(path)
    if not (path.is_dir() or path.suffix.lower() == ".xml"):
        return False
    try:
        xml = _resolve_xml(path)
        with open(xml, encoding="utf-8-sig", errors="replace") as handle:
            head = handle.read(64 * 1024)
    except (OSError, SourceError):
        return False
    return 'type="ZSeries"' in head


def open_zstack(path: str | Path, *, format: str | None = None, z_step_um: float | None = None,
                pixel_size_um: tuple[float, float] | float | None = None, channels: Any = None,
                require_frames: bool = True) -> ZStack:
    """Open a z-stack as a volume (Bruker Z-series, ScanImage slow stack or plain multi-page TIFF).

    Parameters
    ----------
    path : path
        Z-series folder or XML, ScanImage TIFF, or plain TIFF (every page a slice, per channel).
    format : {"bruker", "scanimage", "tiff"}, optional
    z_step_um : float, optional
        Slice spacing; required for plain TIFF, overrides the header otherwise.
    pixel_size_um : (float, float) or float, optional
        ``(row, col)`` pixel size; required for plain TIFF unless unknown is acceptable.
    channels : list of str, optional
        Page-interleaved channel names of a plain TIFF.

    Raises
    ------
    InputError
        No slice spacing where the file does not state one.
    SourceError
        Not a stack (one slice), uneven slices, unreadable files.
    """
    from nwbtms.sources.imaging import detect_format, open_imaging

    path = Path(path)
    fmt = format or detect_format(path)
    pixel = None
    if pixel_size_um is not None:
        pixel = tuple(float(v) for v in np.broadcast_to(np.asarray(pixel_size_um, dtype=float), (2,)))
    if fmt == "bruker":
        stack = open_bruker_zseries(path, require_frames=require_frames, z_step_um=z_step_um)
        if pixel is not None:
            stack.pixel_size_um = pixel
        return stack
    if fmt == "scanimage":
        source = open_imaging(path, format="scanimage")
        if source.num_planes < 2:
            raise SourceError("this ScanImage file holds one plane, not a stack", file=path,
                              field="hStackManager.numSlices", hint="acquire with the stack manager enabled")
        z = np.array([np.nan if p.z_um is None else p.z_um for p in source.planes], dtype=float)
    elif fmt == "tiff":
        from nwbtms.sources.imaging.tiff import open_tiff_stack, scan_files

        names = list(channels) if channels else ["Channel 1"]
        pages = len(scan_files([path])[0])
        if pages % len(names):
            raise SourceError(f"{pages} pages do not divide into {len(names)} channels", file=path)
        source = open_tiff_stack([path], frame_rate_hz=1.0, channels=names, num_planes=pages // len(names),
                                 pixel_size_um=pixel)
        if z_step_um is None:
            raise InputError("a plain TIFF does not state its slice spacing", file=path, field="z_step_um",
                             hint="give z_step_um (µm between slices) in the source options")
        z = np.arange(source.num_planes, dtype=float) * float(z_step_um)
    else:
        raise InputError(f"unknown stack format {fmt!r}", file=path, field="format",
                         hint="bruker, scanimage or tiff")
    step = _step_from_positions(z, path, z_step_um)
    if not np.all(np.isfinite(z)):
        z = np.arange(source.num_planes, dtype=float) * step
    return ZStack(source=source, z_positions_um=z, z_step_um=step,
                  pixel_size_um=pixel or source.pixel_size_um)


__all__ = ["ZStack", "is_bruker_zseries", "open_bruker_zseries", "open_zstack"]
