"""Registry and turnover over 50 sessions x 500 spines, against reading the same columns with plain h5py.

Writes a study (default 5 subjects x 10 sessions, 10 dendrites x 50 spines per session, about 8% of the
spines replaced between sessions) with :mod:`nwbtms.spines.testing`, then times

- ``nwbtms``: :func:`nwbtms.spines.read_registry` + :func:`nwbtms.spines.compute_turnover` (finds every
  PlaneSegmentation with ``roi_key``, resolves parents and cell types, computes every row and the summary);
- ``h5py``: opening each file and reading ``roi_key``, ``roi_kind`` and ``parent_roi`` of the one known
  table path, nothing else (the floor of any reader);

and prints both, their ratio and the Python heap peak of the nwbtms step (tracemalloc, a separate run).
No assertion: the numbers are for reading.

Run: ``python -m bench.bench_spines [--subjects 5 --sessions 10 --dendrites 10 --spines 50]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import tracemalloc
from pathlib import Path

import h5py
import numpy as np

TABLE = "processing/ophys/ImageSegmentation/PlaneSegmentation_stack"


def write(root: Path, subjects: int, sessions: int, dendrites: int, spines: int) -> list[Path]:
    from nwbtms.spines.testing import DendriteDay, SessionSpec, write_study

    rng = np.random.default_rng(0)
    specs = []
    t0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    for s in range(subjects):
        cell_type = "IT" if s % 2 == 0 else "PT"
        current = {d: [f"m{s}d{d}s{i}" for i in range(spines)] for d in range(dendrites)}
        counter = spines
        for day in range(sessions):
            if day:
                for d in range(dendrites):
                    keep = [k for k in current[d] if rng.random() > 0.08]
                    new = [f"m{s}d{d}s{counter + i}" for i in range(spines - len(keep))]
                    counter += len(new)
                    current[d] = keep + new
            specs.append(SessionSpec(
                f"M{s}", f"day{2 * day}", t0 + dt.timedelta(days=2 * day),
                [DendriteDay(f"m{s}n:d{d}", cell_type, 40.0, list(current[d]), soma=f"m{s}n")
                 for d in range(dendrites)]))
    return write_study(root, specs)


def nwbtms_read(root: Path):
    from nwbtms.spines import compute_turnover, read_registry

    return compute_turnover(read_registry(root))


def h5py_read(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with h5py.File(path, "r") as h5:
            table = h5[TABLE]
            keys = table["roi_key"].asstr()[:]
            kinds = table["roi_kind"].asstr()[:]
            parents = table["parent_roi"][:]
            total += len(keys) + len(kinds) + len(parents)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--dendrites", type=int, default=10)
    parser.add_argument("--spines", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        paths = write(root, args.subjects, args.sessions, args.dendrites, args.spines)
        print(f"wrote {len(paths)} sessions x {args.dendrites * args.spines} spines in "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        h5py_read(paths)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        result = nwbtms_read(root)
        ours = time.perf_counter() - started
        tracemalloc.start()  # a second run for the heap peak (tracemalloc slows Python down)
        nwbtms_read(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"h5py (3 columns of a known table): {baseline:.3f} s")
        print(f"nwbtms registry + turnover:         {ours:.3f} s ({len(result.rows)} rows, "
              f"{len(result.summary)} summary rows), Python heap peak {peak / 1e6:.1f} MB")
        print(f"ratio nwbtms / h5py: {ours / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
