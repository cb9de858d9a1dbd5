"""``nwbtms validate`` against ``nwbinspector --config dandi`` on the same files, in the same run.

Three files, generated into ``bench/_data/`` (gitignored) and reused when present:

1. 2,000 small TimeSeries: CPU time <= 0.35x and wall time <= 0.3x NWB Inspector's, peak RSS <= its;
2. 1 GB of float64 timestamps in one TimeSeries: peak RSS (target <= 300 MB while every timestamp is checked);
3. a 90,000-pulse TMS file (one SNT/SAINT course, Cole et al. 2020): wall time and peak RSS.

Each tool runs as its own process (wall time, CPU time and peak RSS from ``os.wait4``). nwbtms runs its full
default profile (``tms``: every step, every element); NWB Inspector runs its dandi configuration. On a machine
shared with other work the CPU-time ratio is the steadier of the two (both tools use one core).

nwbtms validates the schema in a forked child beside object construction when a second core is free, so
its wall time is below its CPU time; the CPU-time ratio shows the work itself.

After the table, where nwbtms's CPU time goes on the many-series file: one more run in a fresh process with
schema validation inline, each component's process time measured around the function that does it
(imports, opening and the cached namespaces, reading the builders, schema validation with its cached specs,
object construction, each step's checks, the rest); ``--components-only`` prints just that.

Run: ``python -m bench.bench_validate [--series 2000] [--timestamps-gb 1.0] [--pulses 90000]
[--only series|timestamps|pulses ...] [--repeat N] [--components-only]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from bench._memory import run_with_peak_rss

DATA = Path(__file__).resolve().parent / "_data"
BIN = Path(sys.executable).parent


def _base_nwbfile(identifier: str):
    from pynwb import NWBFile
    from pynwb.file import Subject

    nwbfile = NWBFile(session_description="nwbtms validate benchmark", identifier=identifier,
                      session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), session_id="bench")
    nwbfile.subject = Subject(subject_id="M001", species="Mus musculus", sex="M", age="P84D")
    return nwbfile


def make_many_series(path: Path, n_series: int) -> Path:
    """``n_series`` TimeSeries of 100 float32 samples each."""
    if path.exists():
        return path
    from pynwb import TimeSeries

    from nwbtms.io.nwb_write import write_nwbfile

    nwbfile = _base_nwbfile(f"bench-series-{n_series}")
    data = np.arange(100, dtype=np.float32)
    for i in range(n_series):
        nwbfile.add_acquisition(TimeSeries(name=f"series_{i:05d}", data=data, unit="V", rate=100.0,
                                           description="small series"))
    write_nwbfile(nwbfile, path)
    return path


def make_big_timestamps(path: Path, gigabytes: float) -> Path:
    """One TimeSeries whose float64 timestamps take ``gigabytes`` GB, written in slices with h5py."""
    if path.exists():
        return path
    from pynwb import TimeSeries

    from nwbtms.io.nwb_write import write_nwbfile

    n = int(gigabytes * 1e9 / 8)
    nwbfile = _base_nwbfile(f"bench-timestamps-{n}")
    nwbfile.add_acquisition(TimeSeries(name="long", data=np.zeros(2, dtype=np.uint8), unit="V",
                                       timestamps=[0.0, 1.0], description="1 GB of timestamps"))
    tmp = path.with_name(path.stem + ".tmp.nwb")
    tmp.unlink(missing_ok=True)
    write_nwbfile(nwbfile, tmp)
    rng = np.random.default_rng(0)
    with h5py.File(tmp, "r+") as h5:
        group = h5["acquisition/long"]
        for name, dtype, kwargs in (("timestamps", np.float64, {}),
                                    ("data", np.uint8, {"compression": "gzip"})):
            attrs = dict(group[name].attrs)
            del group[name]
            ds = group.create_dataset(name, shape=(n,), dtype=dtype, chunks=(1 << 20,), **kwargs)
            ds.attrs.update(attrs)
        step = 1 << 22
        last = 0.0
        for start in range(0, n, step):
            stop = min(n, start + step)
            times = last + np.cumsum(rng.uniform(0.9e-3, 1.1e-3, stop - start))  # irregular, ascending
            group["timestamps"][start:stop] = times
            last = float(times[-1])
    tmp.rename(path)
    return path


def make_pulses_file(path: Path, n_pulses: int) -> Path:
    """A complete TMS file whose pulses table holds ``n_pulses`` pulses (iTBS-600 sessions)."""
    if path.exists():
        return path
    from ndx_tms.testing import add_mock_tms_devices, mock_tms_tables

    from nwbtms.io.nwb_write import write_nwbfile

    nwbfile = _base_nwbfile(f"bench-pulses-{n_pulses}")
    coil = add_mock_tms_devices(nwbfile)
    mock_tms_tables(coil=coil, sessions=max(1, n_pulses // 600), nwbfile=nwbfile)
    write_nwbfile(nwbfile, path)
    return path


def run(command: list[str]) -> tuple[float, float, int, float]:
    """Wall time (s), peak RSS (MB), exit code and CPU time (s, user + system) of ``command`` as a child.

    Peak RSS is the child's own VmHWM (``bench._memory``): ru_maxrss would include this process's peak.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    code, wall, peak_mb = run_with_peak_rss(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak_mb, code, cpu


def compare(label: str, path: Path) -> dict:
    """Run both tools on ``path`` and print one line."""
    ours = run([str(BIN / "nwbtms"), "--quiet", "validate", str(path), "--format", "json"])
    theirs = run([str(BIN / "nwbinspector"), "--config", "dandi", str(path)])
    ratio = ours[0] / theirs[0] if theirs[0] else float("nan")
    cpu_ratio = ours[3] / theirs[3] if theirs[3] else float("nan")
    print(f"{label:<34} nwbtms {ours[0]:7.1f} s (cpu {ours[3]:6.1f} s) {ours[1]:6.0f} MB (exit {ours[2]}) | "
          f"nwbinspector {theirs[0]:7.1f} s (cpu {theirs[3]:6.1f} s) {theirs[1]:6.0f} MB | "
          f"time ratio {ratio:.2f}x, cpu ratio {cpu_ratio:.2f}x", flush=True)
    return {"label": label, "ours": ours, "theirs": theirs, "ratio": ratio, "cpu_ratio": cpu_ratio}


#: Component of nwbtms validate -> (module, attribute path) of the function whose process time it is.
_COMPONENTS = {
    "open the file, load its cached namespaces": ("nwbtms.validate.builders", "ValidatorIO.__init__"),
    "read the hdmf builders": ("nwbtms.validate.builders", "ValidatorIO.read_builder"),
    "index the builders (typed objects, links)": ("nwbtms.validate.runner", "index_builders"),
    "schema: load the cached specs for validation": ("nwbtms.validate.checks.schema", "cached_validators"),
    "schema: validate the builders (hdmf validator)": ("nwbtms.validate.checks.schema", "validate_against_cached"),
    "build the pynwb objects": ("nwbtms.validate.checks.schema", "build_objects"),
    "index the objects by type": ("nwbtms.validate.runner", "_objects_by_type"),
}


def components(path: Path) -> list[tuple[str, float]]:
    """Process time (s) of each component of ``nwbtms validate`` on ``path``, in this process (call it in a
    fresh interpreter: imports are one component). Schema validation runs inline (no forked child)."""
    import functools
    import importlib
    import time

    clock = time.process_time
    started = clock()
    from nwbtms.validate import registry, runner  # noqa: F401  (imports: pynwb, hdmf, h5py, the checks)
    from nwbtms.validate.checks import inspector  # noqa: F401  (imports nwbinspector when it runs)

    registry.load_checks()
    import nwbinspector  # noqa: F401

    spent: dict[str, float] = {"interpreter and imports (pynwb, hdmf, h5py, nwbinspector, the checks)": 0.0}

    def timed(label, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            begun = clock()
            try:
                result = function(*args, **kwargs)
                return list(result) if label == "build the pynwb objects" else result
            finally:
                spent[label] = spent.get(label, 0.0) + clock() - begun
        return wrapper

    for label, (module_name, attribute) in _COMPONENTS.items():
        owner = importlib.import_module(module_name)
        *holders, name = attribute.split(".")
        for holder in holders:
            owner = getattr(owner, holder)
        setattr(owner, name, timed(label, getattr(owner, name)))
    step_names = {4: "step 4: NWB Inspector checks on the objects", 6: "step 6: TMS checks",
                  7: "step 7: whole-array data checks"}
    run_check = registry.RegisteredCheck.run

    def run_timed(self, obj, **kwargs):
        label = step_names.get(self.step, "steps 2, 5, 8: namespaces, DANDI gate, completeness")
        begun = clock()
        try:
            return iter(list(run_check(self, obj, **kwargs)))
        finally:
            spent[label] = spent.get(label, 0.0) + clock() - begun

    registry.RegisteredCheck.run = run_timed
    imported = clock()
    spent["interpreter and imports (pynwb, hdmf, h5py, nwbinspector, the checks)"] = imported - started
    runner.validate_file(str(path), runner.RunOptions(concurrent_schema=False))
    total = clock() - started
    spent["the rest (runner, findings, h5py opens, garbage collection)"] = total - sum(spent.values())
    return sorted(spent.items(), key=lambda item: -item[1])


def print_components(path: Path) -> None:
    """Run :func:`components` in a fresh interpreter and print the table (top components first)."""
    import json

    code = ("import json, resource, sys; from pathlib import Path; from bench.bench_validate import components; "
            "parts = components(Path(sys.argv[1])); "
            "usage = resource.getrusage(resource.RUSAGE_SELF); "
            "print(json.dumps({'parts': parts, 'cpu': usage.ru_utime + usage.ru_stime}))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        print(f"where the time goes: profiling run failed: {done.stderr.strip().splitlines()[-1:]}")
        return
    result = json.loads(done.stdout.strip().splitlines()[-1])
    parts, cpu = result["parts"], result["cpu"]
    measured = sum(seconds for _, seconds in parts)
    # the interpreter's own start-up (before the first line ran) belongs to imports
    parts = [(label, seconds + (cpu - measured if label.startswith("interpreter") else 0.0))
             for label, seconds in parts]
    print(f"where nwbtms's CPU time goes on {path.name} (one in-process run, schema validation inline; "
          f"{cpu:.2f} s CPU in all):")
    for label, seconds in parts:
        print(f"  {seconds:6.2f} s {100 * seconds / cpu:5.1f}%  {label}")


def main(argv: list[str] | None = None) -> int:
    """Generate the files (if needed), run both tools on each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2000, help="TimeSeries in the many-series file.")
    parser.add_argument("--timestamps-gb", type=float, default=1.0, help="Size of the timestamps dataset, GB.")
    parser.add_argument("--pulses", type=int, default=90_000, help="Pulses in the TMS file.")
    parser.add_argument("--only", choices=["series", "timestamps", "pulses"], action="append", default=None,
                        help="Run only this file (repeatable); default all three.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each comparison (ratios per run).")
    parser.add_argument("--components-only", action="store_true",
                        help="Print only where nwbtms's CPU time goes on the many-series file.")
    args = parser.parse_args(argv)
    if args.components_only:
        DATA.mkdir(parents=True, exist_ok=True)
        print_components(make_many_series(DATA / f"series_{args.series}.nwb", args.series))
        return 0
    wanted = set(args.only or ["series", "timestamps", "pulses"])
    DATA.mkdir(parents=True, exist_ok=True)
    print("generating files (reused when present) ...", flush=True)
    files = []
    if "series" in wanted:
        files.append(("series", f"{args.series} small TimeSeries",
                      make_many_series(DATA / f"series_{args.series}.nwb", args.series)))
    if "timestamps" in wanted:
        files.append(("timestamps", f"{args.timestamps_gb:g} GB float64 timestamps",
                      make_big_timestamps(DATA / f"timestamps_{args.timestamps_gb:g}gb.nwb", args.timestamps_gb)))
    if "pulses" in wanted:
        files.append(("pulses", f"{args.pulses} TMS pulses",
                      make_pulses_file(DATA / f"pulses_{args.pulses}.nwb", args.pulses)))
    results: dict[str, list[dict]] = {}
    for _ in range(max(1, args.repeat)):
        for key, label, path in files:
            results.setdefault(key, []).append(compare(label, path))
    met = True
    targets = []
    if "series" in results:  # every run must meet it, not the best one
        runs = results["series"]
        met &= max(r["cpu_ratio"] for r in runs) <= 0.35 and max(r["ratio"] for r in runs) <= 0.3
        met &= all(r["ours"][1] <= r["theirs"][1] for r in runs)
        targets.append("many-series cpu ratio <= 0.35x, wall ratio <= 0.3x, peak RSS <= NWB Inspector's")
    if "timestamps" in results:
        met &= max(r["ours"][1] for r in results["timestamps"]) <= 300
        targets.append("timestamps peak RSS <= 300 MB")
    if "series" in results:
        print_components(next(path for key, _, path in files if key == "series"))
    print(f"targets: {'; '.join(targets) or 'none run'}: " + ("TARGETS MET" if met else "TARGETS MISSED"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
