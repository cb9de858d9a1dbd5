"""Remote validation over a loopback HTTP server with range requests: bytes transferred and wall time.

Builds (once, reused) ``bench/_data/remote_movie_<frames>.nwb``: the ndx-tms example file plus a two-photon
movie of ``--frames`` 512x512 uint16 frames (the synthetic movie of ``bench_imaging``, written with the
``archive`` profile), then serves ``bench/_data`` on 127.0.0.1 (``nwbtms.io.testing.serve_files``, in a thread
of this process, stopped at the end) and runs, each in its own process:

- ``nwbtms validate URL`` (every step, the ``tms`` profile): bytes the server sent / file size (target <= 5 %:
  only metadata and the arrays the checks scan are read) and wall time;
- NWB Inspector's checks (``--config dandi``) on the same URL opened the way NWB Inspector streams DANDI assets:
  ``remfile.File(url)`` -> ``h5py.File`` -> ``pynwb.NWBHDF5IO(...).read()`` -> ``inspect_nwbfile_object``.

Needs the ``remote`` extra (remfile); without it the run says so and skips. Run from the repo root:
``python -m bench.bench_remote [--frames 1000]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "_data"
ROOT = Path(__file__).resolve().parents[1]

_INSPECTOR = """
import sys, time
import h5py, remfile
from pynwb import NWBHDF5IO
from nwbinspector import inspect_nwbfile_object, load_config
start = time.perf_counter()
handle = remfile.File(sys.argv[1])
with h5py.File(handle, "r") as h5, NWBHDF5IO(file=h5, mode="r", load_namespaces=True) as io:
    nwbfile = io.read()
    messages = list(inspect_nwbfile_object(nwbfile, config=load_config("dandi")))
print(len(messages), time.perf_counter() - start)
"""


def make_movie_file(frames: int) -> Path:
    """The example TMS file with a ``frames``-frame 512x512 movie (archive profile); reused when present."""
    path = DATA / f"remote_movie_{frames}.nwb"
    if path.exists():
        return path
    from ndx_tms.testing import mock_tms_nwbfile

    from bench.bench_imaging import generate_movie, movie_path
    from nwbtms.nwb.imaging import add_imaging_plane, add_two_photon_series, write_nwbfile_with_movies
    from nwbtms.sources.imaging import open_imaging

    movie = movie_path(frames)
    if not movie.exists():
        print(f"generating {movie} ...", flush=True)
        generate_movie(movie, frames)
    source = open_imaging(movie, frame_rate_hz=30.0)
    nwbfile = mock_tms_nwbfile(with_imaging=False)
    plane = add_imaging_plane(nwbfile, source, indicator="GCaMP6f", location="PL", excitation_lambda_nm=920.0,
                              emission_lambda_nm=510.0)
    pending = add_two_photon_series(nwbfile, source, imaging_plane=plane, name="TwoPhotonSeries", profile="archive")
    write_nwbfile_with_movies(nwbfile, path, [pending], overwrite=False, quiet=True)
    return path


def _timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time, CPU time (user + system of the child) and the completed process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result


def main(argv: list[str] | None = None) -> int:
    """Serve the file, validate it by URL with nwbtms and with NWB Inspector's streaming, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000, help="movie frames of 512x512 uint16 (default 1000)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("remfile") is None:
        print("skipped: remfile is not installed (pip install 'nwbtms[remote]')")
        return 0
    from nwbtms.io.testing import serve_files

    DATA.mkdir(parents=True, exist_ok=True)
    path = make_movie_file(args.frames)
    size = path.stat().st_size
    print(f"file: {path.name}, {size / 1e6:.1f} MB ({args.frames} frames 512x512 uint16, archive profile)")
    bin_dir = Path(sys.executable).parent
    load = os.getloadavg()
    with serve_files(DATA) as server:
        url = server.url(path)
        wall_ours, cpu_ours, ours = _timed([str(bin_dir / "nwbtms"), "--quiet", "validate", url, "--format", "json"])
        sent_ours, requests_ours = server.bytes_sent, server.requests
        server.reset()
        wall_theirs, cpu_theirs, theirs = _timed([sys.executable, "-c", _INSPECTOR, url])
        sent_theirs, requests_theirs = server.bytes_sent, server.requests
    if ours.returncode not in (0, 1):
        print(f"nwbtms validate failed (exit {ours.returncode}): {ours.stderr.strip()[-500:]}")
        return 1
    report = json.loads(ours.stdout)
    reported = report["files"][0].get("bytes_transferred")
    print(f"load average before/after: {load[0]:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"nwbtms validate URL:      {wall_ours:7.2f} s (cpu {cpu_ours:6.2f} s)  {sent_ours / 1e6:8.2f} MB sent "
          f"({requests_ours} requests; "
          f"the validator counted {reported / 1e6:.2f} MB)  {len(report['findings'])} findings")
    if theirs.returncode != 0:
        print(f"NWB Inspector streaming failed: {theirs.stderr.strip()[-500:]}")
    else:
        count = theirs.stdout.split()[0]
        print(f"NWB Inspector (remfile): {wall_theirs:7.2f} s (cpu {cpu_theirs:6.2f} s)  "
              f"{sent_theirs / 1e6:8.2f} MB sent "
              f"({requests_theirs} requests)  {count} messages")
    share = sent_ours / size
    print(f"bytes sent / file size:  {100 * share:.2f} %  (target <= 5 %)")
    if theirs.returncode == 0:
        print(f"vs NWB Inspector's checks on the same URL: wall {wall_ours / wall_theirs:.2f}x, "
              f"cpu {cpu_ours / cpu_theirs:.2f}x "
              f"(nwbtms runs every step: schema, NWB Inspector's checks, DANDI gate, TMS semantics, "
              f"whole-array scans)")
    return 0 if share <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
