"""Writers of small, deterministic imaging files in the layouts the instruments use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile


def pixel_code(volume: int, slice_: int, channel: int) -> int:
    """The value every pixel of a generated page holds, so de-interleaving can be checked."""
    return volume * 100 + slice_ * 10 + channel


def write_scanimage(
    folder: Path,
    *,
    num_volumes: int = 6,
    channels: tuple[int, ...] = (1,),
    planes: int = 1,
    flyback: int = 0,
    frame_rate_hz: float = 30.0,
    files: int = 1,
    shape: tuple[int, int] = (16, 20),
    aux: dict[str, list[float]] | None = None,
    stem: str = "acq_00001",
) -> list[Path]:
    """Write a ScanImage 2016+ style acquisition: 'SI.' header in Software, per-frame descriptions.

    Pages run volume -> slice (planes then flyback) -> channel, as ScanImage logs them; a split
    acquisition is named ``<stem>_NNNNN.tif``.
    """
    aux = aux or {}
    slices = planes + flyback
    fast_z = planes > 1
    header = "\n".join([
        "SI.VERSION_MAJOR = '2020'",
        f"SI.hRoiManager.scanFrameRate = {frame_rate_hz}",
        f"SI.hRoiManager.scanVolumeRate = {frame_rate_hz / slices}",
        "SI.hRoiManager.scanZoomFactor = 2",
        f"SI.hRoiManager.linesPerFrame = {shape[0]}",
        f"SI.hRoiManager.pixelsPerLine = {shape[1]}",
        f"SI.hRoiManager.imagingFovUm = [-100 -{shape[0] * 5};100 -{shape[0] * 5};100 {shape[0] * 5};"
        f"-100 {shape[0] * 5}]",
        "SI.hChannels.channelSave = [" + ";".join(str(c) for c in channels) + "]",
        "SI.hChannels.channelName = {'Green' 'Red' 'Channel 3' 'Channel 4'}",
        "SI.hBeams.powers = 12.5",
        f"SI.hFastZ.enable = {'true' if fast_z else 'false'}",
        "SI.hFastZ.discardFlybackFrames = false",
        f"SI.hFastZ.numDiscardFlybackFrames = {flyback}",
        f"SI.hStackManager.numSlices = {planes}",
        f"SI.hStackManager.actualNumSlices = {planes}",
        "SI.hStackManager.zs = [" + " ".join(str(10 * z) for z in range(planes)) + "]",
        "SI.hStackManager.framesPerSlice = 1",
    ])
    frames = [(v, s) for v in range(num_volumes) for s in range(slices)]
    per_file = -(-len(frames) // files)  # ScanImage splits files at frame boundaries (framesPerFile)
    paths = []
    period_s = 1.0 / frame_rate_hz
    for f in range(files):
        path = folder / (f"{stem}_{f + 1:05d}.tif" if files > 1 else f"{stem}.tif")
        with tifffile.TiffWriter(path, bigtiff=True) as tw:
            for v, s, c in [(v, s, c) for v, s in frames[f * per_file:(f + 1) * per_file]
                            for c in range(len(channels))]:
                frame_index = v * slices + s
                t0 = frame_index * period_s
                lines = [
                    f"frameNumbers = {frame_index + 1}",
                    "acquisitionNumbers = 1",
                    f"frameTimestamps_sec = {t0:.6f}",
                    "epoch = [2024 5 6 10 11 12.5]",
                ]
                for k in range(4):
                    edges = [t for t in aux.get(f"auxTrigger{k}", []) if t0 <= t < t0 + period_s]
                    lines.append(f"auxTrigger{k} = [" + " ".join(f"{t:.6f}" for t in edges) + "]")
                frame = np.full(shape, pixel_code(v, s, c), dtype=np.int16)
                tw.write(frame, description="\n".join(lines) + "\n", software=header, metadata=None)
        paths.append(path)
    return paths


@pytest.fixture
def scanimage_writer(tmp_path: Path) -> Callable[..., list[Path]]:
    """``scanimage_writer(**kwargs)`` writes an acquisition into ``tmp_path`` and returns its files."""

    def write(**kwargs) -> list[Path]:
        return write_scanimage(tmp_path, **kwargs)

    return write


@pytest.fixture(scope="session")
def write_scanimage_to() -> Callable[..., list[Path]]:
    """:func:`write_scanimage` itself: ``write_scanimage_to(folder, **kwargs)`` (for hypothesis tests)."""
    return write_scanimage
