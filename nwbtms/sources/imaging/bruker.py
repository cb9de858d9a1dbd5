"""Bruker PrairieView T-series as a movie: frame times and geometry from the master XML, pixels from the
per-frame TIFFs, and the VoltageRecording (a TMS trigger channel) beside it.

Supported: a ``TSeries Timed Element`` (one plane) and ``TSeries ZSeries Element`` cycles (one volume
per cycle). Z-series stacks are volumes (:mod:`nwbtms.sources.imaging.zstack`); line scans are parsed
(:func:`read_prairieview_xml`) but refused as movies with a clear error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.imaging._pages import PageReader, scan_pages
from nwbtms.sources.imaging.base import ImagingSource
from nwbtms.sources.imaging.bruker_voltage import VoltageRecording, read_voltage_recording
from nwbtms.sources.imaging.bruker_xml import PrairieViewScan, PVFrame, read_prairieview_xml
from nwbtms.sources.registry import Reader, head_text

#: PrairieView saves 16-bit TIFFs; used for dtype only when no frame TIFF is present (inspect).
_PRAIRIEVIEW_DTYPE = np.dtype("uint16")
#: Master XMLs up to this size are kept whole as the raw header (about 8000 frames).
_FULL_HEADER_BYTES = 4 * 1024 * 1024


@dataclass
class BrukerSource(ImagingSource):
    """A PrairieView T-series; ``frame_files[plane][frame][channel]`` is ``(path, page)``."""

    frame_files: list[list[list[tuple[Path, int]]]] = field(default_factory=list)
    missing_files: list[Path] = field(default_factory=list)
    scan: PrairieViewScan | None = None

    def _read_frames(self, out: np.ndarray, channel: int, plane: int, frames: Sequence[int]) -> None:
        with PageReader(self.frame_shape, self.dtype) as reader:
            for i, frame in enumerate(frames):
                path, page = self.frame_files[plane][frame][channel]
                if not path.is_file():
                    raise SourceError("frame TIFF not found", file=path, field=f"frame {frame}",
                                      hint="copy every TIFF of the T-series next to its XML")
                reader.read_into(out[i], path, page)

    def voltage_recording(self) -> VoltageRecording:
        """The T-series' VoltageRecording (CSV + XML), for trigger pulses on the imaging clock.

        Raises
        ------
        SourceError
            No VoltageRecording, or several that the master XML does not disambiguate.
        """
        folder = self.path.parent
        named = [rec.get("configurationFile") or rec.get("dataFile", "")
                 for seq in (self.scan.sequences if self.scan else []) for rec in seq.voltage_recordings]
        candidates = [folder / Path(n).name for n in named if n]
        if not candidates:
            candidates = sorted(folder.glob("*_VoltageRecording_*.xml")) or sorted(
                folder.glob("*_VoltageRecording_*.csv"))
        if not candidates:
            raise SourceError("no *_VoltageRecording_*.csv/.xml beside the T-series", file=self.path,
                              hint="export the voltage recording with the T-series")
        if len({c.with_suffix("") for c in candidates}) > 1:
            raise SourceError(
                f"several voltage recordings: {', '.join(c.name for c in candidates)}", file=self.path,
                hint="open the one you want with read_voltage_recording(path)",
            )
        return read_voltage_recording(candidates[0])


def _resolve_xml(path: Path) -> Path:
    if path.is_dir():
        xml = path / f"{path.name}.xml"
        if xml.is_file():
            return xml
        masters = [p for p in sorted(path.glob("*.xml"))
                   if "_VoltageRecording_" not in p.name and "_VoltageOutput_" not in p.name
                   and p.name != "experiment.xml"]
        if not masters:
            raise SourceError(
                f"the PrairieView master XML ({path.name}.xml) is missing from the T-series folder", file=path,
                hint="copy the whole T-series folder: the XML holds the frame times and pixel size",
            )
        if len(masters) > 1:
            raise SourceError(
                f"expected one master XML in the folder, found {len(masters)}", file=path,
                hint="give the T-series master XML (<folder name>.xml) itself",
            )
        return masters[0]
    return path


def _raw_header(xml: Path) -> str:
    """The master XML text; for a very long series only its head (state before the first Sequence)."""
    if xml.stat().st_size <= _FULL_HEADER_BYTES:
        return xml.read_text(encoding="utf-8-sig")
    with open(xml, encoding="utf-8-sig") as fh:
        head = fh.read(_FULL_HEADER_BYTES)
    cut = head.find("<Sequence")
    return head if cut < 0 else head[:cut]


def _refuse_non_tseries(scan: PrairieViewScan) -> None:
    types = scan.sequence_types
    if "VoltageRecording" in types:
        raise SourceError("this is a PrairieView voltage recording (analog inputs), not imaging",
                          file=scan.path, field="Sequence/@type=VoltageRecording",
                          hint="read it as a DAQ recording (reader bruker_voltage, e.g. nwbtms pulses detect)")
    if not types or not scan.sequences[0].frames:
        raise SourceError("the XML lists no frames", file=scan.path, field="Sequence/Frame")
    kinds = " ".join(types).lower()
    if "linescan" in kinds:
        raise SourceError("this is a line scan, which nwbtms does not read as a movie", file=scan.path,
                          field=f"Sequence/@type={types[0]}", hint="convert T-series acquisitions only")
    if not all(t.startswith("TSeries") for t in types):
        raise SourceError(
            f"sequence type {types[0]!r} is a z-stack or other single acquisition, not a time series",
            file=scan.path, field="Sequence/@type",
            hint="a Z-series is a volume: give its imaging plane volume: true (nwbtms.sources.imaging.zstack)",
        )


def open_bruker(path: str | Path, *, require_frames: bool = True) -> BrukerSource:
    """Open a PrairieView T-series from its folder or master XML.

    Parameters
    ----------
    path : path
        The T-series folder or its master XML.
    require_frames : bool
        Raise when frame TIFFs are missing (True for conversion); with False the XML alone is read
        and the missing files are listed in ``missing_files`` (for ``inspect``).

    Raises
    ------
    SourceError
        Missing or malformed XML, a line scan or z-series, inconsistent channels per frame, missing frame
        TIFFs (with ``require_frames``), or TIFFs whose shape differs from the XML's.
    """
    xml = _resolve_xml(Path(path))
    scan = read_prairieview_xml(xml)
    _refuse_non_tseries(scan)
    folder = xml.parent

    volumes: list[list[PVFrame]]
    if len(scan.sequences) > 1 and all("ZSeries" in s.type for s in scan.sequences):
        num_planes = len(scan.sequences[0].frames)
        volumes = [s.frames for s in scan.sequences if len(s.frames) == num_planes]
        dropped = len(scan.sequences) - len(volumes)
    else:
        num_planes = 1
        volumes = [[f] for s in scan.sequences for f in s.frames]
        dropped = 0
    first = volumes[0][0]
    channel_map = sorted({(f.channel, f.channel_name) for f in first.files})
    channels = [name for _, name in channel_map]
    channel_numbers = [number for number, _ in channel_map]

    frame_files: list[list[list[tuple[Path, int]]]] = [[] for _ in range(num_planes)]
    missing: list[Path] = []
    checked: set[Path] = set()
    for volume in volumes:
        for plane, frame in enumerate(volume):
            by_channel = {f.channel: f for f in frame.files}
            if sorted(by_channel) != channel_numbers:
                raise SourceError(
                    f"frame {frame.index} has channels {sorted(by_channel)}, "
                    f"the first frame {channel_numbers}",
                    file=xml, field=f"Frame[@index={frame.index}]/File",
                )
            entry = []
            for number in channel_numbers:
                pv_file = by_channel[number]
                tiff = folder / Path(pv_file.filename).name  # names only: never leave the T-series folder
                if tiff not in checked:
                    checked.add(tiff)
                    if not tiff.is_file():
                        missing.append(tiff)
                entry.append((tiff, (pv_file.page or 1) - 1))
            frame_files[plane].append(entry)
    if missing and require_frames:
        raise SourceError(
            f"{len(missing)} of {len(checked)} frame TIFF(s) are missing, first: {missing[0].name}",
            file=xml, hint="copy the whole T-series folder (the XML lists every frame file)",
        )

    rows = scan.state_value("linesPerFrame")
    cols = scan.state_value("pixelsPerLine")
    if rows is None or cols is None:
        raise SourceError("linesPerFrame/pixelsPerLine not in the XML", file=xml, field="PVStateShard")
    frame_shape = (int(float(rows)), int(float(cols)))
    dtype = _PRAIRIEVIEW_DTYPE
    existing = frame_files[0][0][0][0]
    if existing.is_file():
        page = scan_pages(existing)[frame_files[0][0][0][1]]
        if page.shape != frame_shape:
            raise SourceError(f"frame TIFF is {page.shape}, the XML says {frame_shape}", file=existing,
                              hint="the TIFFs do not belong to this XML")
        dtype = page.dtype

    # The first frame's own framePeriod (5.x writes the measured period there) wins over the scan-wide
    # setting: in the real 5.4 T-series the setting says 0.928 s but frames are 1.00025 s apart.
    period = scan.state_value("framePeriod", frame=first)
    if period is None or not float(period) > 0:
        raise SourceError("no positive framePeriod in the XML", file=xml, field="framePeriod")
    frame_rate_hz = 1.0 / float(period)
    relative = np.array([v[0].relative_time_s for v in volumes])
    absolute = np.array([v[0].absolute_time_s for v in volumes])
    timestamps = relative if len(scan.sequences) == 1 else absolute - absolute[0]
    plane_times = [
        (np.array([v[p].relative_time_s for v in volumes]) if len(scan.sequences) == 1
         else np.array([v[p].absolute_time_s for v in volumes]) - absolute[0])
        for p in range(num_planes)
    ]
    volume_rate = None
    if num_planes > 1 and len(volumes) > 1:
        volume_rate = float(1.0 / np.median(np.diff(timestamps)))

    size_x = scan.state_value("micronsPerPixel", "XAxis")
    size_y = scan.state_value("micronsPerPixel", "YAxis")
    pixel_size = (float(size_y), float(size_x)) if size_x is not None and size_y is not None else None
    fov = None if pixel_size is None else (frame_shape[0] * pixel_size[0], frame_shape[1] * pixel_size[1])
    zoom = scan.state_value("opticalZoom")
    power = scan.state_value("laserPower")
    if isinstance(power, dict):
        power = {k: float(v) for k, v in power.items()}
    elif power is None:
        power = scan.state_value("laserPower", "0")
    raw_header = _raw_header(xml)
    return BrukerSource(
        paths=(xml,), format="bruker", num_frames=len(volumes), frame_shape=frame_shape, dtype=dtype,
        frame_rate_hz=frame_rate_hz, volume_rate_hz=volume_rate, channels=channels, num_planes=num_planes,
        timestamps_s=timestamps, pixel_size_um=pixel_size, field_of_view_um=fov,
        zoom=None if zoom is None else float(zoom), laser_power=power, start_datetime=scan.date,
        raw_header=raw_header,
        metadata={
            "prairieview_version": scan.version,
            "sequence_types": scan.sequence_types,
            "plane_timestamps_s": plane_times,
            "absolute_time_s": absolute,
            "dropped_incomplete_volumes": dropped,
            "laser_power_unit": "PrairieView laserPower setting (Pockels cell units)",
            "missing_frame_files": len(missing),
            "dtype_assumed": not existing.is_file(),
        },
        frame_files=frame_files, missing_files=missing, scan=scan,
    )


class BrukerReader(Reader):
    """Bruker PrairieView T-series as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "bruker"
    kind = "imaging"
    display_name = "Bruker PrairieView T-series"
    suffixes = (".xml",)
    info = "Bruker PrairieView T-series: the master XML (or its folder) and its frame TIFFs."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        from nwbtms.sources.imaging.bruker_voltage import is_voltage_recording_master

        return "<PVScan" in head_text(path, 8192) and not is_voltage_recording_master(path)

    @classmethod
    def open(cls, path: str | Path, *, require_frames: bool = True) -> BrukerSource:
        from nwbtms.sources.imaging import open_imaging

        return open_imaging(path, format=cls.name, require_frames=require_frames)
