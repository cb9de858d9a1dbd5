"""A folder of small NWB files validated on a 2-worker local dask cluster vs a 1-worker one (target >= 1.7x).

Builds (once, reused) ``bench/_data/cluster_<files>/``: ``--files`` copies of the ndx-tms example file
(``ndx_tms.testing.mock_tms_nwbfile``), each with its own identifier, in DANDI layout. Starts a
``distributed.LocalCluster`` of one single-threaded worker process, validates the folder through its scheduler
address (``validate_paths(..., scheduler=...)``, what ``nwbtms validate DIR --scheduler`` does: one task per
file), then the same with two workers. Cluster start-up is outside the timings; each worker's first file pays
its imports, as on a real cluster. Also prints the in-process serial time (``--jobs 1``) for reference.

``--repeat N`` alternates the two N times and compares the best of each (load on a shared machine changes
between runs). Needs the ``dask`` extra; without it the run says so and skips. Heavy on a 2-core machine: ``--files 20``
while developing. Run from the repo root: ``python -m bench.bench_cluster [--files 200]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "_data"


def make_folder(files: int) -> Path:
    """``files`` copies of the example file with their own identifiers (reused when complete)."""
    import h5py

    folder = DATA / f"cluster_{files}"
    if folder.is_dir() and len(list(folder.rglob("*.nwb"))) == files:
        return folder
    from ndx_tms.testing import mock_tms_nwbfile

    from nwbtms.io.nwb_write import write_nwbfile

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    template = DATA / "cluster_template.nwb"
    if not template.exists():
        write_nwbfile(mock_tms_nwbfile(), template)
    for i in range(files):
        target = folder / f"sub-M{i:04d}" / f"sub-M{i:04d}_ses-aitbs-day1.nwb"
        target.parent.mkdir()
        shutil.copyfile(template, target)
        with h5py.File(target, "r+") as h5:
            for name, value in (("identifier", f"bench-cluster-{i:04d}"),
                                ("general/subject/subject_id", f"M{i:04d}")):
                attrs = dict(h5[name].attrs)
                del h5[name]
                h5.create_dataset(name, data=value, dtype=h5py.string_dtype())
                h5[name].attrs.update(attrs)
    return folder


def _on_cluster(folder: Path, workers: int, distributed) -> tuple[float, int]:
    from nwbtms.validate import validate_paths

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        start = time.perf_counter()
        report = validate_paths([folder], scheduler=cluster.scheduler_address)
        return time.perf_counter() - start, len(report.findings)


def main(argv: list[str] | None = None) -> int:
    """Build the folder, validate it on 1 and 2 workers, print the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="small NWB files in the folder (default 200)")
    parser.add_argument("--serial", action="store_true", help="also time the in-process serial run")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate 1- and 2-worker runs this many times; the best of each is compared")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("distributed") is None:
        print("skipped: dask.distributed is not installed (pip install 'nwbtms[dask]')")
        return 0
    import distributed

    DATA.mkdir(parents=True, exist_ok=True)
    folder = make_folder(args.files)
    print(f"{args.files} files of {next(folder.rglob('*.nwb')).stat().st_size / 1e6:.1f} MB; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    ones, twos = [], []
    for _ in range(max(1, args.repeat)):  # alternated, so a change of machine load hits both
        one, findings_one = _on_cluster(folder, 1, distributed)
        print(f"1 worker:  {one:7.1f} s  ({findings_one} findings; load average {os.getloadavg()[0]:.1f})",
              flush=True)
        two, findings_two = _on_cluster(folder, 2, distributed)
        print(f"2 workers: {two:7.1f} s  ({findings_two} findings; load average {os.getloadavg()[0]:.1f})",
              flush=True)
        ones.append(one)
        twos.append(two)
    one, two = min(ones), min(twos)
    if args.serial:
        from nwbtms.validate import validate_paths

        start = time.perf_counter()
        validate_paths([folder])
        print(f"serial in-process (--jobs 1): {time.perf_counter() - start:7.1f} s")
    speedup = one / two
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"2 workers / 1 worker speed-up: {speedup:.2f}x  (target >= 1.7)")
    same = findings_one == findings_two
    if not same:
        print("findings differ between the runs")
    return 0 if speedup >= 1.7 and same else 1


if __name__ == "__main__":
    sys.exit(main())
