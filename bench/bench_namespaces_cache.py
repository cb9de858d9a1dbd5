"""CPU time of ``nwbtms validate`` on a folder with the per-process type-map cache and without it, same run.

Without it every file's cached namespaces are parsed again (``namespaces_cache.MAX_ENTRIES = 0``), as
``NWBHDF5IO(load_namespaces=True)`` does. CPU time (the validator's process and its workers, from
``resource.getrusage``) is the steady measure on a shared machine.

Run: ``python -m bench.bench_namespaces_cache FOLDER [--repeat N]``, e.g. on the ``dandiset`` folder written by
``python -m examples.aitbs_mouse.demo --out /tmp/demo``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

_RUN = """
import sys
from nwbtms.validate import namespaces_cache
namespaces_cache.MAX_ENTRIES = int(sys.argv[1])
from nwbtms.cli import main
sys.argv = ["nwbtms", "validate", sys.argv[2], "-o", sys.argv[3], "--overwrite"]
main()
"""


def _cpu(folder: Path, entries: int, out: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", _RUN, str(entries), str(folder), str(out)], check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {}
        for entries, label in ((0, "uncached"), (8, "cached")):
            times = [_cpu(args.folder, entries, Path(tmp) / f"{label}.txt") for _ in range(args.repeat)]
            outputs[label] = (Path(tmp) / f"{label}.txt").read_text()
            print(f"{label:>9}: {min(times):7.1f} s CPU (best of {args.repeat})")
            if label == "uncached":
                base = min(times)
        print(f"cached / uncached CPU: {min(times) / base:.2f}")
        print("same findings:", outputs["cached"] == outputs["uncached"])


if __name__ == "__main__":
    main()
