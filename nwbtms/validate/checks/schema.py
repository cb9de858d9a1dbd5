"""Step 3: pynwb validation against the cached namespaces, then building the objects (once).

Validation runs on the builders as read, before the objects are built: building changes some builders in
place (pynwb's TimeIntervals mapper retypes an NWB <= 2.4 ``timeseries`` VectorData column as
TimeSeriesReferenceVectorData), and validating them afterwards reports errors ``pynwb.validate`` does not.
So schema errors are reported even when building fails (where NWB Inspector reports one read error and
nothing else), and the same errors on every machine and every ``--jobs``. Both use the builders read once by
the runner; the validators resolved from the cached specs are kept per spec fingerprint, so files written by
one converter resolve them once per process.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import warnings
from collections.abc import Iterator

import numpy as np

from nwbtms.validate.context import FileContext
from nwbtms.validate.registry import NWB_BUILD, NWB_SCHEMA, Hit


def cached_validators(ctx: FileContext) -> list | None:
    """One hdmf ``ValidatorMap`` per namespace pynwb would validate against (the most specific namespaces
    cached in the file, from the cached specs alone), kept with the file's type map
    (:meth:`nwbtms.validate.namespaces_cache.CachedSpecs.validators`) and so reused across files that cache
    identical specs; None when the file caches no specs (pynwb then falls back to core)."""
    return _cached_specs(ctx).validators(ctx.h5)


def _cached_specs(ctx: FileContext):
    """The file's cached-specs entry: the runner's, else looked up (a context built by another caller)."""
    from nwbtms.validate import namespaces_cache

    return ctx.specs if ctx.specs is not None else namespaces_cache.cached_specs(ctx.h5)


def validate_against_cached(ctx: FileContext, validators: list | None, io=None) -> list:
    """pynwb validation errors of the builders ``io`` read (default ``ctx.io``; as ``pynwb.validate(io=...)``
    against the cached namespaces)."""
    from pynwb import validate

    io = io if io is not None else ctx.io
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if validators is None:
            return validate(io=io)
        builder = io.read_builder()  # hdmf keeps the builders it read: this is no second read
        errors = []
        for validator in validators:
            errors += validator.validate(builder)
        return errors


def validate_schema(ctx: FileContext, io=None) -> Iterator[Hit]:
    """Yield one hit per pynwb validation error (namespaces cached in the file) of the builders ``io`` read
    (default ``ctx.io``: call it before the objects are built from them)."""
    try:
        errors = validate_against_cached(ctx, cached_validators(ctx), io)
    except Exception as exc:  # the validator itself failed on a malformed file
        yield NWB_SCHEMA.hit(f"schema validation could not run: {type(exc).__name__}: {exc}",
                             location="/specifications")
        return
    for error in errors:
        location = getattr(error, "location", None) or None
        if location and not location.startswith("/"):
            location = "/" + location
        yield NWB_SCHEMA.hit(f"{getattr(error, 'name', '')}: {getattr(error, 'reason', str(error))}".strip(": "),
                             location=location)


#: numpy's documented default print options (numpy.set_printoptions).
NUMPY_DEFAULT_PRINT = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False)


def build_objects(ctx: FileContext) -> Iterator[Hit]:
    """Build the pynwb objects into ``ctx.nwbfile`` (from the builders already read); a failure is one hit."""
    from nwbtms.validate.builders import gc_paused

    # numpy's default print options, whatever the caller set (pyabf, for one, lowers the threshold at import):
    # hdmf puts array reprs into its error messages, formatted when the message is read, and findings must
    # not depend on global state.
    with np.printoptions(**NUMPY_DEFAULT_PRINT):
        try:
            with warnings.catch_warnings(), gc_paused():
                warnings.simplefilter("ignore")
                ctx.nwbfile = ctx.io.read()
            return
        except Exception as exc:
            problem, location = describe_build_error(exc)
    yield NWB_BUILD.hit(problem, location=location)


def _builder_location(builder) -> str | None:
    """HDF5 path of an hdmf builder (its path starts with the root builder's name)."""
    path = getattr(builder, "path", None)
    if not isinstance(path, str):
        return None
    parts = path.split("/")[1:]
    return "/" + "/".join(parts)


def describe_build_error(exc: Exception) -> tuple[str, str | None]:
    """``(message, location)`` of an object-construction failure: hdmf's whole reason (object type, column and
    cause) at the path of the builder it names; the builder's own repr, the whole subtree, is left out."""
    args = getattr(exc, "args", ())
    if type(exc).__name__ == "ConstructError" and len(args) >= 2 and hasattr(args[0], "path"):
        builder, reason = args[0], str(args[1])
        location = _builder_location(builder)
        kind = builder.attributes.get("neurodata_type", "object") if hasattr(builder, "attributes") else "object"
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) != "" else ""
        return (f"pynwb could not build the {kind} at {location}: ConstructError: {reason}{detail}", location)
    return f"pynwb could not build the objects: {type(exc).__name__}: {exc}", None


def second_core_free() -> bool:
    """True when this process may use a second CPU core and can fork safely: fork exists (Linux, macOS) and no
    other thread runs (a lock held by another thread, e.g. h5py's, would stay locked forever in the child)."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2


class PendingSchema:
    """Schema validation of the builders as read, before object construction changes any of them.

    With a second core free, it runs in a child forked before the objects are built (the child keeps the
    builders as they were at the fork) and sends ``(message, location)`` of every hit back as JSON. Otherwise
    it validates at once, in this process, before the runner builds the objects. When the child cannot be
    started, fails or sends nothing readable, :meth:`hits` validates builders read afresh from the file (the
    runner's have been changed by then), so the findings never depend on the child or on the machine.
    """

    def __init__(self, ctx: FileContext, *, concurrent: bool) -> None:
        self._ctx = ctx
        self._pid: int | None = None
        self._read_fd: int | None = None
        self._hits: list[Hit] | None = None
        self._parent = os.getpid()
        if ctx.more_files:  # resolved here, not in a child, so this process keeps them for the next files
            try:
                cached_validators(ctx)
            except Exception:  # reported by validate_schema
                pass
        if concurrent and second_core_free():
            self._fork()
        if self._pid is None:
            self._hits = list(validate_schema(ctx))

    def _fork(self) -> None:
        read_fd, write_fd = os.pipe()
        gc.freeze()  # the child's collections leave the parent's objects (and their memory pages) alone
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return
        finally:
            if os.getpid() == self._parent:
                gc.unfreeze()
        if pid == 0:  # child: validate, send the hits, leave without running any cleanup of the parent's state
            status = 1
            try:
                gc.disable()  # it lives for one validation; collections would copy the parent's pages
                os.close(read_fd)
                payload = json.dumps([[h.message, h.location] for h in validate_schema(self._ctx)]).encode()
                with os.fdopen(write_fd, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd

    def hits(self) -> Iterator[Hit]:
        """The hits of schema validation (waits for the child)."""
        if self._hits is not None:
            yield from self._hits
            return
        pairs = None
        if self._pid is not None:
            with os.fdopen(self._read_fd, "rb") as src:
                self._read_fd = None
                payload = src.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            if os.waitstatus_to_exitcode(status) == 0:
                try:
                    pairs = json.loads(payload)
                except ValueError:
                    pairs = None
        if pairs is None:
            yield from _validate_fresh(self._ctx)
            return
        for message, location in pairs:
            yield NWB_SCHEMA.hit(message, location=location)

    def cancel(self) -> None:
        """Stop and reap a child whose hits were not collected (the run failed before)."""
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = None


def _validate_fresh(ctx: FileContext) -> Iterator[Hit]:
    """Validate builders read again from the open file by a second IO (the first one's builders may have been
    changed by object construction)."""
    from pynwb import NWBHDF5IO


    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            io = NWBHDF5IO(file=ctx.h5, mode="r", manager=_cached_specs(ctx).manager())
    except Exception as exc:
        yield NWB_SCHEMA.hit(f"schema validation could not run: {type(exc).__name__}: {exc}",
                             location="/specifications")
        return
    yield from validate_schema(ctx, io)
