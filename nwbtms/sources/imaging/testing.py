"""Write small two-photon acquisitions in the instruments' layouts, for tests and benchmarks.

- :func:`write_scanimage`: a ScanImage 2016+ BigTIFF acquisition (``SI.*`` header in each page's Software
  tag, per-frame ImageDescription with ``frameNumbers``, ``frameTimestamps_sec``, ``epoch`` and
  ``auxTrigger0..3``), optionally with the static header block ScanImage writes at byte 16 of the file
  (ScanImage BigTIFF specification, version 3: magic ``117637889``, version, byte lengths of the
  non-varying frame data and of the ROI group JSON, then both, NUL-terminated) and the ROI group JSON in
  the Artist tag; split over several files like ScanImage's ``<stem>_NNNNN.tif``.
- :func:`write_tseries`: a Bruker PrairieView 5.x T-series folder (master XML with a BOM, per-frame or
  multi-page TIFFs, single planes or volumes, and a VoltageRecording).

Pixel values encode where a frame belongs (:func:`pixel_code`), so de-interleaving can be checked.
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import tifffile

from nwbtms.sources.daq.testing import write_voltage_recording

#: ScanImage BigTIFF header block (ScanImage docs, "ScanImage BigTiff Specification"): magic number.
SCANIMAGE_HEADER_MAGIC = 117637889
#: Version of the header block layout written here (tifffile reads versions 3 and 4).
SCANIMAGE_HEADER_VERSION = 3

BOM = "\ufeff"
#: Frame shape and frame period of :func:`write_tseries`.
TSERIES_SHAPE = (8, 6)
TSERIES_PERIOD_S = 0.05


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
    header_block: bool = False,
    roi_groups_json: str = "",
    dtype: str = "int16",
) -> list[Path]:
    """Write a ScanImage 2016+ style acquisition: 'SI.' header in Software, per-frame descriptions.

    Pages run volume -> slice (planes then flyback) -> channel, as ScanImage logs them; a split
    acquisition is named ``<stem>_NNNNN.tif``. With ``header_block`` each file starts with ScanImage's
    static header block at byte 16 (the pages follow it); ``roi_groups_json`` goes in the block and in
    every page's Artist tag.
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
        if header_block:
            write_header_block(path, header, roi_groups_json)
        with quiet_tifffile(), tifffile.TiffWriter(path, bigtiff=True, append=header_block) as tw:
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
                frame = np.full(shape, pixel_code(v, s, c), dtype=dtype)
                extratags = [(315, "s", 0, roi_groups_json, True)] if roi_groups_json else []
                tw.write(frame, description="\n".join(lines) + "\n", software=header, metadata=None,
                         extratags=extratags)
        paths.append(path)
    return paths


@contextlib.contextmanager
def quiet_tifffile() -> Iterator[None]:
    """Silence tifffile's "contains no pages" warning when appending to a file holding only the block."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def write_header_block(path: Path, header: str, roi_groups_json: str) -> None:
    """A BigTIFF file header (no pages yet) followed by ScanImage's static header block at byte 16.

    ``tifffile.TiffWriter(path, append=True)`` then adds the pages after the block, linking the first
    IFD from the file header, which is where ScanImage's own files have them.
    """
    frame_data = header.encode("utf-8") + b"\0"
    roi_data = roi_groups_json.encode("utf-8") + b"\0"
    with open(path, "wb") as fh:
        fh.write(struct.pack("<2sHHHQ", b"II", 43, 8, 0, 0))  # BigTIFF header; first IFD: none yet
        fh.write(struct.pack("<IIII", SCANIMAGE_HEADER_MAGIC, SCANIMAGE_HEADER_VERSION, len(frame_data),
                             len(roi_data)))
        fh.write(frame_data + roi_data)


def _state_5x(frame_period_s: float) -> str:
    return f"""  <PVStateShard>
    <PVStateValue key="framePeriod" value="{frame_period_s}" />
    <PVStateValue key="linesPerFrame" value="{TSERIES_SHAPE[0]}" />
    <PVStateValue key="pixelsPerLine" value="{TSERIES_SHAPE[1]}" />
    <PVStateValue key="opticalZoom" value="2.5" />
    <PVStateValue key="laserPower">
      <IndexedValue index="0" value="120" description="Insight" />
    </PVStateValue>
    <PVStateValue key="micronsPerPixel">
      <IndexedValue index="XAxis" value="0.8" />
      <IndexedValue index="YAxis" value="0.9" />
      <IndexedValue index="ZAxis" value="2" />
    </PVStateValue>
  </PVStateShard>
"""


def write_tseries(folder: Path, name: str = "TSeries-001", *, num_frames: int = 5,
                  channels: Sequence[int] = (1, 2), volumes: tuple[int, int] | None = None,
                  multipage: bool = False, tiffs: bool = True, voltage: bool = True) -> Path:
    """A PrairieView 5.x T-series folder; returns its master XML.

    Pixel value = 100 * frame + 10 * plane + channel. ``volumes=(n, planes)`` writes ZSeries cycles;
    ``multipage`` one multi-page TIFF per cycle and channel; the VoltageRecording enables ``Input 0``
    and ``Input 2`` (named "TMS trigger", a 2 ms pulse at 10 ms) and disables ``Input 1``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sequences = []
    if volumes is None:
        layout = [[(t, 0) for t in range(num_frames)]]
        seq_type = "TSeries Timed Element"
    else:
        layout = [[(v, p) for p in range(volumes[1])] for v in range(volumes[0])]
        seq_type = "TSeries ZSeries Element"
    index = 0
    for cycle, frames in enumerate(layout, start=1):
        body = []
        for t, plane in frames:
            index += 1
            rel = (t * len(frames) + plane) * TSERIES_PERIOD_S if volumes else t * TSERIES_PERIOD_S
            files = []
            for c in channels:
                if multipage:
                    fname = f"{name}_Cycle{cycle:05d}_Ch{c}.ome.tif"
                    files.append(f'<File channel="{c}" channelName="Ch{c}" page="{t + 1}" '
                                 f'filename="{fname}" />')
                else:
                    fname = f"{name}_Cycle{cycle:05d}_Ch{c}_{index:06d}.ome.tif"
                    files.append(f'<File channel="{c}" channelName="Ch{c}" filename="{fname}" />')
                    if tiffs:
                        tifffile.imwrite(folder / fname, np.full(TSERIES_SHAPE, 100 * t + 10 * plane + c, np.uint16))
            body.append(
                f'    <Frame relativeTime="{rel}" absoluteTime="{rel + 0.2}" index="{index}" '
                f'parameterSet="CurrentSettings">\n      ' + "\n      ".join(files) + "\n"
                f'      <PVStateShard><PVStateValue key="framePeriod" value="{TSERIES_PERIOD_S}" /></PVStateShard>\n'
                "    </Frame>")
        extra = ""
        if voltage and cycle == 1:
            extra = (f'    <VoltageRecording configurationFile="{name}_Cycle00001_VoltageRecording_001.xml" '
                     f'dataFile="{name}_Cycle00001_VoltageRecording_001.csv" />\n')
        sequences.append(f'  <Sequence type="{seq_type}" cycle="{cycle}" time="10:00:00.0">\n'
                         f"    <PVStateShard />\n{extra}" + "\n".join(body) + "\n  </Sequence>")
    if multipage and tiffs:
        for cycle, frames in enumerate(layout, start=1):
            for c in channels:
                stack = np.stack([np.full(TSERIES_SHAPE, 100 * t + 10 * p + c, np.uint16) for t, p in frames])
                with tifffile.TiffWriter(folder / f"{name}_Cycle{cycle:05d}_Ch{c}.ome.tif") as tw:
                    for page in stack:
                        tw.write(page, metadata=None)
    xml = (f'{BOM}<?xml version="1.0" encoding="utf-8"?>\n'
           f'<PVScan version="5.4.64.500" date="1/14/2019 3:12:36 PM" notes="">\n'
           + _state_5x(0.04) + "\n".join(sequences) + "\n</PVScan>\n")
    path = folder / f"{name}.xml"
    path.write_text(xml, encoding="utf-8")
    if voltage:
        write_tseries_voltage(folder / f"{name}_Cycle00001_VoltageRecording_001")
    return path


def write_tseries_voltage(stem: Path, *, rate_hz: float = 1000,
                          header: str = "Time(ms), Input 0, Input 2") -> Path:
    """The T-series' VoltageRecording: ``Input 0`` a 0.1 V/sample ramp, ``Input 2`` ("TMS trigger", its
    CSV header left as "Input 2") 5 V from 10 to 12 ms, ``Input 1`` disabled; 50 samples. Returns the CSV."""
    signals = [("Input 0", "0", True), ("Input 1", "1", False), ("TMS trigger", "2", True)]
    t_ms = np.arange(50) * 1000.0 / rate_hz
    trigger = np.where((t_ms >= 10) & (t_ms < 12), 5.0, 0.0)
    _, csv = write_voltage_recording(Path(stem), signals, np.column_stack([0.1 * np.arange(50), trigger]),
                                     rate_hz=rate_hz, header=header)
    return csv
