"""Two-photon imaging readers: ScanImage, generic multi-page TIFF and Bruker PrairieView.

``open_imaging(path)`` picks the reader from the path (a Bruker folder or XML, a ScanImage TIFF, or
any other TIFF with ``frame_rate_hz``) and returns an :class:`ImagingSource` whose frames are read
lazily in chunks. Readers are pure: no pynwb.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.imaging.base import ImagingPlaneInfo, ImagingSource
from nwbtms.sources.imaging.bruker import BrukerSource, open_bruker
from nwbtms.sources.imaging.bruker_voltage import VoltageRecording, read_voltage_recording
from nwbtms.sources.imaging.bruker_xml import PrairieViewScan, read_prairieview_xml
from nwbtms.sources.imaging.scanimage import is_scanimage_tiff, open_scanimage
from nwbtms.sources.imaging.tiff import TIFF_SUFFIXES, PagedTiffSource, open_tiff_stack

__all__ = [
    "FORMATS", "BrukerSource", "ImagingPlaneInfo", "ImagingSource", "PagedTiffSource", "PrairieViewScan",
    "VoltageRecording", "detect_format", "open_bruker", "open_imaging", "open_scanimage",
    "open_tiff_stack", "read_prairieview_xml", "read_voltage_recording",
]

# PrairieView names frame TIFFs <series>_Cycle00001_Ch1_000001.ome.tif and saves a <series>.env beside them.
_PRAIRIEVIEW_FRAME = re.compile(r"_Cycle\d{5}_Ch\d+_\d{6}")

#: Formats :func:`open_imaging` reads.
FORMATS = ("scanimage", "tiff", "bruker")


def _as_paths(path: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(path, str | Path):
        return [Path(path)]
    paths = [Path(p) for p in path]
    if not paths:
        raise InputError("no imaging file given", field="path")
    return paths


def _tiffs_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in TIFF_SUFFIXES and p.is_file())


def detect_format(path: str | Path | Sequence[str | Path]) -> str:
    """``"bruker"``, ``"scanimage"`` or ``"tiff"`` for ``path`` (a file, a folder, or a list of files)."""
    paths = _as_paths(path)
    first = paths[0]
    if not first.exists():
        raise SourceError("imaging path not found", file=first)
    if first.suffix.lower() == ".xml":
        return "bruker"
    if first.is_dir():
        if any("_Voltage" not in x.name and x.name != "experiment.xml" for x in first.glob("*.xml")):
            return "bruker"
        tiffs = _tiffs_in(first)
        if any(first.glob("*.env")) or any(_PRAIRIEVIEW_FRAME.search(t.name) for t in tiffs):
            return "bruker"  # a T-series folder whose master XML is missing: say so, not "no frame rate"
        if not tiffs:
            raise SourceError("folder holds neither a PrairieView XML nor TIFF files", file=first,
                              hint="give a ScanImage/TIFF file, a Bruker T-series folder or its XML")
        first = tiffs[0]
    if first.suffix.lower() not in TIFF_SUFFIXES:
        raise SourceError(f"unknown imaging file type {first.suffix!r}", file=first,
                          hint="supported: ScanImage or plain TIFF (.tif/.tiff), Bruker T-series (.xml)")
    return "scanimage" if is_scanimage_tiff(first) else "tiff"


def open_imaging(path: str | Path | Sequence[str | Path], *, format: str | None = None,
                 **options: Any) -> ImagingSource:
    """Open a two-photon movie; frames are read later, lazily, by ``iter_frames``.

    Parameters
    ----------
    path : path or sequence of paths
        A ScanImage TIFF (its split-acquisition siblings are found), a plain TIFF, a folder of TIFFs,
        a list of TIFFs in order, or a Bruker T-series folder / master XML.
    format : {"scanimage", "tiff", "bruker"}, optional
        Skip detection.
    **options
        Passed to the reader: ``frame_rate_hz``, ``channels``, ``num_planes``, ``pixel_size_um`` (tiff);
        ``multi_file``, ``frame_rate_hz``, ``flyback_frames`` (scanimage); ``require_frames`` (bruker).

    Raises
    ------
    InputError
        Unknown format or option, or a generic TIFF without ``frame_rate_hz``.
    SourceError
        The files are missing, truncated or inconsistent.
    """
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown imaging format {fmt!r}; known: {', '.join(FORMATS)}", field="format")
    paths = _as_paths(path)
    try:
        if fmt == "bruker":
            return open_bruker(paths[0], **options)
        if len(paths) == 1 and paths[0].is_dir():
            paths = _tiffs_in(paths[0])
            if not paths:
                raise SourceError("no TIFF files in the folder", file=_as_paths(path)[0])
            if fmt == "scanimage":
                options.setdefault("multi_file", False)
        if fmt == "scanimage":
            return open_scanimage(paths[0] if len(paths) == 1 else paths, **options)
        return open_tiff_stack(paths, **options)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            raise InputError(f"option not understood by the {fmt} reader: {exc}", field="options") from exc
        raise
