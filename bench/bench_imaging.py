"""Benchmark: a two-photon movie to a TwoPhotonSeries with every compression profile vs plain h5py.

Generates (once, reused afterwards) ``bench/_data/movie_<frames>.tif``: ``--frames`` (default 4000)
512x512 uint16 frames, about 2 GB: a fixed cell-like background plus Poisson shot noise (a pool of noise
frames, rolled per frame so no two frames repeat). Then, each in a fresh subprocess so that peak
anonymous RSS (``RssAnon`` of /proc/self/status, sampled every 10 ms) is its own, reading the TIFF with
the project's reader (``open_imaging``) in every case:

- ``h5py_copy``: plain h5py streamed copy, no compression (contiguous dataset) - baseline of ``none``;
- ``h5py_gzip4``: plain h5py, gzip level 4, one thread, same frame-shaped chunks - baseline of ``archive``;
- ``none``, ``archive``, ``fast``: ``write_nwbfile_with_movies`` (pynwb file, atomic, streamed movie);
- ``neuroconv``: NeuroConv's ``TiffImagingInterface`` with its defaults (gzip-4, its own buffer), run with
  the Python of a separate bench venv (``make bench-neuroconv-venv`` creates ``bench/.venv-neuroconv``, or
  set ``NWBTMS_BENCH_NEUROCONV_PYTHON``); skipped with a note when that venv is absent, so NeuroConv never
  enters the project's own environment.

Every writer ends with fsync (the atomic writer fsyncs before its rename, so the baselines do too).
Targets (2-core machine): none >= 0.9x h5py_copy; archive >= 6x h5py_gzip4 (single-thread zlib-4, same
chunks) and >= 0.5x the ``none`` profile, size <= h5py_gzip4's; peak anonymous RSS <= 300 MB for every
profile. ``archive`` uses the fastest deflate codec installed (ISA-L with the ``fast`` extra); without it
the run says which codec it measured. ``fast`` is skipped with a note when hdf5plugin is absent. Run from
the repo root: ``python -m bench.bench_imaging [--frames 400]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "_data"
FRAME_SHAPE = (512, 512)
RATE_HZ = 30.0
NOISE_POOL = 32
MODES = ("h5py_copy", "h5py_gzip4", "none", "archive", "fast", "neuroconv")
NEUROCONV_PYTHON = Path(
    os.environ.get("NWBTMS_BENCH_NEUROCONV_PYTHON", Path(__file__).resolve().parent / ".venv-neuroconv/bin/python")
)


def movie_path(frames: int) -> Path:
    return DATA_DIR / f"movie_{frames}.tif"


def generate_movie(path: Path, frames: int) -> None:
    """Write the synthetic movie with tifffile, frame by frame (never whole in memory)."""
    import tifffile

    rng = np.random.default_rng(0)
    rows, cols = FRAME_SHAPE
    y, x = np.mgrid[:rows, :cols]
    background = np.full(FRAME_SHAPE, 400.0)
    for cy, cx in rng.uniform(0, 512, size=(150, 2)):  # soma-sized blobs
        background += 600.0 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * 6.0**2))
    noise = [rng.poisson(background).astype(np.int32) - background.astype(np.int32) for _ in range(NOISE_POOL)]

    def frames_iter():
        for i in range(frames):
            gain = 1.0 + 0.2 * np.sin(i / 50.0)
            frame = background * gain + np.roll(noise[i % NOISE_POOL], 7 * i, axis=0)
            yield np.clip(frame, 0, 65535).astype(np.uint16)

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.tif")
    with tifffile.TiffWriter(partial, bigtiff=True) as tif:
        tif.write(frames_iter(), shape=(frames, rows, cols), dtype=np.uint16, contiguous=True)
    os.replace(partial, path)


class AnonRssSampler:
    """Peak ``RssAnon`` of this process, sampled in a thread."""

    def __init__(self, interval_s: float = 0.01) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)

    @staticmethod
    def current_kb() -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return 0

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.current_kb())
            time.sleep(interval_s)

    def __enter__(self) -> AnonRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self.current_kb())


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def run_neuroconv_worker(movie: Path, out: Path) -> dict:
    """NeuroConv's TiffImagingInterface with its defaults (runs in the NeuroConv bench venv)."""
    from neuroconv.datainterfaces import TiffImagingInterface

    with AnonRssSampler() as sampler:
        start = time.perf_counter()
        interface = TiffImagingInterface(file_path=str(movie), sampling_frequency=RATE_HZ, verbose=False)
        metadata = interface.get_metadata()
        metadata["NWBFile"]["session_start_time"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        interface.run_conversion(nwbfile_path=str(out), metadata=metadata, overwrite=True)
        _fsync(out)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"mode": "neuroconv", "seconds": seconds, "bytes": out.stat().st_size,
            "peak_anon_mb": sampler.peak_kb / 1024, "cpu_seconds": usage.ru_utime + usage.ru_stime}


def run_worker(mode: str, movie: Path, out: Path) -> dict:
    """One measurement in this process; returns seconds, output bytes and peak anonymous RSS."""
    if mode == "neuroconv":
        return run_neuroconv_worker(movie, out)
    import h5py

    from nwbtms.io.compression import DEFAULT_BUFFER_BYTES, buffer_frame_count, frame_chunk_shape
    from nwbtms.sources.imaging import open_imaging

    if not mode.startswith("h5py"):  # imports are process start-up, not writing
        import pynwb  # noqa: F401

        import nwbtms.nwb.imaging  # noqa: F401
    with AnonRssSampler() as sampler:
        start = time.perf_counter()
        source = open_imaging(movie, frame_rate_hz=RATE_HZ)
        shape = (source.num_frames, *source.frame_shape)
        chunk = frame_chunk_shape(source.frame_shape, source.dtype)
        block = buffer_frame_count(chunk, source.dtype, DEFAULT_BUFFER_BYTES)
        if mode.startswith("h5py"):
            options = ({"chunks": chunk, "compression": "gzip", "compression_opts": 4}
                       if mode == "h5py_gzip4" else {})
            with h5py.File(out, "w") as f:
                dset = f.create_dataset("data", shape=shape, dtype=source.dtype, **options)
                first = 0
                for frames in source.iter_frames(frames_per_chunk=block):
                    dset[first:first + len(frames)] = frames
                    first += len(frames)
            _fsync(out)
        else:
            from pynwb import NWBFile

            from nwbtms.nwb.imaging import add_imaging_plane, add_two_photon_series, write_nwbfile_with_movies

            nwbfile = NWBFile(session_description="bench", identifier="bench-imaging",
                              session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            plane = add_imaging_plane(nwbfile, source, indicator="GCaMP6f", location="PL",
                                      excitation_lambda_nm=920.0, emission_lambda_nm=510.0)
            pending = add_two_photon_series(nwbfile, source, imaging_plane=plane, profile=mode)
            write_nwbfile_with_movies(nwbfile, out, [pending], overwrite=True, quiet=True)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    from nwbtms.io.compression import deflate_codec

    return {"mode": mode, "seconds": seconds, "bytes": out.stat().st_size, "peak_anon_mb": sampler.peak_kb / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "codec": deflate_codec().name}


def parallel_headroom(workers: int = 2) -> float:
    """Speed-up of ``workers`` threads over one on zlib right now: what other load leaves to this run."""
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(1)
    chunks = [rng.poisson(600, size=(4, 512, 512)).astype(np.uint16).tobytes() for _ in range(4 * workers)]
    start = time.perf_counter()
    for chunk in chunks:
        zlib.compress(chunk, 4)
    serial = time.perf_counter() - start
    with ThreadPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(lambda chunk: zlib.compress(chunk, 4), chunks))
        threaded = time.perf_counter() - start
    return serial / threaded


def measure(mode: str, movie: Path) -> dict | None:
    """Run ``mode`` in a fresh subprocess; None when it cannot run here (NeuroConv venv absent)."""
    out = DATA_DIR / f"out_{mode}.{'h5' if mode.startswith('h5py') else 'nwb'}"
    python = sys.executable
    if mode == "neuroconv":
        if not NEUROCONV_PYTHON.exists():
            print(f"  neuroconv: skipped ({NEUROCONV_PYTHON} not found; `make bench-neuroconv-venv` creates it)")
            return None
        python = str(NEUROCONV_PYTHON)
    if mode == "fast":
        import importlib.util

        if importlib.util.find_spec("hdf5plugin") is None:
            print("  fast: skipped (hdf5plugin not installed; pip install 'nwbtms[fast]')")
            return None
    if out.exists():
        out.unlink()
    try:
        result = subprocess.run([python, "-m", "bench.bench_imaging", "--worker", mode, str(movie), str(out)],
                                check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if out.exists():
            out.unlink()


def main(argv: list[str] | None = None) -> int:
    """Run every mode in its own subprocess and print throughputs, ratios and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4000, help="frames of 512x512 uint16 (default 4000)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "MOVIE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        mode, movie, out = args.worker
        print(json.dumps(run_worker(mode, Path(movie), Path(out))))
        return 0
    movie = movie_path(args.frames)
    if not movie.exists():
        print(f"generating {movie} ...", file=sys.stderr)
        generate_movie(movie, args.frames)
    movie_mb = movie.stat().st_size / 1e6
    print(f"parallel headroom before: {parallel_headroom(os.cpu_count() or 1):.2f}x "
          "(zlib, all cores vs one; < 1.8 means other processes hold the cores)", flush=True)
    results = {}
    for mode in args.modes.split(","):
        r = measure(mode, movie)
        if r is None:
            continue
        results[mode] = r
        print(f"{mode:>11}: {r['seconds']:7.2f} s  {movie_mb / r['seconds']:7.1f} MB/s  "
              f"output {r['bytes'] / 1e6:8.1f} MB  peak anon RSS {r['peak_anon_mb']:6.1f} MB  "
              f"cpu {r['cpu_seconds'] / r['seconds']:.2f} cores", flush=True)
    print(f"parallel headroom after:  {parallel_headroom(os.cpu_count() or 1):.2f}x")
    print(f"cores: {os.cpu_count()}, movie {movie_mb:.0f} MB ({args.frames} frames 512x512 uint16)")
    if "none" in results and "h5py_copy" in results:
        print(f"none / h5py copy speed:          {results['h5py_copy']['seconds'] / results['none']['seconds']:.2f}x"
              "  (target >= 0.9)")
    if "archive" in results:
        print(f"archive deflate codec:           {results['archive']['codec']}"
              + ("" if results["archive"]["codec"] == "isal" else "  (isal not installed: pip install 'nwbtms[fast]')"))
    if "archive" in results and "h5py_gzip4" in results:
        speed = results["h5py_gzip4"]["seconds"] / results["archive"]["seconds"]
        size = results["archive"]["bytes"] / results["h5py_gzip4"]["bytes"]
        print(f"archive / h5py gzip-4 speed:     {speed:.2f}x  (target >= 6)")
        print(f"archive / h5py gzip-4 size:      {size:.4f}  (target <= 1)")
    if "archive" in results and "none" in results:
        print(f"archive / none speed:            {results['none']['seconds'] / results['archive']['seconds']:.2f}x"
              "  (target >= 0.5)")
    if "neuroconv" in results and "archive" in results:
        nc = results["neuroconv"]
        print(f"archive / NeuroConv defaults:    {nc['seconds'] / results['archive']['seconds']:.2f}x speed, "
              f"NeuroConv peak anon RSS {nc['peak_anon_mb']:.0f} MB")
    profiles = [r["peak_anon_mb"] for m, r in results.items() if m in ("none", "archive", "fast")]
    if profiles:
        print(f"max peak anon RSS of profiles:   {max(profiles):.0f} MB  (target <= 300)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
