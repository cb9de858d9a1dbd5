"""Convert many sessions in parallel on dask.distributed, resumably, with a JSON ledger per session.

``run_batch(session_files, out_dir)`` starts a :class:`distributed.LocalCluster` sized to the machine
(one single-threaded worker process per core, at most one per session, each with an equal share of 80 %
of the memory) or connects to ``scheduler`` (an existing cluster's address). Each session is one task:

- outputs go to ``out_dir`` in DANDI layout (``sub-<id>/sub-<id>_ses-<id>.nwb``);
- a ledger ``out_dir/ledger/<metadata stem>-<hash of its path>.json`` records the inputs (paths, sizes,
  mtimes), the output and its SHA-256, MB/s, peak memory (RSS sampled with psutil in the worker),
  the findings and the status;
- a session whose output is *valid* is skipped unless ``force``: the ledger's checksum matches the file
  and the validator's fast checks pass. An output that exists but does not match its ledger is never
  replaced without ``force``;
- a failure is recorded in its ledger and does not stop the others.

dask is an optional extra (``pip install nwbtms[dask]``) imported only here, when a batch runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbtms.assembly.assemble import COUNT_FIELDS, SessionCounts
from nwbtms.errors import ConfigError, InputError, NwbtmsError
from nwbtms.io.atomic import make_folder

LEDGER_VERSION = 1
#: Share of the machine's memory given to the LocalCluster's workers together.
MEMORY_FRACTION = 0.8
#: Interval of the worker's RSS sampler, s.
MEMORY_SAMPLE_INTERVAL_S = 0.05


@dataclass
class SessionOutcome(SessionCounts):
    """One session of a batch (mirrors its ledger)."""

    metadata: str
    status: str  # converted | skipped | findings | failed
    output: str | None = None
    ledger: str | None = None
    message: str = ""
    mb_per_s: float = 0.0
    peak_memory_mb: float = 0.0
    elapsed_s: float = 0.0
    findings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("converted", "skipped")


@dataclass
class BatchResult:
    """All sessions of a batch."""

    outcomes: list[SessionOutcome]
    elapsed_s: float

    @property
    def exit_code(self) -> int:
        """0 when every session was converted or skipped, else 1."""
        return 0 if all(o.ok for o in self.outcomes) else 1

    def labels(self) -> list[str]:
        """Each session's metadata file relative to their common folder (``a/session.yaml``), to tell apart
        sessions whose files share a name."""
        paths = [Path(o.metadata) for o in self.outcomes]
        if len(paths) < 2:
            return [p.name for p in paths]
        common = Path(os.path.commonpath([p.parent for p in paths]))
        return [p.relative_to(common).as_posix() for p in paths]

    def table(self) -> str:
        """The summary table printed at the end of a batch."""
        header = ("session", "status", "pulses", "sessions", "frames", "ROIs", "MB/s", "peak MB", "findings")
        rows = [header]
        labels = self.labels()
        for label, o in zip(labels, self.outcomes, strict=True):
            rows.append((label, o.status, str(o.num_pulses), str(o.num_sessions),
                         str(o.num_frames), str(o.num_rois), f"{o.mb_per_s:.1f}", f"{o.peak_memory_mb:.0f}",
                         str(len(o.findings))))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for label, o in zip(labels, self.outcomes, strict=True):
            if o.ok:
                continue
            why = o.message.splitlines() if o.message else []
            if o.status == "findings":  # name what blocks (the ledger has every finding)
                why = why[:1] + [f"- {f.get('check_id', '?')} {f.get('location') or ''}: {f.get('message', '')}"
                                 .replace("  :", ":") for f in o.findings if _blocking(f)]
            if why:  # every problem of the session, not only its count
                shown = why[:MAX_PROBLEM_LINES] + ([f"  ... {len(why) - MAX_PROBLEM_LINES} more line(s) in "
                                                    f"{o.ledger}"] if len(why) > MAX_PROBLEM_LINES else [])
                lines.append(f"{label}: {shown[0]}")
                lines += [f"  {line}" for line in shown[1:]]
        counts = {s: sum(o.status == s for o in self.outcomes) for s in ("converted", "skipped", "findings", "failed")}
        total = sum(len(o.findings) for o in self.outcomes)
        names = {"findings": "with blocking findings"}  # sessions, not findings (the column counts findings)
        lines.append(", ".join(f"{n} {names.get(s, s)}" for s, n in counts.items()) + f" in {self.elapsed_s:.1f} s; "
                     f"{total} finding(s) in all")
        return "\n".join(lines)


def _blocking(finding: dict) -> bool:
    """Whether a ledger finding blocks at the default threshold (``dandi validate``'s)."""
    from nwbtms.validate.findings import DEFAULT_FAIL_ON, Severity

    try:
        return Severity[finding.get("severity", "")] >= DEFAULT_FAIL_ON
    except KeyError:
        return False


#: Lines of one session's problems printed in the batch table (the ledger has all of them).
MAX_PROBLEM_LINES = 30


def ledger_path(out_dir: Path, metadata: Path) -> Path:
    """``out_dir/ledger/<stem>-<8 hex of the absolute path>.json`` (stem sanitised)."""
    digest = hashlib.sha1(str(metadata.resolve()).encode()).hexdigest()[:8]  # noqa: S324 - a name, not security
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", metadata.stem).strip("-") or "session"
    return out_dir / "ledger" / f"{stem}-{digest}.json"


def sha256_of(path: Path, block_bytes: int = 1 << 22) -> str:
    """SHA-256 of a file, read in 4 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(block_bytes):
            digest.update(block)
    return digest.hexdigest()


class _PeakMemory:
    """Samples this process's RSS in a thread (psutil); ``peak_mb`` after ``stop``."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        try:
            import psutil

            self._process = psutil.Process()
        except ImportError:  # psutil is a test/bench extra; the ledger then records 0
            self._process = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)
            self._stop.wait(MEMORY_SAMPLE_INTERVAL_S)

    def __enter__(self) -> _PeakMemory:
        if self._process is not None:
            self.peak_bytes = self._process.memory_info().rss
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._process is not None:
            self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 1e6


def _inputs(session) -> list[dict]:
    files = []
    for key, source in session.sources.items():
        paths = sorted(p for p in source.path.rglob("*") if p.is_file()) if source.path.is_dir() else [source.path]
        for path in paths:
            if path.exists():
                stat = path.stat()
                files.append({"source": key, "path": str(path), "size_bytes": stat.st_size,
                              "mtime": stat.st_mtime})
    return files


def _finding_dicts(findings) -> list[dict]:
    out = []
    for finding in findings:
        to_dict = getattr(finding, "to_dict", None)
        out.append(to_dict() if callable(to_dict) else {"message": str(finding)})
    return out


def _valid_output(ledger: dict, output: Path) -> tuple[bool, str]:
    """Whether ``output`` is the valid file ``ledger`` describes (checksum, then fast validation)."""
    if ledger.get("status") not in ("converted", "skipped") or not output.is_file():
        return False, "no successful conversion recorded"
    if sha256_of(output) != ledger.get("output_sha256"):
        return False, "output checksum differs from the ledger"
    from nwbtms.validate import validate_paths

    report = validate_paths([output], fast=True)
    if report.exit_code:
        return False, "output has blocking findings"
    return True, ""


def convert_one(metadata: str, out_dir: str, force: bool = False) -> dict:
    """Convert (or skip) one session and write its ledger; never raises (a dask task)."""
    from nwbtms.assembly.convert import convert_session
    from nwbtms.dandi_layout import dandi_path
    from nwbtms.io.atomic import atomic_write_text
    from nwbtms.metadata import load_session

    metadata_path, out = Path(metadata), Path(out_dir)
    ledger_file = ledger_path(out, metadata_path)
    ledger_file.parent.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {"ledger_version": LEDGER_VERSION, "metadata": str(metadata_path.resolve()),
                             "status": "failed", "started": time.time()}
    previous = {}
    if ledger_file.is_file():
        try:
            previous = json.loads(ledger_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
    started = time.perf_counter()
    try:
        with _PeakMemory() as memory:
            session = load_session(metadata_path)
            output = dandi_path(out, session.subject_id, session.session_id)
            entry["output"] = str(output)
            entry["inputs"] = _inputs(session)
            overwrite = force
            if output.exists() and not force:
                valid, why = _valid_output(previous, output)
                if valid:
                    entry.update({k: previous.get(k) for k in ("output_sha256", *COUNT_FIELDS, "findings")})
                    entry.update(status="skipped", message="valid output exists (checksum and fast checks)")
                else:
                    raise InputError(f"output exists and is not a valid result of this batch ({why}); "
                                     "it was left untouched", file=output, hint="pass --force to reconvert")
            else:
                result = convert_session(metadata_path, dandi_layout=out, overwrite=overwrite, quiet=True)
                entry.update(
                    status="findings" if result.exit_code else "converted",
                    output_sha256=sha256_of(result.output), output_bytes=result.output_bytes,
                    input_bytes=result.input_bytes, **result.counts(), findings=_finding_dicts(result.findings),
                    mb_per_s=round(result.throughput_mb_per_s, 3), notes=result.notes,
                    message="blocking findings" if result.exit_code else "",
                )
        entry["peak_memory_mb"] = round(memory.peak_mb, 1)
    except NwbtmsError as exc:
        entry.update(status="failed", message=str(exc), error_type=type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - one session's failure must not stop the batch
        entry.update(status="failed", message=f"{type(exc).__name__}: {exc}", error_type=type(exc).__name__)
    entry["elapsed_s"] = round(time.perf_counter() - started, 3)
    entry["ledger"] = str(ledger_file)
    try:
        atomic_write_text(ledger_file, json.dumps(entry, indent=2, default=str) + "\n", overwrite=True)
    except OSError as exc:
        entry["message"] = (entry.get("message", "") + f"; ledger not written: {exc}").strip("; ")
    return entry


def _outcome(entry: dict) -> SessionOutcome:
    return SessionOutcome(
        metadata=entry.get("metadata", "?"), status=entry.get("status", "failed"), output=entry.get("output"),
        ledger=entry.get("ledger"), message=entry.get("message", ""),
        **{name: entry.get(name) or 0 for name in COUNT_FIELDS}, mb_per_s=entry.get("mb_per_s") or 0.0,
        peak_memory_mb=entry.get("peak_memory_mb") or 0.0, elapsed_s=entry.get("elapsed_s") or 0.0,
        findings=entry.get("findings") or [],
    )


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError("nwbtms batch needs dask.distributed, which is not installed",
                          hint="pip install 'nwbtms[dask]'") from exc
    return distributed


def cluster_size(num_sessions: int, workers: int | None = None) -> tuple[int, int]:
    """(worker processes, memory limit per worker in bytes) for a LocalCluster on this machine."""
    cores = os.cpu_count() or 1
    count = max(1, min(workers or cores, num_sessions))
    try:
        import psutil

        total = psutil.virtual_memory().total
    except ImportError:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return count, int(total * MEMORY_FRACTION / count)


def run_batch(
    session_files: list[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
) -> BatchResult:
    """Convert every session file on dask.distributed (see the module docstring).

    Parameters
    ----------
    session_files : list of path
        Session metadata files.
    out_dir : path
        Output folder (DANDI layout) and ``ledger/``; created when missing.
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``); default a LocalCluster.
    workers : int, optional
        Worker processes of the LocalCluster (default: one per core, at most one per session).
    force : bool
        Reconvert sessions whose valid output exists.
    """
    if not session_files:
        raise InputError("no session files given", hint="nwbtms batch s1.yaml s2.yaml --out DIR")
    files = [Path(f) for f in session_files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise InputError(f"session file(s) not found: {', '.join(missing)}")
    out = Path(out_dir)
    make_folder(out)
    distributed = _import_distributed()
    started = time.perf_counter()
    cluster = None
    if scheduler:
        client = distributed.Client(scheduler)
    else:
        count, memory_limit = cluster_size(len(files), workers)
        # dashboard on a free port: the scheduler's HTTP server binds one anyway, and 8787 may be taken
        cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                           memory_limit=memory_limit, dashboard_address=":0")
        client = distributed.Client(cluster)
    try:
        futures = {client.submit(convert_one, str(f.resolve()), str(out.resolve()), force, pure=False): f
                   for f in files}
        entries = {}
        for future in distributed.as_completed(futures):
            path = futures[future]
            try:
                entries[path] = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker died; record and go on
                entries[path] = {"metadata": str(path.resolve()), "status": "failed",
                                 "message": f"worker failed: {type(exc).__name__}: {exc}"}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    outcomes = [_outcome(entries[f]) for f in files]
    return BatchResult(outcomes=outcomes, elapsed_s=time.perf_counter() - started)
