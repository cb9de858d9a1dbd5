"""Validate NWB files: read each file once, run the eight steps in order, keep going after failures.

One ``h5py.File`` and one ``NWBHDF5IO`` per file: pynwb validation reads the builders, the objects are built
from the same builders, and NWB Inspector, the DANDI gate and the TMS checks share them. Files are
validated in parallel processes (``jobs``); identifiers are compared across all files at the end.

``fast=True`` is the subset a converter runs right after writing: steps 1-3, 5, 6 (without protocol
reconciliation) and 8; it skips NWB Inspector (step 4), protocol reconciliation and the whole-array scans of
step 7, which re-read every timestamp of every series.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nwbtms.errors import InputError
from nwbtms.io.h5read import text
from nwbtms.validate import cross_file
from nwbtms.validate.checks import readable, schema
from nwbtms.validate.chunked import CHUNK_ELEMENTS
from nwbtms.validate.config import ValidationConfig, config_from_dict, load_config
from nwbtms.validate.context import FileContext, index_builders, index_tree
from nwbtms.validate.findings import DEFAULT_FAIL_ON, FileResult, Finding, Severity, ValidationReport
from nwbtms.validate.registry import (
    DANDI_IDENTIFIER_UNIQUE,
    FILE_READABLE,
    INTERNAL,
    NWB_OPEN,
    PROFILES,
    STEPS,
    TMS_METADATA,
    TMS_OBJECTS_SKIPPED,
    TMS_STEPS,
    Hit,
    checks_of_step,
    guarded,
)


@dataclass(frozen=True)
class RunOptions:
    """Options every worker needs (picklable)."""

    profile: str = "tms"
    fast: bool = False
    chunk_elements: int = CHUNK_ELEMENTS
    config: ValidationConfig = field(default_factory=ValidationConfig)
    #: schema validation in a forked child beside object construction (when a second core is free); off when
    #: files are already validated in parallel processes
    concurrent_schema: bool = True
    #: read what the cross-file checks compare beside validating (several files validated together), so the
    #: workers read it in parallel instead of the caller after them
    cross_file: bool = False


def to_finding(hit: Hit, path: str, config: ValidationConfig) -> Finding | None:
    """Attach ``hit`` to ``path`` and apply the configuration (None when the check is skipped)."""
    check_id = hit.check.id
    if check_id in config.skip:
        return None
    severity = hit.severity if hit.severity is not None else hit.check.severity
    demoted_from = None
    if check_id in config.demote and config.demote[check_id][0] < severity:
        demoted_from, severity = severity, config.demote[check_id][0]
    return Finding(check_id=check_id, severity=severity, message=hit.message, file=path, location=hit.location,
                   index=hit.index, hint=hit.hint or hit.check.hint, count=hit.count, demoted_from=demoted_from)


def _objects_by_type(nwbfile) -> dict[str, list]:
    """Class name -> objects of the built file of that class or a subclass (``NWBFile`` -> the file itself)."""
    by_type: dict[str, list] = {}
    objects = {id(obj): obj for obj in nwbfile.objects.values()}
    objects.setdefault(id(nwbfile), nwbfile)  # pynwb lists the file among its objects; make sure of it
    for obj in objects.values():
        for name in dict.fromkeys(cls.__name__ for cls in type(obj).__mro__):  # a class may subclass its namesake
            by_type.setdefault(name, []).append(obj)
    return by_type


def _step_hits(ctx: FileContext, step: int, by_type: dict[str, list] | None) -> Iterator[Hit]:
    """The registered checks of ``step`` that apply to this file and run, each under its own guard."""
    for registered in checks_of_step(step):
        if not registered.runs_in(ctx.profile, fast=ctx.fast):
            continue
        if registered.neurodata_type is None:
            yield from registered.run(ctx)
        elif by_type is not None:
            for name in registered.neurodata_types:
                for obj in by_type.get(name, ()):
                    yield from registered.run(obj, chunk_elements=ctx.chunk_elements)


def _file_hits(ctx: FileContext, result: FileResult) -> Iterator[Hit | schema.PendingSchema]:
    """The eight steps for one open HDF5 file (schema validation as a pending result in its place).

    Steps 1 (opening) and 3 (schema, building the objects) are the runner's own; every other step runs the
    checks registered for it (:func:`nwbtms.validate.registry.register_check`). Object checks run only when
    the objects could be built; steps 6 and 8 only on files with TMS metadata."""
    h5 = ctx.h5
    result.identifier = _attr_text(h5, "identifier")
    result.nwb_version = _attr_text(h5, "nwb_version", attribute=True)
    try:
        from nwbtms.validate import namespaces_cache
        from nwbtms.validate.builders import ValidatorIO, gc_paused

        _import_cached_extensions(h5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the file's cached namespaces (or, for an earlier ndx-tms, its own spec), parsed once per process
            ctx.specs = namespaces_cache.cached_specs(h5)
            ctx.io = ValidatorIO(file=h5, mode="r", manager=ctx.specs.manager())
    except Exception as exc:
        yield NWB_OPEN.hit(f"pynwb cannot open the file as NWB: {type(exc).__name__}: {exc}")
    try:
        ctx.tree = None
        if ctx.io is not None:
            try:  # the builders are read once here and reused by validation and object construction
                with gc_paused():
                    ctx.tree = index_builders(h5, ctx.io.read_builder())
            except Exception as exc:
                yield NWB_OPEN.hit(f"pynwb cannot read the file's structure: {type(exc).__name__}: {exc}")
        if ctx.tree is None:
            ctx.tree = index_tree(h5)
    except Exception as exc:
        yield FILE_READABLE.hit(f"the HDF5 tree cannot be read (damaged file?): {type(exc).__name__}: {exc}")
        return
    by_type = None
    for step in STEPS:
        if step == 3:
            if ctx.io is not None:
                # schema validation runs beside object construction and the later steps when a second core is
                # free; its hits keep their place in the file's findings (validate_file collects them at the end)
                ctx.pending_schema = schema.PendingSchema(ctx, concurrent=ctx.concurrent_schema)
                yield ctx.pending_schema
                yield from guarded(NWB_OPEN, lambda: schema.build_objects(ctx))
            if ctx.nwbfile is not None:
                by_type = _objects_by_type(ctx.nwbfile)
        if step in TMS_STEPS:
            if ctx.profile != "tms":
                continue
            if ctx.nwbfile is None:
                if step == 6:
                    yield TMS_OBJECTS_SKIPPED.hit(
                        "TMS and completeness checks skipped: the objects could not be built", location="/")
                continue
            if ctx.tms is None:
                if step == 6:
                    yield TMS_METADATA.hit("the file has no TMSExperimentMetadata (/general/tms); TMS checks "
                                           "not run", location="/general")
                continue
        yield from _step_hits(ctx, step, by_type)
        if step == 2:
            result.namespaces = dict(ctx.cached_namespaces)
            result.ndx_tms_version = ctx.cached_namespaces.get("ndx-tms")


def _import_cached_extensions(h5) -> None:
    """Import ndx-tms before the file is opened when the file caches its namespace, so its objects are built
    with the ndx_tms classes in every process (pynwb copies its type map when a file is opened); files
    without TMS data do not pay for loading the extension."""
    specs = h5.get("specifications")
    if specs is not None and "ndx-tms" in specs:
        import ndx_tms  # noqa: F401  (registers the ndx-tms classes with pynwb)


def _attr_text(h5, name: str, *, attribute: bool = False) -> str | None:
    try:
        value = h5.attrs.get(name) if attribute else (h5[name][()] if name in h5 else None)
    except Exception:
        return None
    if value is None:
        return None
    return text(value)


def validate_file(path: str, options: RunOptions) -> FileResult:
    """Validate one file; never raises (every problem is a finding of the result)."""
    started = time.perf_counter()
    result = FileResult(path=path)
    hits: list[Hit] = []
    h5 = None
    ctx = None
    remote = None
    try:
        h5, hit, remote = readable.open_source(path)
        if hit is not None:
            hits.append(hit)
        else:
            result.opened = True
            # a forked child would share the remote file's HTTP connection: schema validation stays in-process
            ctx = FileContext(path=path, profile=options.profile, fast=options.fast,
                              chunk_elements=options.chunk_elements, h5=h5,
                              config_skip=frozenset(options.config.skip),
                              concurrent_schema=options.concurrent_schema and remote is None,
                              more_files=options.cross_file)
            items = list(_file_hits(ctx, result))  # the pending schema hits are collected last, in their place
            for item in items:
                if isinstance(item, schema.PendingSchema):
                    hits.extend(guarded(NWB_OPEN, item.hits))
                else:
                    hits.append(item)
    except Exception as exc:
        hits.append(INTERNAL.hit(f"{type(exc).__name__}: {exc}"))
    finally:
        pending = getattr(ctx, "pending_schema", None)
        if pending is not None:
            pending.cancel()
        for closing in (getattr(ctx, "io", None), h5):
            if closing is not None:
                try:
                    closing.close()
                except Exception:  # closing a damaged file must not hide its findings
                    pass
        if remote is not None:
            result.size_bytes, result.bytes_transferred = remote.size, remote.bytes_transferred
            remote.close()
    findings = [to_finding(h, path, options.config) for h in hits]
    result.findings = [f for f in findings if f is not None]
    if options.cross_file and result.opened:
        try:
            result.cross_file = cross_file.file_facts(path)
        except Exception:  # the caller reads it again (and reports nothing of its own for an unreadable file)
            result.cross_file = None
    result.duration_s = time.perf_counter() - started
    return result


def collect_files(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Files to validate: each given file, and every ``*.nwb`` below each given folder (sorted).

    Raises
    ------
    InputError
        No path was given, or a folder holds no ``.nwb`` file.
    """
    from nwbtms.io.remote import is_url

    files: list[str] = []
    for raw in paths:
        if is_url(raw):  # read remotely, by byte ranges
            files.append(str(raw))
            continue
        p = Path(raw)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.nwb") if f.is_file() and not f.name.startswith("."))
            if not found:
                raise InputError("folder holds no .nwb file", file=p, hint="give NWB files or a folder with some")
            files.extend(found)
        else:
            files.append(str(p))
    if not files:
        raise InputError("no file to validate", hint="give one or more NWB files or folders")
    return list(dict.fromkeys(files))


def _resolve_config(config) -> ValidationConfig:
    if config is None:
        return ValidationConfig()
    if isinstance(config, ValidationConfig):
        return config
    if isinstance(config, dict):
        return config_from_dict(config)
    return load_config(config)


def validate_paths(
    paths: Iterable[str | os.PathLike],
    *,
    profile: str | None = None,
    config: ValidationConfig | dict | str | os.PathLike | None = None,
    jobs: int = 1,
    fail_on: Severity | str | None = None,
    fast: bool = False,
    chunk_elements: int = CHUNK_ELEMENTS,
    quiet: bool = True,
    scheduler: str | None = None,
    ledger: str | os.PathLike | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    local_cluster: bool | None = False,
) -> ValidationReport:
    """Validate NWB files and folders (recursively) and return one report.

    Parameters
    ----------
    paths : iterable of path
        Files and folders; folders are searched for ``*.nwb``.
    profile : {"tms", "dandi"}, optional
        ``dandi``: steps 1-5 and 7 (what DANDI needs, every element checked); ``tms`` (default): all steps,
        adding TMS semantics (6) and reporting completeness (8).
    config : ValidationConfig, dict or path, optional
        Checks to skip or demote (``schemas/validate-config.schema.json``).
    jobs : int
        Files validated in parallel processes.
    fail_on : Severity or str, optional
        Lowest blocking severity; default ``BEST_PRACTICE_VIOLATION`` (``dandi validate``'s threshold).
    fast : bool
        The quick subset for converters (see the module docstring).
    chunk_elements : int
        Elements read per slice of a big array.
    quiet : bool
        No progress bar.
    scheduler : str, optional
        A dask scheduler's address (``tcp://host:8786``): one task per file there (extra ``nwbtms[dask]``).
        Without it, ``jobs > 1`` runs ``jobs`` worker processes here (:func:`nwbtms.parallel.map_files`).
    ledger : path, optional
        Folder of per-file results: files unchanged since a run with the same options are not validated again
        (resume an interrupted run of a whole dandiset).
    on_file : callable, optional
        Called with each file's result as it finishes (before identifiers are compared across files).
    local_cluster : bool or None
        For ``jobs > 1``: a dask LocalCluster (True), a process pool (False, the default: no cluster start-up
        for a handful of files) or the cluster when dask.distributed is installed (None, as the CLI does).

    Raises
    ------
    InputError
        Bad arguments, no files, or an invalid configuration (``ConfigError``).
    """
    from nwbtms import __version__

    cfg = _resolve_config(config)
    profile = profile or cfg.profile or "tms"
    if profile not in PROFILES:
        raise InputError(f"unknown profile {profile!r}", field="profile", hint=f"use one of {', '.join(PROFILES)}")
    try:
        threshold = Severity.parse(fail_on) if fail_on is not None else (cfg.fail_on or DEFAULT_FAIL_ON)
    except ValueError as exc:
        raise InputError(str(exc), field="fail_on") from None
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}", field="jobs")
    files = collect_files(paths)
    serial = scheduler is None and (jobs == 1 or len(files) == 1)
    options = RunOptions(profile=profile, fast=fast, chunk_elements=chunk_elements, config=cfg,
                         concurrent_schema=serial, cross_file=len(files) > 1)
    results = _run_files(files, options, jobs=jobs, scheduler=scheduler, ledger=ledger, on_file=on_file,
                         quiet=quiet, local_cluster=local_cluster)
    _identifiers_unique(results, cfg)
    if len(results) > 1:
        _cross_file(results, cfg)
    findings = [f for r in results for f in sorted(r.findings, key=lambda f: (-f.severity, f.check_id))]
    demoted = {k: {"to": v[0].name, "justification": v[1]} for k, v in cfg.demote.items()}
    return ValidationReport(files=results, findings=findings, profile=profile, fail_on=threshold,
                            skipped_checks=dict(cfg.skip), demoted_checks=demoted, tool_version=__version__)


def _cross_file(results: list[FileResult], config: ValidationConfig) -> None:
    """Attach the cross-file findings (:mod:`nwbtms.validate.cross_file`) to the files they concern."""
    by_path = {r.path: r for r in results}
    facts = {r.path: r.cross_file for r in results if r.cross_file is not None}
    for path, hit in cross_file.cross_file_hits(list(by_path), facts):
        finding = to_finding(hit, path, config)
        if finding is not None and path in by_path:
            by_path[path].findings.append(finding)


def _ledger_key(options: RunOptions) -> str:
    """What besides the file decides its findings: tool version and every option (the resume ledger's key)."""
    import hashlib
    import json

    from nwbtms import __version__

    config = options.config
    described = {"tool": __version__, "profile": options.profile, "fast": options.fast,
                 "chunk_elements": options.chunk_elements, "skip": sorted(config.skip),
                 "demote": {k: v[0].name for k, v in sorted(config.demote.items())}}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _run_files(files: list[str], options: RunOptions, *, jobs: int, scheduler: str | None,
               ledger: str | os.PathLike | None, on_file: Callable[[FileResult], None] | None,
               quiet: bool, local_cluster: bool | None) -> list[FileResult]:
    """Every file's result, in the order given; each handed to ``on_file`` as it finishes."""
    import functools

    from nwbtms.parallel import FileLedger, map_files
    from nwbtms.progress import progress

    book = FileLedger(Path(ledger), _ledger_key(options)) if ledger is not None else None
    runs = map_files(functools.partial(validate_file, options=options), files, jobs=jobs, scheduler=scheduler,
                     ledger=book, encode=FileResult.to_record, decode=FileResult.from_record,
                     use_dask=local_cluster)
    by_path: dict[str, FileResult] = {}
    for done in progress(runs, total=len(files), desc="validate", unit="file", quiet=quiet):
        result = done.result
        if result is None:  # the worker was lost (validate_file itself never raises)
            result = FileResult(path=done.item, findings=[to_finding(INTERNAL.hit(
                f"the worker validating this file failed: {done.error}"), done.item, options.config)])
        by_path[done.item] = result
        if on_file is not None:
            on_file(result)
    return [by_path[f] for f in files]


def _identifiers_unique(results: list[FileResult], config: ValidationConfig) -> None:
    """Add a finding to every file whose identifier another file validated with it shares."""
    by_identifier: dict[str, list[FileResult]] = defaultdict(list)
    for r in results:
        if r.identifier:
            by_identifier[r.identifier].append(r)
    for identifier, group in by_identifier.items():
        if len(group) < 2:
            continue
        for r in group:
            others = [o.path for o in group if o is not r]
            finding = to_finding(DANDI_IDENTIFIER_UNIQUE.hit(
                f"identifier {identifier!r} is also used by {', '.join(others)}", location="/identifier"),
                r.path, config)
            if finding is not None:
                r.findings.append(finding)
