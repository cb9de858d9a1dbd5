"""Atomic file output: write to a temporary file in the target folder, then rename.

A reader never sees a half-written file, a failed write leaves nothing behind, and an existing
file is only replaced when the caller asks for it. A process killed mid-write (SIGKILL) leaves at
most a hidden ``.<stem>.partial-<pid><suffix>`` file, never the target; :func:`atomic_output` removes such
leftovers of dead processes the next time it writes the same target.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from nwbtms.errors import InputError, OutputExistsError

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


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` when the block succeeds.

    Parameters
    ----------
    target : path
        The final file.
    overwrite : bool
        Replace an existing ``target``. Without it an existing file raises :class:`OutputExistsError`
        before anything is written.

    Raises
    ------
    OutputExistsError
        ``target`` exists and ``overwrite`` is false.
    InputError
        The target folder does not exist or ``target`` is a folder.
    """
    target = Path(target)
    if target.is_dir():
        raise InputError("output path is a folder", file=target, hint="give a file name, e.g. session.nwb")
    if not target.parent.exists():
        raise InputError(
            "output folder does not exist", file=target.parent, hint="create it first (mkdir -p)"
        )
    if target.exists() and not overwrite:
        raise OutputExistsError(
            "output file exists; it was left untouched", file=target, hint="pass --overwrite to replace it"
        )
    remove_stale_partials(target)
    partial = _partial_path(target)
    if partial.exists():
        partial.unlink()
    try:
        yield partial
        if not partial.exists():
            raise InputError("nothing was written", file=target)
        if target.exists() and not overwrite:
            raise OutputExistsError(
                "output file appeared while writing; it was left untouched",
                file=target,
                hint="pass --overwrite to replace it",
            )
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        if partial.exists():
            with contextlib.suppress(OSError):
                partial.unlink()


def atomic_write_text(target: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` to ``target`` atomically (UTF-8). Reports and exports overwrite by default."""
    target = Path(target)
    with atomic_output(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
