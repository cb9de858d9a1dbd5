"""A folder of small NWB files validated on a 2-worker local dask cluster vs a 1-worker one (target >= 1.7x).

Builds (once, reused) ``bench/_data/cluster_<files>/``: ``--files`` copies of the ndx-tms example file
(``ndx_tms.testing.mock_tms_nwbfile``), each with its own identifier, in DANDI layout. Starts a
``distributed.LocalCluster`` of one single-threaded worker process, validates the folder through its scheduler
address (``validate_paths(..., scheduler=...)``, what ``nwbtms validate DIR --scheduler`` does: one task per
file), then the same with two workers. Cluster start-up is outside the timings; each worker's first file pays
its imports, as on a real cluster. Also prints the in-process serial time (``--jobs 1``) for reference.

``--repeat N`` alternates the two N times and compares the best of each (load on a shared machine changes
between runs). With psutil, each run's CPU seconds are measured per process (this process: client and
scheduler; each worker) and a CPU-normalised speed-up is printed: the wall time the same CPU work needs on idle
cores (the busiest worker's CPU, or the total over the cores when longer), which the load of other processes
on a shared machine does not change. Needs the ``dask`` extra; without it the run says so and skips. Heavy on
a 2-core machine: ``--files 20`` while developing. Run from the repo root:
``python -m bench.bench_cluster [--files 200]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
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


@dataclass
class Run:
    """One timed validation of the folder: wall time, findings, and CPU seconds by process (psutil)."""

    wall: float
    findings: int
    #: CPU seconds of this process (client and scheduler) during the run, None without psutil
    main_cpu: float | None = None
    #: CPU seconds of each worker process during the run
    worker_cpu: list[float] = field(default_factory=list)

    @property
    def cpu(self) -> float | None:
        return None if self.main_cpu is None else self.main_cpu + sum(self.worker_cpu)

    def wall_on_quiet_cores(self, cores: int) -> float | None:
        """The wall time the same CPU work needs on ``cores`` otherwise idle cores: the busiest worker's CPU or
        the total CPU spread over the cores, whichever is longer (what a shared machine's load hides)."""
        if self.cpu is None:
            return None
        return max(max(self.worker_cpu, default=0.0), self.cpu / cores)


def _cpu_seconds(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _processes(psutil) -> dict[int, object]:
    me = psutil.Process()
    return {p.pid: p for p in (me, *me.children(recursive=True))}


def _on_cluster(folder: Path, workers: int, distributed) -> Run:
    """Validate ``folder`` through a fresh LocalCluster of ``workers`` single-threaded worker processes."""
    from nwbtms.validate import validate_paths

    psutil = importlib.import_module("psutil") if importlib.util.find_spec("psutil") else None
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        before = {}
        if psutil is not None:
            before = {pid: _cpu_seconds(p) for pid, p in _processes(psutil).items()}
        start = time.perf_counter()
        report = validate_paths([folder], scheduler=cluster.scheduler_address)
        run = Run(time.perf_counter() - start, len(report.findings))
        if psutil is not None:
            spent = {pid: _cpu_seconds(p) - before.get(pid, 0.0) for pid, p in _processes(psutil).items()}
            run.main_cpu = spent.pop(psutil.Process().pid)
            # the worker processes (the nannies run in this process); others idle during the run
            run.worker_cpu = sorted((cpu for cpu in spent.values() if cpu > 0.05), reverse=True)[:workers]
        return run


def _describe(label: str, run: Run, files: int) -> str:
    text = f"{label}: {run.wall:7.1f} s  ({run.findings} findings; load average {os.getloadavg()[0]:.1f})"
    if run.cpu is not None:
        text += (f"; CPU {run.cpu:.1f} s = {run.cpu / files * 1000:.0f} ms/file (client+scheduler "
                 f"{run.main_cpu:.1f} s, workers {' + '.join(f'{c:.1f}' for c in run.worker_cpu)} s); "
                 f"{run.cpu / run.wall:.2f} cores used")
    return text


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
        ones.append(_on_cluster(folder, 1, distributed))
        print(_describe("1 worker ", ones[-1], args.files), flush=True)
        twos.append(_on_cluster(folder, 2, distributed))
        print(_describe("2 workers", twos[-1], args.files), flush=True)
    best_one, best_two = min(ones, key=lambda r: r.wall), min(twos, key=lambda r: r.wall)
    one, two = best_one.wall, best_two.wall
    findings_one, findings_two = best_one.findings, best_two.findings
    if args.serial:
        from nwbtms.validate import validate_paths

        start = time.perf_counter()
        validate_paths([folder])
        print(f"serial in-process (--jobs 1): {time.perf_counter() - start:7.1f} s")
    speedup = one / two
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"2 workers / 1 worker speed-up: {speedup:.2f}x  (target >= 1.7)")
    cores = min(2, os.cpu_count() or 1)
    quiet_one = min(r.wall_on_quiet_cores(cores) or 0.0 for r in ones)
    quiet_two = min(r.wall_on_quiet_cores(cores) or 0.0 for r in twos)
    if quiet_one and quiet_two:
        # CPU-normalised: the same CPU seconds on otherwise idle cores (max of the busiest worker and the total
        # over the cores), so the load of other processes on a shared machine drops out
        overhead = min(r.cpu for r in twos) / min(r.cpu for r in ones)
        print(f"CPU-normalised speed-up on {cores} idle cores: {quiet_one / quiet_two:.2f}x  "
              f"({quiet_one:.1f} s vs {quiet_two:.1f} s of CPU-bound wall; CPU of 2 workers / 1 worker "
              f"{overhead:.2f}x)")
    else:
        print("CPU-normalised speed-up: skipped (psutil is not installed: pip install 'nwbtms[bench]')")
    same = findings_one == findings_two
    if not same:
        print("findings differ between the runs")
    return 0 if speedup >= 1.7 and same else 1


if __name__ == "__main__":
    sys.exit(main())
