"""Atomic file output: write to a temporary file in the target folder, then publish it.

A reader never sees a half-written file, a failed write leaves nothing behind, and an existing
file is only replaced when the caller asks for it. Without ``overwrite`` the file is published with a
hard link, which fails when the target exists, so of several processes writing one target exactly one
wins and the others report :class:`OutputExistsError` (an existence check followed by a rename would let
one replace another); with ``overwrite`` it is renamed over the target. Operating-system errors (no space
left, read-only file system, permission) become :class:`OutputError` naming the path and the reason
(exit 1). SIGTERM (what batch schedulers send on timeout) removes the partial file before the process
ends; a process killed mid-write (SIGKILL) leaves at most a hidden ``.<stem>.partial-<pid><suffix>`` file,
never the target, which :func:`atomic_output` removes the next time it writes the same target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from nwbtms.errors import InputError, NwbtmsError, OutputError, OutputExistsError

#: errno -> what to tell the user
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for this file system or process limit",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error on the device",
}

PARTIAL_MARK = ".partial-"


def _partial_path(target: Path, pid: int | None = None) -> Path:
    """``.<stem>.partial-<pid><suffix>``: hidden, and keeps the suffix (pynwb warns without ``.nwb``)."""
    return target.with_name(f".{target.stem}{PARTIAL_MARK}{os.getpid() if pid is None else pid}{target.suffix}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(target: Path) -> list[Path]:
    """Delete ``.<stem>.partial-<pid><suffix>`` files of ``target`` whose writing process is gone."""
    removed = []
    prefix = f".{target.stem}{PARTIAL_MARK}"
    if not target.parent.is_dir():
        return removed
    for entry in target.parent.iterdir():
        if not (entry.name.startswith(prefix) and entry.name.endswith(target.suffix)):
            continue
        pid_text = entry.name[len(prefix):len(entry.name) - len(target.suffix)]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def make_folder(folder: str | os.PathLike) -> Path:
    """``mkdir -p`` for an output folder; an OS refusal is an :class:`OutputError` naming the folder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, folder) from None
    return folder


def output_error(exc: OSError, path: str | os.PathLike) -> OutputError:
    """An :class:`OutputError` naming ``path`` and the reason of ``exc`` (no traceback, exit 1)."""
    reason = _REASONS.get(exc.errno) or exc.strerror or str(exc)
    hint = {errno.ENOSPC: "free space or write to another disk", errno.EDQUOT: "free space in your quota",
            errno.EROFS: "write to a writable folder", errno.EACCES: "write to a folder you may write to",
            errno.EPERM: "write to a folder you may write to"}.get(exc.errno, "write to another folder")
    return OutputError(f"cannot write the output: {reason}; nothing was left behind", file=path, hint=hint)


def _os_error_in(exc: BaseException) -> OSError | None:
    """The write error (errno in ``_REASONS``) behind ``exc`` (h5py and pynwb wrap it), or None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in _REASONS:  # write errors only (a read error is the input's)
            return exc
        if isinstance(exc, OSError):  # h5py: "Unable to ... (file write failed: ..., errno = 28, ...)"
            text = str(exc)
            for code in _REASONS:
                if f"errno = {code}," in text or f"errno = {code})" in text:
                    return OSError(code, os.strerror(code))
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _silence_late_errors_about(partial: Path):
    """HDF5 objects of a file whose write failed report the failure again as they are freed ("Exception
    ignored in h5py ObjectID.__dealloc__"); the user is told once, with the reason, so drop those (the hook
    stays after a failure, when such objects may still be freed; it is restored after a success). Returns
    the previous hook."""
    previous = (sys.unraisablehook, sys.excepthook)

    def unraisable_hook(unraisable) -> None:
        if partial.name not in str(unraisable.exc_value):
            previous[0](unraisable)

    def except_hook(kind, value, tb) -> None:  # Cython prints a __dealloc__ error through it first
        if partial.name not in str(value):
            previous[1](kind, value, tb)

    sys.unraisablehook, sys.excepthook = unraisable_hook, except_hook
    return previous


@contextlib.contextmanager
def _remove_on_sigterm(partial: Path) -> Iterator[None]:
    """While the block runs in the main thread, SIGTERM removes ``partial`` and ends the process (143)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def terminate(signum, frame):
        with contextlib.suppress(OSError):
            partial.unlink()
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, terminate)
    except (ValueError, OSError):  # not settable here (embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def refuse_existing(target: str | os.PathLike | None, *, overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` when ``target`` exists and ``overwrite`` is false.

    The one place that decides "output exists": :func:`atomic_output` calls it before writing, and callers
    call it up front so a long run does not end in this error (the publish step still never replaces a file
    that appears meanwhile).
    """
    if target is not None and not overwrite and Path(target).exists():
        raise OutputExistsError(
            "output file exists; it was left untouched", file=target, hint="pass --overwrite to replace it"
        )


def _publish(partial: Path, target: Path, overwrite: bool) -> None:
    """Move ``partial`` to ``target``: rename over it with ``overwrite``, else a hard link that fails when
    ``target`` exists (atomic no-replace), then drop the partial name."""
    if overwrite:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)
    except FileExistsError:
        raise OutputExistsError("output file appeared while writing; it was left untouched", file=target,
                                hint="pass --overwrite to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # a file system without hard links: no atomic no-replace; check, then rename
        if target.exists():
            raise OutputExistsError("output file appeared while writing; it was left untouched", file=target,
                                    hint="pass --overwrite to replace it") from None
        os.replace(partial, target)
        return
    partial.unlink()


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; publish it as ``target`` when the block succeeds.

    Parameters
    ----------
    target : path
        The final file.
    overwrite : bool
        Replace an existing ``target``. Without it an existing file raises :class:`OutputExistsError`
        before anything is written, and a file appearing meanwhile is never replaced.

    Raises
    ------
    OutputExistsError
        ``target`` exists and ``overwrite`` is false.
    InputError
        The target folder does not exist or ``target`` is a folder.
    OutputError
        The operating system refused the write (space, read-only, permission); the partial file is removed.
    """
    target = Path(target)
    if target.is_dir():
        raise InputError("output path is a folder", file=target, hint="give a file name, e.g. session.nwb")
    if not target.parent.exists():
        raise InputError(
            "output folder does not exist", file=target.parent, hint="create it first (mkdir -p)"
        )
    refuse_existing(target, overwrite=overwrite)
    remove_stale_partials(target)
    partial = _partial_path(target)
    previous_hook = _silence_late_errors_about(partial)
    failed = True
    try:
        with _remove_on_sigterm(partial):
            if partial.exists():
                partial.unlink()
            yield partial
            if not partial.exists():
                raise InputError("nothing was written", file=target)
            with open(partial, "rb+") as handle:
                os.fsync(handle.fileno())
            _publish(partial, target, overwrite)
        failed = False
    except NwbtmsError:
        raise
    except Exception as exc:
        cause = _os_error_in(exc)
        if cause is None:
            raise
        raise output_error(cause, target) from None
    finally:
        if not failed:
            sys.unraisablehook, sys.excepthook = previous_hook
        if partial.exists():
            with contextlib.suppress(OSError):
                partial.unlink()


def atomic_write_text(target: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` to ``target`` atomically (UTF-8). Reports and exports overwrite by default."""
    target = Path(target)
    with atomic_output(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
