"""One task per file: in this process, on a local cluster, or on a dask scheduler; results as they finish.

:func:`map_files` runs ``fn(item)`` for every item (a file path or URL) and yields a :class:`Done` per item in
the order the tasks finish, so a caller can print each file's outcome while the others still run:

- ``scheduler="tcp://host:8786"``: tasks go to that dask.distributed scheduler (extra ``nwbtms[dask]``);
- ``jobs > 1``: a local cluster of ``jobs`` single-threaded worker processes (dask.distributed's
  ``LocalCluster`` when installed, else :class:`concurrent.futures.ProcessPoolExecutor`);
- otherwise one item after the other in this process.

Resuming: with a :class:`FileLedger`, each finished item's encoded result is kept as one JSON file in the
ledger folder (written atomically), keyed by the item's absolute path, its size and modification time, and a
caller-given key of the options (tool version, profile, configuration...). An item whose entry still matches
is not run again: its stored result is yielded with ``resumed=True``. Remote items (URLs) are never resumed.

``fn``, ``encode`` and ``decode`` must be picklable (module-level functions or ``functools.partial`` of them).
Failures of one item (an exception in ``fn`` or a lost worker) are yielded as that item's ``error`` and never
stop the others. Used by ``nwbtms validate`` and ``nwbtms spines`` (:func:`nwbtms.spines.read.read_sessions`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nwbtms.errors import ConfigError

LEDGER_VERSION = 1
#: Items that look like URLs are read remotely and have no local fingerprint.
URL_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass
class Done:
    """One finished item.

    Attributes
    ----------
    item : str
        The item as given.
    result : Any
        What ``fn`` returned (decoded from the ledger when ``resumed``); None after an error.
    error : str, optional
        ``Type: message`` when ``fn`` raised or the worker was lost.
    resumed : bool
        Taken from the ledger without running ``fn``.
    """

    item: str
    result: Any = None
    error: str | None = None
    resumed: bool = False


@dataclass(frozen=True)
class FileLedger:
    """A folder of one JSON entry per item, to resume an interrupted run.

    Attributes
    ----------
    folder : Path
        Created when missing.
    key : str
        Fingerprint of everything besides the file that decides the result (tool version, options); an entry
        written under another key is stale.
    """

    folder: Path
    key: str

    def entry_path(self, item: str) -> Path:
        """``folder/<stem>-<12 hex of the absolute path>.json`` (stem sanitised)."""
        absolute = str(Path(item).resolve())
        digest = hashlib.sha1(absolute.encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(item).stem).strip("-") or "file"
        return self.folder / f"{stem}-{digest}.json"

    @staticmethod
    def fingerprint(item: str) -> dict | None:
        """Absolute path, size and modification time (ns) of a local file; None for URLs or missing files."""
        if URL_PATTERN.match(item):
            return None
        try:
            stat = os.stat(item)
        except OSError:
            return None
        return {"path": str(Path(item).resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def load(self, item: str) -> Any | None:
        """The stored encoded result when the entry matches the file and the key, else None."""
        fingerprint = self.fingerprint(item)
        if fingerprint is None:
            return None
        try:
            entry = json.loads(self.entry_path(item).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (entry.get("ledger_version") != LEDGER_VERSION or entry.get("key") != self.key
                or entry.get("file") != fingerprint):
            return None
        return entry.get("result")

    def store(self, item: str, encoded: Any) -> None:
        """Keep ``encoded`` (JSON-ready) for ``item`` (atomically; nothing for URLs)."""
        fingerprint = self.fingerprint(item)
        if fingerprint is None:
            return
        from nwbtms.io.atomic import atomic_write_text

        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {"ledger_version": LEDGER_VERSION, "key": self.key, "file": fingerprint,
                 "finished": time.time(), "result": encoded}
        atomic_write_text(self.entry_path(item), json.dumps(entry, default=str) + "\n", overwrite=True)


def _import_distributed(required: bool):
    try:
        import distributed
    except ImportError as exc:
        if required:
            raise ConfigError("a dask scheduler needs dask.distributed, which is not installed",
                              hint="pip install 'nwbtms[dask]'") from exc
        return None
    return distributed


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_serial(fn: Callable[[str], Any], items: list[str]) -> Iterator[Done]:
    for item in items:
        try:
            yield Done(item, fn(item))
        except Exception as exc:  # noqa: BLE001 - one item's failure must not stop the others
            yield Done(item, error=_error(exc))


def _run_pool(fn: Callable[[str], Any], items: list[str], jobs: int) -> Iterator[Done]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(fn, item): item for item in items}
        for future in as_completed(futures):
            try:
                yield Done(futures[future], future.result())
            except Exception as exc:  # noqa: BLE001 - a failed task or a lost worker
                yield Done(futures[future], error=_error(exc))


def _run_dask(fn: Callable[[str], Any], items: list[str], *, scheduler: str | None, jobs: int,
              distributed) -> Iterator[Done]:
    cluster = None
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the dask scheduler at {scheduler}: {exc}",
                              hint="start it (dask scheduler) or check the address") from None
    else:
        # a free port for the dashboard: the scheduler's HTTP server binds one anyway, and 8787 may be taken
        import logging

        cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.ERROR)
        client = distributed.Client(cluster)
    try:
        futures = {client.submit(fn, item, pure=False): item for item in items}
        for future in distributed.as_completed(futures):
            try:
                yield Done(futures[future], future.result())
            except Exception as exc:  # noqa: BLE001 - a failed task or a lost worker
                yield Done(futures[future], error=_error(exc))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_files(
    fn: Callable[[str], Any],
    items: Iterable[str | os.PathLike],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    ledger: FileLedger | None = None,
    encode: Callable[[Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
    use_dask: bool | None = None,
) -> Iterator[Done]:
    """Run ``fn(item)`` once per item and yield a :class:`Done` per item as each finishes.

    Parameters
    ----------
    fn : callable
        ``fn(item) -> result``; picklable when ``jobs > 1`` or ``scheduler``.
    items : iterable of str or path
        Files (or URLs); duplicates are run once.
    jobs : int
        Worker processes of the local cluster (1: run here, one after the other).
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:8786``); overrides ``jobs``.
    ledger : FileLedger, optional
        Resume: results of unchanged files are taken from it, new results stored in it (needs ``encode``
        and ``decode`` unless the results are JSON-ready).
    encode, decode : callable, optional
        Result to JSON-ready value and back, for the ledger.
    use_dask : bool, optional
        For ``jobs > 1``: a dask LocalCluster (default when dask.distributed is installed) or a process pool.

    Raises
    ------
    ConfigError
        ``scheduler`` given without dask.distributed installed, or unreachable.
    """
    ordered = list(dict.fromkeys(str(item) for item in items))
    encode = encode or (lambda value: value)
    decode = decode or (lambda value: value)
    todo = []
    for item in ordered:
        stored = ledger.load(item) if ledger is not None else None
        if stored is not None:
            yield Done(item, decode(stored), resumed=True)
        else:
            todo.append(item)
    if not todo:
        return
    if scheduler:
        runs = _run_dask(fn, todo, scheduler=scheduler, jobs=jobs, distributed=_import_distributed(True))
    elif jobs > 1 and len(todo) > 1:
        distributed = _import_distributed(False) if use_dask is not False else None
        if use_dask and distributed is None:
            _import_distributed(True)
        workers = min(jobs, len(todo))
        runs = (_run_dask(fn, todo, scheduler=None, jobs=workers, distributed=distributed)
                if distributed is not None else _run_pool(fn, todo, workers))
    else:
        runs = _run_serial(fn, todo)
    for done in runs:
        if ledger is not None and done.error is None:
            ledger.store(done.item, encode(done.result))
        yield done
