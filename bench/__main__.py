"""Run every ``bench/bench_*.py`` module's ``main()`` in turn: ``python -m bench [NAME ...]``.

With names (``protocols``, ``bench_detect``), only those run. Each benchmark runs with no
arguments (its defaults). Exit status 1 if any benchmark failed, after running the others.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def bench_modules() -> list[str]:
    """Names of the benchmark modules, sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_"))


def run(names: list[str]) -> int:
    """Run the named benchmarks (all when empty); return the number that failed."""
    wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in names}
    available = bench_modules()
    unknown = sorted(wanted - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return len(unknown)
    failed = 0
    for name in available:
        if wanted and name not in wanted:
            continue
        print(f"=== {name} ===", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            takes_argv = bool(inspect.signature(module.main).parameters)
            status = module.main([]) if takes_argv else module.main()
            if status not in (None, 0):
                failed += 1
                print(f"{name}: exit status {status}", file=sys.stderr)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed += 1
        except Exception:  # one broken benchmark must not stop the others
            failed += 1
            traceback.print_exc()
        print(f"=== {name}: {time.perf_counter() - start:.1f} s ===\n", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(1 if run(sys.argv[1:]) else 0)
