"""Write the raw files of one miniature aiTBS imaging session, in the instruments' own formats.

The motivating study (Gongwer et al., Cell 2026, doi:10.1016/j.cell.2025.12.040): an awake, head-fixed
Tlx3-Cre mouse receives accelerated iTBS (several iTBS sessions in one day) while a dendrite with
spines of a prefrontal IT neuron is imaged. Written here, deterministic for a given seed:

- ``raw/daq.h5``: a WaveSurfer 0.97 file (flat ``/header`` layout of the real files in
  ``shared/realdata/wavesurfer``; ``/sweep_0001/analogScans`` int16 channels x samples) with two analog
  channels: ``TMS_trigger`` (stimulator trigger-out TTL, 5 V) and ``frame_clock`` (ScanImage frame clock).
- ``raw/stimulator_log.csv``: the documented CSV layout of :mod:`nwbtms.sources.logs` (one row per pulse).
- ``raw/imaging_00001.tif``: a ScanImage-style TIFF written with tifffile (``SI.*`` header in the Software
  tag, per-frame ``frameTimestamps_sec`` and ``auxTrigger0`` in ImageDescription) of a dendrite with spines
  and a soma, TMS artefact lines in frames that overlap pulses; the imaging clock drifts against the DAQ.
- ``raw/suite2p/plane0/``: Suite2p output (``stat.npy``, ``ops.npy`` pickled with ``np.save``; ``F``,
  ``Fneu``, ``spks``, ``iscell``) with soma, dendrite and spine ROIs, and ``raw/rois.csv`` labelling each
  ROI's kind, parent and stable key.
- ``session.yaml``: the metadata (rendered from ``session.yaml.template`` beside this file), with a DCZ
  injection (chemogenetic ligand, i.p.) before stimulation.
- :func:`generate_followup`: the same mouse a week later, an imaging-only structural day
  (``raw_followup/zstack.tif``, a 3-slice z-stack, and ``raw_followup/RoiSet.zip``, a Fiji ROI set written
  with roifile, one spine lost and one gained) and ``followup.yaml``.

Sizes with the defaults: about 13 MB of DAQ data and 20 MB of TIFF.
"""

from __future__ import annotations

import argparse
import string
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import tifffile

from nwbtms.sources.imaging.testing import quiet_tifffile, write_header_block

TEMPLATE = Path(__file__).with_name("session.yaml.template")

#: iTBS (Huang et al. 2005): 3 pulses at 50 Hz, bursts every 200 ms, 10 bursts per train, trains every 10 s,
#: 20 trains = 600 pulses (Huang et al. 2005, Neuron 45:201). Levels innermost first: (count, interval_us).
ITBS_LEVELS_US = ((3, 20_000), (10, 200_000), (20, 10_000_000))
#: Volts per int16 count for a +-10 V range (the real 0.97 file's coefficient c1 is 3.224e-4 V/count).
VOLTS_PER_COUNT = 10.0 / 32768.0


@dataclass(frozen=True)
class ExampleParameters:
    """Knobs of the generated session (defaults keep it under a minute and under 50 MB)."""

    seed: int = 7
    sessions: int = 3
    #: Onset-to-onset interval between iTBS sessions, s (a parameter of mouse aiTBS, Gongwer et al. 2026;
    #: shortened from tens of minutes to keep the file small).
    session_interval_s: float = 210.0
    first_pulse_s: float = 10.0
    tail_s: float = 6.0
    daq_rate_hz: float = 5000.0
    trigger_width_s: float = 0.001
    imaging_start_s: float = 5.0
    frame_rate_hz: float = 15.0
    num_frames: int = 600
    frame_size: int = 128
    #: Imaging clock runs fast by this much relative to the DAQ (parts per million).
    imaging_drift_ppm: float = 20.0
    #: One pulse the stimulator failed to deliver: (session, index within the session).
    dropped_pulse: tuple[int, int] = (1, 12 * 30 + 4 * 3 + 2)
    dcz_time_s: float = -1200.0


def itbs_times_s() -> np.ndarray:
    """Pulse times of one iTBS-600 session from its first pulse, s (built in integer microseconds)."""
    times_us = np.zeros(1, dtype=np.int64)
    for count, interval_us in ITBS_LEVELS_US:
        times_us = (np.arange(count, dtype=np.int64)[:, None] * interval_us + times_us[None, :]).ravel()
    return times_us / 1e6


def delivered_pulses_s(p: ExampleParameters) -> np.ndarray:
    """Delivered pulse times on the DAQ clock (one dropped pulse), s."""
    one = itbs_times_s()
    times = [one + p.first_pulse_s + k * p.session_interval_s for k in range(p.sessions)]
    session, index = p.dropped_pulse
    if session < p.sessions:
        times[session] = np.delete(times[session], index)
    return np.concatenate(times)


def _frame_times_daq_s(p: ExampleParameters) -> np.ndarray:
    """Start of each frame on the DAQ clock; the imaging clock drifts by ``imaging_drift_ppm``."""
    return p.imaging_start_s + np.arange(p.num_frames) / p.frame_rate_hz * (1 + p.imaging_drift_ppm * 1e-6)


def write_daq(path: Path, p: ExampleParameters, pulses_s: np.ndarray, rng: np.random.Generator) -> None:
    """WaveSurfer 0.97 layout: header scalars as (1, 1) float64, names as byte strings, int16 scans."""
    last_pulse_s = p.first_pulse_s + (p.sessions - 1) * p.session_interval_s + float(itbs_times_s()[-1])
    duration_s = last_pulse_s + p.tail_s
    n = int(round(duration_s * p.daq_rate_hz))
    coefficients = np.array([[0.0, VOLTS_PER_COUNT, 0.0, 0.0]] * 2)
    with h5py.File(path, "w") as f:
        header = f.create_group("header")

        def scalar(name, value):
            header.create_dataset(name, data=np.array([[float(value)]]))

        scalar("AcquisitionSampleRate", p.daq_rate_hz)
        header.create_dataset("AIChannelNames", data=np.array([b"TMS_trigger", b"frame_clock"]))
        header.create_dataset("AIChannelTerminalNames", data=np.array([b"AI0", b"AI1"]))
        header.create_dataset("AIChannelDeviceNames", data=np.array([b"Dev1", b"Dev1"]))
        header.create_dataset("AIChannelUnits", data=np.array([b"V", b"V"]))
        header.create_dataset("AIChannelScales", data=np.ones((2, 1)))
        header.create_dataset("AIScalingCoefficients", data=coefficients)
        header.create_dataset("IsAIChannelActive", data=np.ones((2, 1)))
        scalar("NAIChannels", 2)
        scalar("NDIChannels", 0)
        header.create_dataset("DIChannelNames", data=np.array([b""], dtype=object),
                              dtype=h5py.string_dtype())
        header.create_dataset("IsDIChannelActive", data=np.zeros((1, 1)))
        clock_at_start = np.array([[2026.0], [3.0], [2.0], [9.0], [30.0], [0.0]])
        header.create_dataset("ClockAtRunStart", data=clock_at_start)
        header.create_dataset("VersionString", data=np.array([b"0.97"]))
        scalar("NSweepsPerRun", 1)
        scalar("SweepDuration", duration_s)
        scalar("AreSweepsContinuous", 1)
        scalar("AreSweepsFiniteDuration", 1)
        header.create_dataset("DataFileBaseName", data=np.array([b"daq"]))
        sweep = f.create_group("sweep_0001")
        sweep.create_dataset("timestamp", data=np.array([[0.0]]))
        scans = sweep.create_dataset("analogScans", shape=(2, n), dtype=np.int16, chunks=(2, 1 << 16))
        frame_starts = _frame_times_daq_s(p)
        frame_high_s = 0.5 / p.frame_rate_hz
        width = max(1, int(round(p.trigger_width_s * p.daq_rate_hz)))
        high = (np.ceil(pulses_s * p.daq_rate_hz).astype(np.int64)[:, None] + np.arange(width)).ravel()
        block = 1 << 20
        for start in range(0, n, block):
            stop = min(n, start + block)
            t = np.arange(start, stop) / p.daq_rate_hz
            trigger = np.zeros(t.size)
            inside_block = high[(high >= start) & (high < stop)]
            trigger[inside_block - start] = 5.0
            clock = np.zeros(t.size)
            index = np.searchsorted(frame_starts, t, side="right") - 1
            inside = (index >= 0) & (index < p.num_frames)
            phase = t - frame_starts[np.clip(index, 0, p.num_frames - 1)]
            clock[inside & (phase < frame_high_s)] = 5.0
            volts = np.stack([trigger, clock]) + rng.normal(0.0, 0.01, (2, t.size))
            scans[:, start:stop] = np.round(volts / VOLTS_PER_COUNT).astype(np.int16)


def write_stimulator_log(path: Path, pulses_s: np.ndarray, rng: np.random.Generator) -> None:
    """One row per delivered pulse: MagPro status polled at each trigger (documented CSV layout)."""
    di_dt = np.round(rng.normal(72.0, 0.5, pulses_s.size), 2)
    warming = 4.0 * np.arange(pulses_s.size) / pulses_s.size
    temperature = np.round(28.0 + warming + rng.normal(0, 0.05, pulses_s.size), 2)
    lines = ["# MagPro X100 status log, polled at each trigger (nwbtms documented CSV layout)",
             "time_s,intensity_percent_mso,di_dt_a_per_us,coil_temperature_c,mode,waveform"]
    log_times = pulses_s + rng.uniform(0.0002, 0.0006, pulses_s.size)
    for t, d, c in zip(log_times, di_dt, temperature, strict=True):
        lines.append(f"{t:.6f},45,{d:.2f},{c:.2f},standard,biphasic")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


#: Where the spines sit along the dendrite (fraction of its length from the soma end); segment a holds
#: those below one half, segment b the rest. Sides alternate.
SPINE_FRACTIONS = (0.15, 0.28, 0.42, 0.58, 0.71, 0.86)
#: The dendrite's ends on a 128 x 128 frame (x0, y0, x1, y1), px: from the soma to the upper right.
DENDRITE_ENDS = (28.0, 94.0, 118.0, 20.0)


def _dendrite_geometry(size: int, fractions: tuple[float, ...] = SPINE_FRACTIONS):
    """Soma, a dendrite (two segments) and spines (at ``fractions`` of its length) as pixel masks on a
    ``size`` x ``size`` frame."""
    yy, xx = np.mgrid[0:size, 0:size]
    scale = size / 128
    soma = (yy - 100 * scale) ** 2 + (xx - 20 * scale) ** 2 <= (9 * scale) ** 2
    # dendrite: a line from the soma to the upper right, 3 px wide
    x0, y0, x1, y1 = (v * scale for v in DENDRITE_ENDS)
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    along = ((xx - x0) * dx + (yy - y0) * dy) / length
    across = np.abs((xx - x0) * dy - (yy - y0) * dx) / length
    shaft = (across <= 1.6 * scale) & (along >= 0) & (along <= length)
    dendrite_a = shaft & (along < length / 2)
    dendrite_b = shaft & (along >= length / 2)
    normal = np.array([dy, -dx]) / length
    spines = []
    for k, frac in enumerate(fractions):
        side = 1 if k % 2 == 0 else -1
        cx = x0 + frac * dx + side * normal[0] * 5 * scale
        cy = y0 + frac * dy + side * normal[1] * 5 * scale
        spines.append((yy - cy) ** 2 + (xx - cx) ** 2 <= (2.2 * scale) ** 2)
    return soma, [dendrite_a, dendrite_b], spines


def _activity(p: ExampleParameters, n_rois: int, rng: np.random.Generator) -> np.ndarray:
    """Calcium-like traces (rois x frames): sparse events convolved with a 0.7 s decay."""
    events = rng.random((n_rois, p.num_frames)) < 0.01
    kernel = np.exp(-np.arange(int(3 * p.frame_rate_hz)) / (0.7 * p.frame_rate_hz))
    traces = np.stack([np.convolve(e.astype(float), kernel)[:p.num_frames] for e in events])
    return 1.0 + 1.5 * traces


@dataclass(frozen=True)
class RoiLayout:
    """The imaged cell: masks in Suite2p ROI order with each ROI's kind, parent (ROI index, '' for none), stable
    key and cell type label."""

    masks: list
    kinds: list[str]
    parents: list[str]
    keys: list[str]
    cell_type: str = "IT"


def roi_layout(frame_size: int, subject: str = "M001", fractions: tuple[float, ...] = SPINE_FRACTIONS,
               present: tuple[int, ...] | None = None, cell_type: str = "IT") -> RoiLayout:
    """Soma, both dendrite segments and the ``present`` spines (indices into ``fractions``, default all) with
    their keys (:func:`roi_keys`)."""
    soma, dendrites, spines = _dendrite_geometry(frame_size, fractions)
    chosen = range(len(fractions)) if present is None else sorted(present)
    keys = roi_keys(len(fractions), subject, fractions)
    masks = [soma, *dendrites, *(spines[i] for i in chosen)]
    parents = ["", "0", "0"] + ["1" if fractions[i] < 0.5 else "2" for i in chosen]
    return RoiLayout(masks=masks, kinds=["soma", "dendrite", "dendrite"] + ["spine"] * len(chosen),
                     parents=parents, keys=keys[:3] + [keys[3 + i] for i in chosen], cell_type=cell_type)


def write_imaging(folder: Path, p: ExampleParameters, pulses_s: np.ndarray, rng: np.random.Generator,
                  layout: RoiLayout | None = None) -> dict:
    """ScanImage-style TIFF plus Suite2p output and ROI labels of ``layout`` (default: the example's IT cell with
    six spines); returns the ROI layout."""
    layout = layout or roi_layout(p.frame_size)
    masks = layout.masks
    activity = _activity(p, len(masks), rng)
    frame_starts_daq = _frame_times_daq_s(p)
    frame_period_daq = (1 + p.imaging_drift_ppm * 1e-6) / p.frame_rate_hz
    # imaging clock: 0 at the first frame, nominal rate (the DAQ sees it drift)
    frame_times_si = np.arange(p.num_frames) / p.frame_rate_hz
    base = np.full((p.frame_size, p.frame_size), 300.0)
    software = "\n".join([
        "SI.VERSION_MAJOR = '2016b'", "SI.VERSION_MINOR = '0'",
        f"SI.hRoiManager.scanFrameRate = {p.frame_rate_hz}",
        f"SI.hRoiManager.linesPerFrame = {p.frame_size}", f"SI.hRoiManager.pixelsPerLine = {p.frame_size}",
        "SI.hRoiManager.scanZoomFactor = 4", "SI.hChannels.channelSave = 1",
        "SI.hChannels.channelName = {'green'}",
        "SI.hStackManager.numSlices = 1", "SI.hFastZ.enable = false", "SI.hBeams.powers = 22",
        "SI.objectiveResolution = 15", "SI.hScan2D.scannerType = 'Resonant'",
        "SI.acqState = 'grab'", "SI.hChannels.channelsActive = 1", "SI.hScan2D.logFramesPerFile = Inf",
        "SI.hStackManager.enable = false", "SI.hStackManager.framesPerSlice = 1",
        "SI.hStackManager.stackMode = 'slow'", "SI.hStackManager.numFramesPerVolume = 1",
        "SI.hStackManager.numFramesPerVolumeWithFlyback = 1",
    ]) + "\n"
    # ScanImage 2016+ writes BigTIFF with its static header block at byte 16 (the SI.* header, then the ROI
    # group JSON); the same header is in every page's Software tag.
    path = folder / "imaging_00001.tif"
    write_header_block(path, software, "")
    with quiet_tifffile(), tifffile.TiffWriter(path, bigtiff=True, append=True) as tif:
        for k in range(p.num_frames):
            frame = base.copy()
            for mask, level in zip(masks, activity[:, k], strict=True):
                frame[mask] += 900.0 * level
            frame = rng.poisson(frame).astype(np.float64)
            start = frame_starts_daq[k]
            hits = pulses_s[(pulses_s + 0.025 > start) & (pulses_s - 0.001 < start + frame_period_daq)]
            for pulse in hits:
                row = int((pulse - start) / frame_period_daq * p.frame_size)
                frame[max(0, row - 3):row + 4, :] += 20000.0  # coil discharge saturates PMT lines
            aux = (hits - p.imaging_start_s) / (1 + p.imaging_drift_ppm * 1e-6)
            description = "\n".join([
                f"frameNumbers = {k + 1}", "acquisitionNumbers = 1", f"frameNumberAcquisition = {k + 1}",
                f"frameTimestamps_sec = {frame_times_si[k]:.6f}", "acqTriggerTimestamps_sec = ",
                "nextFileMarkerTimestamps_sec = ", "endOfAcquisition = 0", "endOfAcquisitionMode = 0",
                "dcOverVoltage = 0", "epoch = [2026  3  2  9 30 5.000]",
                "auxTrigger0 = [" + " ".join(f"{t:.6f}" for t in aux) + "]",
                "auxTrigger1 = []", "auxTrigger2 = []", "auxTrigger3 = []",
                "I2CData = {}",
            ]) + "\n"
            tif.write(np.clip(frame, 0, 65535).astype(np.uint16), description=description,
                      software=software, metadata=None, contiguous=False)
    return _write_suite2p(folder, p, layout, activity, rng)


def _write_suite2p(folder: Path, p: ExampleParameters, layout: RoiLayout, activity, rng) -> dict:
    masks = layout.masks
    plane = folder / "suite2p" / "plane0"
    plane.mkdir(parents=True, exist_ok=True)
    stat = []
    for mask in masks:
        ypix, xpix = np.nonzero(mask)
        lam = np.full(ypix.size, 1.0 / ypix.size, dtype=np.float32)
        stat.append({"ypix": ypix.astype(np.int32), "xpix": xpix.astype(np.int32), "lam": lam,
                     "med": [float(np.median(ypix)), float(np.median(xpix))], "npix": int(ypix.size),
                     "radius": float(np.sqrt(ypix.size / np.pi)), "compact": 1.0, "footprint": 1.0,
                     "skew": 1.0, "std": 1.0, "overlap": np.zeros(ypix.size, dtype=bool)})
    mean_image = np.full((p.frame_size, p.frame_size), 300.0, dtype=np.float32)
    for mask in masks:
        mean_image[mask] += 900.0
    ops = {"Ly": p.frame_size, "Lx": p.frame_size, "fs": p.frame_rate_hz, "nframes": p.num_frames,
           "nplanes": 1, "nchannels": 1, "tau": 0.7, "meanImg": mean_image, "save_path": "suite2p/plane0",
           "suite2p_version": "0.14.4"}
    # Writing pickles is fine; nwbtms reads them back through its restricted unpickler.
    stat_array = np.empty(len(stat), dtype=object)
    stat_array[:] = stat
    np.save(plane / "stat.npy", stat_array, allow_pickle=True)
    np.save(plane / "ops.npy", np.array(ops, dtype=object), allow_pickle=True)
    fluorescence = (activity * 900.0 + rng.normal(0, 20, activity.shape)).astype(np.float32)
    np.save(plane / "F.npy", fluorescence)
    neuropil = np.full_like(fluorescence, 300.0) + rng.normal(0, 5, activity.shape).astype(np.float32)
    np.save(plane / "Fneu.npy", neuropil)
    np.save(plane / "spks.npy", np.clip(np.diff(fluorescence, prepend=fluorescence[:, :1], axis=1), 0, None))
    np.save(plane / "iscell.npy", np.column_stack([np.ones(len(masks)), np.full(len(masks), 0.95)]))
    # both dendrite segments hang off the soma (their keys say so: M001-n1:d1a, M001-n1:d1b)
    lines = ["roi,roi_kind,parent,roi_key,cell_type"]
    rows = enumerate(zip(layout.kinds, layout.parents, layout.keys, strict=True))
    lines += [f"{i},{kind},{parent},{key},{layout.cell_type}" for i, (kind, parent, key) in rows]
    (folder / "rois.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"num_rois": len(masks), "kinds": list(layout.kinds)}


def roi_keys(num_spines: int, subject: str = "M001",
             fractions: tuple[float, ...] = SPINE_FRACTIONS) -> list[str]:
    """Stable keys of the soma, the two dendrite segments and the spines (at ``fractions``), in Suite2p ROI order.

    They follow the annotation naming convention (``parent:child``, :mod:`nwbtms.sources.annotations.model`),
    so a Fiji ROI set of a later day names the same structures with the same keys.
    """
    spines = [f"{subject}-n1:d1{'a' if fractions[i] < 0.5 else 'b'}:s{i + 1}" for i in range(num_spines)]
    return [f"{subject}-n1", f"{subject}-n1:d1a", f"{subject}-n1:d1b", *spines]


#: The follow-up structural day a week later: spine 2 lost, spine 7 gained (on segment b).
FOLLOWUP_LOST = ("M001-n1:d1a:s2",)
FOLLOWUP_GAINED = ("M001-n1:d1b:s7",)
FOLLOWUP_TEMPLATE = Path(__file__).with_name("followup.yaml.template")


#: Spine positions of the follow-up day: the six of day 1 and the gained one near the dendrite's far end.
FOLLOWUP_FRACTIONS = (*SPINE_FRACTIONS, 0.95)


def write_followup(folder: Path, p: ExampleParameters) -> None:
    """A week-later structural day: a 3-slice z-stack (plain TIFF) and a Fiji ROI set (roifile).

    The ROI set traces the soma (oval), both dendrite segments (polylines) and every spine (points) with the
    keys of day 1; spine 2 is gone and a new spine 7 sits on segment b.
    """
    keys = roi_keys(len(FOLLOWUP_FRACTIONS), "M001", FOLLOWUP_FRACTIONS)
    present = tuple(i for i, key in enumerate(keys[3:]) if key not in FOLLOWUP_LOST)
    write_structural_day(folder, p, "M001", FOLLOWUP_FRACTIONS, present, seed=p.seed + 1)


def write_structural_day(folder: Path, p: ExampleParameters, subject: str, fractions: tuple[float, ...],
                         present: tuple[int, ...], seed: int) -> None:
    """An imaging-only structural day: a 3-slice z-stack (plain TIFF, ``zstack.tif``) of the dendrite with the
    ``present`` spines (indices into ``fractions``), and a Fiji ROI set (``RoiSet.zip``, written with roifile)
    tracing the soma (oval), both dendrite segments (polylines) and each present spine (a point) with the keys
    of :func:`roi_keys`, as a person scoring the stack would."""
    from nwbtms.sources.annotations.testing import write_imagej_roiset

    folder.mkdir(parents=True, exist_ok=True)
    soma, dendrites, spines = _dendrite_geometry(p.frame_size, fractions)
    chosen = sorted(present)
    rng = np.random.default_rng(seed)
    stack = np.full((3, p.frame_size, p.frame_size), 250.0)
    for z, weight in enumerate((0.5, 1.0, 0.5)):
        for mask in (soma, *dendrites, *(spines[i] for i in chosen)):
            stack[z][mask] += 1200.0 * weight
    tifffile.imwrite(folder / "zstack.tif", rng.poisson(stack).astype(np.uint16), photometric="minisblack")
    keys = roi_keys(len(fractions), subject, fractions)
    scale = p.frame_size / 128
    x0, y0, x1, y1 = (v * scale for v in DENDRITE_ENDS)
    mid = ((x0 + x1) / 2, (y0 + y1) / 2)
    rois = [{"name": keys[0], "type": "oval", "points": [[11 * scale, 91 * scale], [29 * scale, 109 * scale]],
             "slice": 2},
            {"name": keys[1], "type": "polyline", "points": [[x0, y0], list(mid)], "slice": 2},
            {"name": keys[2], "type": "polyline", "points": [list(mid), [x1, y1]], "slice": 2}]
    for i in chosen:
        cy, cx = np.argwhere(spines[i]).mean(axis=0)
        rois.append({"name": keys[3 + i], "type": "point", "points": [[cx, cy]], "slice": 2})
    write_imagej_roiset(folder / "RoiSet.zip", rois)


def generate_followup(out: Path, params: ExampleParameters | None = None) -> Path:
    """Write the follow-up day's raw files (``raw_followup/``) and ``followup.yaml``; returns the metadata file."""
    p = params or ExampleParameters()
    write_followup(out / "raw_followup", p)
    metadata = out / "followup.yaml"
    metadata.write_text(FOLLOWUP_TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    return metadata


def generate(out: Path, params: ExampleParameters | None = None) -> Path:
    """Write the raw session and its ``session.yaml`` into ``out``; returns the metadata file."""
    p = params or ExampleParameters()
    rng = np.random.default_rng(p.seed)
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    pulses_s = delivered_pulses_s(p)
    write_daq(raw / "daq.h5", p, pulses_s, rng)
    write_stimulator_log(raw / "stimulator_log.csv", pulses_s, rng)
    write_imaging(raw, p, pulses_s, rng)
    metadata = out / "session.yaml"
    metadata.write_text(render_metadata(p), encoding="utf-8")
    return metadata


def render_metadata(params: ExampleParameters | None = None) -> str:
    """The ``session.yaml`` text of the example (``session.yaml.template`` with the parameters filled in).

    ``min_session_gap_s`` lies halfway between the 8 s pause between iTBS trains and the pause between
    sessions (interval minus the 191.84 s an iTBS-600 session lasts, Huang et al. 2005).
    """
    p = params or ExampleParameters()
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        sessions=p.sessions, session_interval_s=f"{p.session_interval_s:g}",
        dcz_time_s=f"{p.dcz_time_s:g}", min_session_gap_s=f"{(8.0 + p.session_interval_s - 191.84) / 2:.1f}",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write raw/ and session.yaml into")
    parser.add_argument("--sessions", type=int, default=ExampleParameters.sessions)
    parser.add_argument("--session-interval-s", type=float, default=ExampleParameters.session_interval_s)
    parser.add_argument("--seed", type=int, default=ExampleParameters.seed)
    args = parser.parse_args(argv)
    path = generate(args.out, ExampleParameters(seed=args.seed, sessions=args.sessions,
                                                session_interval_s=args.session_interval_s))
    print(path)


if __name__ == "__main__":
    main()
