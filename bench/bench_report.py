"""Time ``nwbtms report`` on a 90,000-pulse course with a 4000-frame movie, against plain h5py reads.

90,000 pulses = one SNT/SAINT course (Cole 2020: 1800 pulses x 10 sessions x 5 days); here 150 mock iTBS-600 sessions.
The movie is 4000 frames of 128 x 128 uint16, written
chunked (32 frames) and gzip-compressed from a frame generator, with a per-frame artifact mask, one
clock residual per frame, and 200 ROIs of three kinds.

Prints the report time (in process, figures and page), the baseline time to just read with h5py the
datasets the report reads (every pulse column it uses, the mask, the residuals, the ROI masks and as
many movie frames as the mean image uses), their ratio, and the peak memory of ``nwbtms report`` run as
a separate process next to the size of the movie.

Run: ``python -m bench.bench_report [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from bench._memory import run_with_peak_rss

N_SESSIONS = 150  # x 600 pulses = 90,000
N_FRAMES = 4000
FRAME_SHAPE = (128, 128)
FRAME_RATE_HZ = 30.0
N_ROIS = 200


def write_course(path: Path) -> Path:
    """Write the benchmark file with pynwb (movie from a generator, never whole in memory)."""
    from hdmf.backends.hdf5 import H5DataIO
    from hdmf.data_utils import DataChunkIterator
    from ndx_tms import TMSArtifactMask, add_cell_type_column
    from ndx_tms.testing import (
        MOCK_ARTIFACT_WINDOW_S,
        add_mock_tms_devices,
        mock_tms_tables,
        mock_TMSClockAlignment,
    )
    from pynwb import NWBFile
    from pynwb.ophys import ImageSegmentation, OpticalChannel, TwoPhotonSeries

    from nwbtms.io.nwb_write import write_nwbfile

    nwbfile = NWBFile(
        session_description="report benchmark: 90,000-pulse course",
        identifier="bench-report",
        session_start_time=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        session_id="bench-course",
    )
    coil = add_mock_tms_devices(nwbfile)
    tables = mock_tms_tables(coil=coil, sessions=N_SESSIONS, nwbfile=nwbfile)
    metadata, pulses = tables["metadata"], tables["pulses"]

    microscope = nwbfile.create_device(name="microscope", description="two-photon")
    plane = nwbfile.create_imaging_plane(
        name="imaging_plane",
        optical_channel=OpticalChannel(name="green", description="GCaMP", emission_lambda=510.0),
        description="L5",
        device=microscope,
        excitation_lambda=920.0,
        indicator="GCaMP6f",
        location="PL",
    )
    start_s = 59.5
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[: FRAME_SHAPE[0], : FRAME_SHAPE[1]]
    base = (1000 + 500 * np.sin(xx / 9.0) * np.cos(yy / 7.0)).astype(np.float32)

    def frames():
        for i in range(N_FRAMES):
            yield (base + rng.normal(0, 50, FRAME_SHAPE) + 20 * np.sin(i / 30)).astype(np.uint16)

    data = H5DataIO(
        DataChunkIterator(frames(), maxshape=(N_FRAMES, *FRAME_SHAPE), dtype=np.dtype("uint16"), buffer_size=32),
        compression="gzip",
        compression_opts=1,
        chunks=(32, *FRAME_SHAPE),
    )
    series = TwoPhotonSeries(
        name="TwoPhotonSeries", imaging_plane=plane, data=data, unit="n.a.", rate=FRAME_RATE_HZ, starting_time=start_s
    )
    nwbfile.add_acquisition(series)
    frame_starts = start_s + np.arange(N_FRAMES) / FRAME_RATE_HZ
    times = np.asarray(pulses["timestamp"].data)
    mask = np.zeros(N_FRAMES, bool)
    lo = np.searchsorted(frame_starts + 1 / FRAME_RATE_HZ, times + MOCK_ARTIFACT_WINDOW_S[0], side="right")
    hi = np.searchsorted(frame_starts, times + MOCK_ARTIFACT_WINDOW_S[1], side="left")
    for a, b in zip(lo, hi, strict=True):
        mask[a:b] = True
    ophys = nwbfile.create_processing_module(name="ophys", description="ophys")
    ophys.add(
        TMSArtifactMask(
            name="TwoPhotonSeries_tms_artifact_mask",
            mask=mask,
            artifact_window_in_s=list(MOCK_ARTIFACT_WINDOW_S),
            frame_duration_in_s=1 / FRAME_RATE_HZ,
            series=series,
            pulses=pulses,
            method="frame overlaps pulse window",
        )
    )
    residuals = rng.normal(0, 2e-7, N_FRAMES)
    ophys.add(
        mock_TMSClockAlignment(
            name="scanimage_to_daq",
            device_time_in_s=frame_starts,
            residual_in_s=residuals,
            rms_residual_in_s=float(np.sqrt(np.mean(residuals**2))),
        )
    )
    segmentation = ImageSegmentation(name="ImageSegmentation")
    ophys.add(segmentation)
    rois = segmentation.create_plane_segmentation(
        name="PlaneSegmentation", description="ROIs", imaging_plane=plane, reference_images=series
    )
    kinds = []
    for i in range(N_ROIS):
        roi = np.zeros(FRAME_SHAPE, np.float32)
        y, x = rng.integers(8, FRAME_SHAPE[0] - 8, 2)
        kind = ("soma", "dendrite", "spine")[i % 3]
        if kind == "soma":
            roi[y - 4 : y + 5, x - 4 : x + 5] = 1
        elif kind == "dendrite":
            roi[y, x - 7 : x + 7] = 1
        else:
            roi[y : y + 2, x : x + 2] = 1
        rois.add_roi(image_mask=roi)
        kinds.append(kind)
    add_cell_type_column(rois, metadata.cell_types, [i % 2 for i in range(N_ROIS)])
    rois.add_column(name="roi_kind", description="kind", data=kinds)
    return write_nwbfile(nwbfile, path, overwrite=True)


def baseline_read(path: Path) -> float:
    """Seconds to read with plain h5py the datasets the report reads (no reduction, no drawing)."""
    from nwbtms.report.reader import MAX_MEAN_FRAMES

    started = time.perf_counter()
    with h5py.File(path, "r") as f:
        for name in (
            "timestamp",
            "session",
            "train_number",
            "burst_number",
            "protocol",
            "intensity_in_percent_mso",
            "di_dt_in_a_per_us",
            "scheduled_time_in_s",
        ):
            f[f"events/tms_pulses/{name}"][:]
        f["processing/ophys/TwoPhotonSeries_tms_artifact_mask/mask"][:]
        f["processing/ophys/scanimage_to_daq/residual_in_s"][:]
        f["processing/ophys/scanimage_to_daq/device_time_in_s"][:]
        f["processing/ophys/ImageSegmentation/PlaneSegmentation/image_mask"][:]
        f["acquisition/TwoPhotonSeries/data"][:MAX_MEAN_FRAMES]
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Generate the file, time the report against the h5py baseline, and print ratio and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the generated file and report in")
    args = parser.parse_args(argv)
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        print("skipped: matplotlib is not installed (pip install 'nwbtms[report]')")
        return
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="bench_report_") as folder:  # 120 MiB: never left behind
        run(Path(folder))


def run(folder: Path) -> None:
    """Write the benchmark file into ``folder`` and print the timings."""
    path = folder / "course.nwb"
    started = time.perf_counter()
    write_course(path)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")
    from nwbtms.report import render_report

    baseline_read(path)  # warm the page cache for both measurements alike
    baseline = min(baseline_read(path) for _ in range(3))
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        report = render_report(path, validate=False, quiet=True)
        timings.append(time.perf_counter() - started)
    report_s = min(timings)
    assert not report.errors, report.errors
    print(f"pulses: {N_SESSIONS * 600:,}; frames: {N_FRAMES} x {FRAME_SHAPE[0]} x {FRAME_SHAPE[1]}; ROIs: {N_ROIS}")
    print(f"h5py read of the same datasets (baseline): {baseline:.3f} s")
    print(f"render_report (7 sections, 6 figures):      {report_s:.3f} s")
    print(f"ratio report / baseline:                    {report_s / baseline:.1f}x")

    html = folder / "course.html"
    code, cli_s, peak_mib = run_with_peak_rss(
        [sys.executable, "-c", "from nwbtms.cli import main; main()", "-q", "report", str(path), "-o", str(html),
         "--overwrite", "--no-validate"],
    )
    if code:
        raise RuntimeError(f"nwbtms report exited {code}")
    movie_mib = N_FRAMES * FRAME_SHAPE[0] * FRAME_SHAPE[1] * 2 / 2**20
    print(
        f"nwbtms report CLI (with interpreter start):  {cli_s:.2f} s, peak RSS {peak_mib:.0f} MiB "
        f"(movie alone is {movie_mib:.0f} MiB uncompressed)"
    )
    print(f"page: {html} ({html.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
