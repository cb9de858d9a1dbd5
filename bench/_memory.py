"""Peak resident memory of benchmark processes, measured per process image.

``ru_maxrss`` is not used: Linux carries the parent's high-water mark across ``exec``, so a small child of a
large parent reports the parent's peak. ``VmHWM`` in ``/proc/<pid>/status`` belongs to the process image alone.
"""

from __future__ import annotations

import subprocess
import time


def _vmhwm_kb(pid: int | str = "self") -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def self_peak_rss_mb() -> float:
    """Peak RSS of this process image, MB (MiB)."""
    return (_vmhwm_kb() or 0) / 1024


def run_with_peak_rss(command: list[str], *, poll_s: float = 0.02, **popen_options) -> tuple[int, float, float]:
    """Run ``command``; return (exit code, wall seconds, peak RSS in MiB) of the child's own image.

    VmHWM only grows, so the last value read before the child exits is its peak up to that moment.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(command, **popen_options)
    peak_kb = 0
    while proc.poll() is None:
        value = _vmhwm_kb(proc.pid)
        if value:
            peak_kb = max(peak_kb, value)
        time.sleep(poll_s)
    return proc.returncode, time.perf_counter() - started, peak_kb / 1024
