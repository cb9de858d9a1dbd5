"""ScanImage TIFF acquisitions (ScanImage 3.x, 4/5 and 2016+), single- or multi-file.

tifffile detects ScanImage pages (``TiffPage.is_scanimage``), reads the static header of 2016+ BigTIFF
files (``tifffile.read_scanimage_metadata``) and parses the MATLAB ``key = value`` text of headers and
per-frame descriptions (``tifffile.matlabstr2py``). This module maps those values onto an
:class:`~nwbtms.sources.imaging.base.ImagingSource`:

- ScanImage 2016+: static ``SI.*`` header in each page's Software tag (and in the BigTIFF header), and
  per frame an ImageDescription with ``frameNumbers``, ``frameTimestamps_sec``, ``epoch`` and
  ``auxTrigger0..3`` (edge times on the aux inputs, imaging clock). See the ScanImage documentation
  (docs.scanimage.org, "Header" and "Aux triggers").
- ScanImage 4/5: the same per-frame fields plus ``scanimage.SI4.*``/``scanimage.SI5.*`` keys in the
  ImageDescription.
- ScanImage 3.x: a ``state.*`` header (carriage-return separated) in every ImageDescription; no
  per-frame times.

Pages are interleaved channel-fastest; fast-z volumes store ``planes + flyback`` slices per volume.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from nwbtms.errors import SourceError
from nwbtms.sources.imaging._pages import open_tiff, tifffile_errors
from nwbtms.sources.imaging.base import ImagingPlaneInfo
from nwbtms.sources.imaging.tiff import PagedTiffSource, layout_frames, scan_files
from nwbtms.sources.registry import Reader, keyword_options

#: ScanImage records edges on up to four auxiliary trigger inputs (ScanImage 2016+ docs, "Auxiliary
#: triggers").
AUX_TRIGGER_NAMES = tuple(f"auxTrigger{i}" for i in range(4))

# ScanImage 2016+ names each file of a split acquisition <stem>_<acquisition:05d>_<file:05d>.tif.
_SPLIT_FILE = re.compile(r"^(?P<stem>.+_\d{5})_(?P<index>\d{5})$")


def is_scanimage_tiff(path: str | Path) -> bool:
    """Whether tifffile recognises ``path`` as a ScanImage TIFF."""
    try:
        with open_tiff(Path(path)) as tif:
            return bool(tif.pages.first.is_scanimage)
    except (tifffile.TiffFileError, OSError, ValueError, IndexError):
        return False


def acquisition_files(path: Path) -> list[Path]:
    """All files of the split acquisition ``path`` belongs to, in file order (just ``path`` if unsplit).

    Raises
    ------
    SourceError
        A file in the middle of the sequence is missing.
    """
    match = _SPLIT_FILE.match(path.stem)
    if not match:
        return [path]
    stem = match.group("stem")
    found: dict[int, Path] = {}
    for candidate in path.parent.iterdir():
        m = _SPLIT_FILE.match(candidate.stem)
        if m and m.group("stem") == stem and candidate.suffix.lower() == path.suffix.lower():
            found[int(m.group("index"))] = candidate
    indices = sorted(found)
    expected = list(range(indices[0], indices[0] + len(indices)))
    if indices != expected:
        missing = sorted(set(range(indices[0], indices[-1] + 1)) - set(indices))
        raise SourceError(
            f"split acquisition {stem}_NNNNN is missing file number(s) {missing}", file=path,
            hint="copy every file of the acquisition, or open the files you have explicitly as a list",
        )
    return [found[i] for i in indices]


# -- header ------------------------------------------------------------------------------------------


def _flat(value: Any) -> list[Any]:
    """MATLAB column/row vectors come back from matlabstr2py as nested lists; flatten them."""
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    if value == "" or value is None:
        return []
    return [value]


def _number(value: Any) -> float | None:
    """A finite float, or None for missing/empty/non-numeric/inf values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, list):
        flat = _flat(value)
        value = flat[0] if len(flat) == 1 else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _parse_key_values(text: str) -> dict[str, Any]:
    """``key = value`` lines through tifffile's MATLAB parser (which needs a line break to see lines)."""
    parsed = tifffile.matlabstr2py(text if ("\n" in text or "\r" in text) else text + "\n")
    return parsed if isinstance(parsed, dict) else {}


@dataclass(frozen=True)
class ScanImageHeader:
    """The static header of a ScanImage TIFF.

    Attributes
    ----------
    family : str
        ``"2016+"``, ``"4/5"`` or ``"3"``.
    values : dict
        Parsed ``key -> value`` pairs.
    text : str
        The header text as written (2016+: the Software tag; older: the first ImageDescription).
    roi_groups_json : str
        ROI group JSON (2016+: the Artist tag, else the header block), else ``""``.
    block_version : int or None
        Version of the ScanImage 2016+ BigTIFF header block at byte 16 when it was read, else None.
    """

    family: str
    values: dict[str, Any]
    text: str
    roi_groups_json: str = ""
    block_version: int | None = None


def read_header(path: Path) -> ScanImageHeader:
    """Read the static header of a ScanImage TIFF.

    ScanImage 2016+ writes it twice: as a block after the BigTIFF file header (read with
    ``tifffile.read_scanimage_metadata``; preferred) and in every page's Software tag (the fallback).
    """
    with tifffile_errors(path), open_tiff(path) as tif:
        page = tif.pages.first
        if not page.is_scanimage:
            raise SourceError("not a ScanImage TIFF (no ScanImage header)", file=path,
                              hint="open it with format='tiff' and give the frame rate")
        software, description = page.software, page.description
        if software.startswith("SI."):
            values: dict[str, Any] = {}
            roi_groups: Any = {}
            version = None
            if tif.is_bigtiff:
                try:  # the static header ScanImage 2016+ writes after the BigTIFF header
                    values, roi_groups, version = tifffile.read_scanimage_metadata(tif.filehandle)
                except ValueError:
                    version = None
            if not values:
                values, version = _parse_key_values(software), None
            artist = str(page.tags.valueof(315, default="") or "")
            if not artist and roi_groups:
                artist = json.dumps(roi_groups)
            return ScanImageHeader("2016+", dict(values), software, artist, version)
        if description.startswith("state."):
            return ScanImageHeader("3", _parse_key_values(description), description)
        return ScanImageHeader("4/5", _parse_key_values(description), description)


def _lookup(header: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in header and header[key] not in ("", []):
            return header[key]
    return default


class _Settings:
    """The acquisition settings a ScanImage header states, whatever its version."""

    def __init__(self, family: str, header: dict[str, Any], path: Path) -> None:
        self.family = family
        self.fast_z = False
        self.flyback_frames = 0
        self.num_slices = 1
        self.plane_major = False
        self.volume_rate_hz: float | None = None
        self.fov_um: tuple[float, float] | None = None
        self.start_datetime: _dt.datetime | None = None
        self.z_um: list[float] = []
        if family == "3":
            self._from_si3(header)
        else:
            self._from_si_modern(header, "SI." if family == "2016+" else self._si45_prefix(header))

    @staticmethod
    def _si45_prefix(header: dict[str, Any]) -> str:
        for key in header:
            if key.startswith("scanimage.SI5."):
                return "scanimage.SI5."
        return "scanimage.SI4."

    def _from_si3(self, h: dict[str, Any]) -> None:
        self.version = str(h.get("state.software.version", "3"))
        self.frame_rate_hz = _number(h.get("state.acq.frameRate"))
        self.zoom = _number(h.get("state.acq.zoomFactor"))
        self.lines = _number(h.get("state.acq.linesPerFrame"))
        self.pixels = _number(h.get("state.acq.pixelsPerLine"))
        saved = [i for i in range(1, 5) if _number(h.get(f"state.acq.savingChannel{i}"))]
        self.channels = [f"Channel {i}" for i in saved] or ["Channel 1"]
        self.num_slices = int(_number(h.get("state.acq.numberOfZSlices")) or 1)
        self.plane_major = self.num_slices > 1  # 3.x stacks are slow stacks: all frames of a slice first
        power = _flat(h.get("state.init.eom.maxPower"))
        self.laser_power = power or None
        trigger = h.get("state.internal.triggerTimeString")
        if isinstance(trigger, str) and trigger:
            for fmt in ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S"):
                try:
                    self.start_datetime = _dt.datetime.strptime(trigger, fmt)
                    break
                except ValueError:
                    continue

    def _from_si_modern(self, h: dict[str, Any], p: str) -> None:
        modern = p == "SI."
        self.version = str(_lookup(h, "SI.VERSION_MAJOR", default="") if modern else p.split(".")[1])
        self.frame_rate_hz = _number(_lookup(h, f"{p}hRoiManager.scanFrameRate", f"{p}scanFrameRate"))
        self.volume_rate_hz = _number(_lookup(h, f"{p}hRoiManager.scanVolumeRate", f"{p}scanVolumeRate"))
        self.zoom = _number(_lookup(h, f"{p}hRoiManager.scanZoomFactor", f"{p}zoomFactor"))
        self.lines = _number(_lookup(h, f"{p}hRoiManager.linesPerFrame", f"{p}linesPerFrame"))
        self.pixels = _number(_lookup(h, f"{p}hRoiManager.pixelsPerLine", f"{p}pixelsPerLine"))
        saved = [int(c) for c in _flat(_lookup(h, f"{p}hChannels.channelSave", f"{p}channelsSave",
                                               default=1))]
        names = [str(n) for n in _flat(_lookup(h, f"{p}hChannels.channelName", default=[]))]
        self.channels = [names[c - 1] if 0 < c <= len(names) else f"Channel {c}" for c in saved]
        power = _flat(_lookup(h, f"{p}hBeams.powers", f"{p}beamPowers", default=[]))
        self.laser_power = (power[0] if len(power) == 1 else power) or None
        fast_z = _lookup(h, f"{p}hFastZ.enable", f"{p}fastZEnable", default=False)
        stack_mode = _lookup(h, f"{p}hStackManager.stackMode", default="")
        stack_on = _lookup(h, f"{p}hStackManager.enable", default=None)
        self.fast_z = bool(fast_z) or (stack_on is True and stack_mode == "fast")
        slices = _number(_lookup(h, f"{p}hStackManager.actualNumSlices", f"{p}hStackManager.numSlices",
                                 f"{p}stackNumSlices", default=1))
        self.num_slices = int(slices or 1)
        if self.num_slices > 1 and self.fast_z:
            discard = _lookup(h, f"{p}hFastZ.discardFlybackFrames", f"{p}fastZDiscardFlybackFrames")
            with_flyback = _number(_lookup(h, f"{p}hStackManager.numFramesPerVolumeWithFlyback"))
            without = _number(_lookup(h, f"{p}hStackManager.numFramesPerVolume"))
            if discard is True:
                self.flyback_frames = 0  # discarded flyback frames are not logged
            elif discard is False:
                self.flyback_frames = int(_number(_lookup(
                    h, f"{p}hFastZ.numDiscardFlybackFrames", f"{p}fastZNumDiscardFrames")) or 0)
            elif with_flyback is not None and without is not None:
                self.flyback_frames = int(with_flyback - without)
        elif self.num_slices > 1 and (stack_on is None or stack_on):
            self.plane_major = True
        else:
            self.num_slices = 1
        zs = [_number(z) for z in _flat(_lookup(h, f"{p}hStackManager.zs", default=[]))]
        self.z_um = [z for z in zs if z is not None]
        corners = _lookup(h, f"{p}hRoiManager.imagingFovUm", default=None)
        if isinstance(corners, list) and corners and all(
                isinstance(c, list) and len(c) == 2 for c in corners):
            xs = [float(c[0]) for c in corners]
            ys = [float(c[1]) for c in corners]
            self.fov_um = (max(ys) - min(ys), max(xs) - min(xs))


# -- per-frame data ----------------------------------------------------------------------------------


def _epoch_datetime(epoch: Any) -> _dt.datetime | None:
    values = _flat(epoch)
    if len(values) != 6:
        return None
    try:
        year, month, day, hour, minute = (int(v) for v in values[:5])
        seconds = float(values[5])
        return _dt.datetime(year, month, day, hour, minute) + _dt.timedelta(seconds=seconds)
    except (TypeError, ValueError, OverflowError):
        return None


def _frame_data(descriptions: list[str], num_channels: int, path: Path) -> dict[str, Any]:
    """Per-page timestamps, aux trigger edges (from channel-0 pages) and the epoch of page 0."""
    timestamps = np.full(len(descriptions), np.nan)
    aux: dict[str, list[float]] = {name: [] for name in AUX_TRIGGER_NAMES}
    epoch = None
    for index, text in enumerate(descriptions):
        if not text:
            continue
        fields = _parse_key_values(text)
        stamp = _number(fields.get("frameTimestamps_sec"))
        if stamp is not None:
            timestamps[index] = stamp
        if index == 0:
            epoch = _epoch_datetime(fields.get("epoch"))
        if index % num_channels == 0:  # every channel's page of a frame repeats the same edges
            for name in AUX_TRIGGER_NAMES:
                for value in _flat(fields.get(name)):
                    number = _number(value)
                    if number is not None:
                        aux[name].append(number)
    has_times = bool(np.isfinite(timestamps).any())
    if has_times and not np.isfinite(timestamps).all():
        first_bad = int(np.flatnonzero(~np.isfinite(timestamps))[0])
        raise SourceError("frameTimestamps_sec is missing on some pages", file=path,
                          field=f"page {first_bad} frameTimestamps_sec")
    return {
        "timestamps": timestamps if has_times else None,
        "aux": {name: np.unique(np.asarray(v, dtype=float)) for name, v in aux.items() if v},
        "epoch": epoch,
    }


# -- open --------------------------------------------------------------------------------------------


def open_scanimage(
    path: str | Path | Sequence[str | Path],
    *,
    multi_file: bool = True,
    frame_rate_hz: float | None = None,
    flyback_frames: int | None = None,
) -> PagedTiffSource:
    """Open a ScanImage acquisition.

    Parameters
    ----------
    path : path or sequence of paths
        One file (its split-acquisition siblings ``<stem>_NNNNN.tif`` are added with ``multi_file``)
        or the files in acquisition order.
    multi_file : bool
        Gather the other files of a split acquisition.
    frame_rate_hz : float, optional
        Override for a header without a frame rate.
    flyback_frames : int, optional
        Override for the flyback frames stored per fast-z volume.

    Raises
    ------
    SourceError
        Not a ScanImage file, truncated, frames of differing shape, files of differing settings, or
        pages that do not make whole volumes.
    """
    if isinstance(path, str | Path):
        first = Path(path)
        paths = acquisition_files(first) if multi_file else [first]
    else:
        paths = [Path(p) for p in path]
    static = read_header(paths[0])
    family, header = static.family, static.values
    settings = _Settings(family, header, paths[0])
    for other in paths[1:]:
        other_static = read_header(other)
        other_settings = _Settings(other_static.family, other_static.values, other)
        if (other_settings.channels, other_settings.frame_rate_hz) != (settings.channels,
                                                                       settings.frame_rate_hz):
            raise SourceError(
                "file has different channels or frame rate than the first file of the acquisition",
                file=other, hint=f"first file: {paths[0]}; open files of one acquisition only",
            )
    rate = frame_rate_hz if frame_rate_hz is not None else settings.frame_rate_hz
    if rate is None or not rate > 0:
        raise SourceError("the ScanImage header states no frame rate", file=paths[0],
                         field="SI.hRoiManager.scanFrameRate",
                         hint="pass frame_rate_hz= (or --frame-rate) with the acquisition's rate")
    if flyback_frames is not None:
        settings.flyback_frames = int(flyback_frames)

    per_frame = family != "3"
    scanned = scan_files(paths, descriptions=per_frame)
    counts = [len(pages) for pages in scanned]
    num_channels = len(settings.channels)
    slices = settings.num_slices + (0 if settings.plane_major else settings.flyback_frames)
    num_frames = layout_frames(paths[0], sum(counts), num_channels, slices)
    first_page = scanned[0][0]
    rows, cols = first_page.shape
    if settings.lines and settings.pixels and (int(settings.lines), int(settings.pixels)) != (rows, cols):
        raise SourceError(
            f"pages are {rows}x{cols} but the header says {int(settings.lines)}x{int(settings.pixels)}",
            file=paths[0], field="linesPerFrame/pixelsPerLine",
        )
    frame_data = (_frame_data([p.description for pages in scanned for p in pages], num_channels, paths[0])
                  if per_frame else {"timestamps": None, "aux": {}, "epoch": None})
    fov = settings.fov_um
    pixel_size = None if fov is None else (fov[0] / rows, fov[1] / cols)
    num_planes = settings.num_slices
    planes = [ImagingPlaneInfo(i, settings.z_um[i] if i < len(settings.z_um) else None)
              for i in range(num_planes)]
    source = PagedTiffSource(
        paths=tuple(paths), format="scanimage", num_frames=num_frames, frame_shape=(rows, cols),
        dtype=first_page.dtype, frame_rate_hz=float(rate),
        volume_rate_hz=(settings.volume_rate_hz or float(rate) / slices) if settings.fast_z else None,
        channels=settings.channels, num_planes=num_planes, flyback_frames=settings.flyback_frames,
        planes=planes, aux_triggers=frame_data["aux"], pixel_size_um=pixel_size, field_of_view_um=fov,
        zoom=settings.zoom, laser_power=settings.laser_power,
        start_datetime=frame_data["epoch"] or settings.start_datetime, raw_header=static.text,
        extra_headers={"roi_groups_json": static.roi_groups_json} if static.roi_groups_json else {},
        plane_major=settings.plane_major, page_counts=counts,
        metadata={
            "scanimage_version": settings.version,
            "header_family": family,
            "header": header,
            "header_block_version": static.block_version,
            "fast_z": settings.fast_z,
            "pages_per_file": counts,
            "laser_power_unit": "percent" if family != "3" else "percent (state.init.eom.maxPower)",
        },
    )
    stamps = frame_data["timestamps"]
    if stamps is not None:
        per_plane = [
            stamps[[source.page_index(0, plane, t) for t in range(num_frames)]] for plane in range(num_planes)
        ]
        source.timestamps_s = per_plane[0]
        source.metadata["plane_timestamps_s"] = per_plane
    return source


class ScanImageReader(Reader):
    """ScanImage TIFFs as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "scanimage"
    kind = "imaging"
    display_name = "ScanImage TIFF"
    suffixes = (".tif", ".tiff")
    info = "ScanImage 5.x and 2016+ TIFFs (the header block, split acquisitions, channels, fast-z, aux triggers)."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return is_scanimage_tiff(path)

    @classmethod
    def open(cls, path: Any, **options: Any) -> PagedTiffSource:
        from nwbtms.sources.imaging import open_imaging

        return open_imaging(path, format=cls.name, **options)

    @classmethod
    def options(cls) -> tuple[str, ...]:
        return keyword_options(open_scanimage)
