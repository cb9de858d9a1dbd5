"""Helpers shared by the CLI commands: quiet flag, output formats, writing data to stdout or a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def is_quiet(ctx: click.Context | None = None) -> bool:
    """True when ``--quiet`` was given on the ``nwbtms`` group."""
    ctx = ctx or click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.obj and "quiet" in ctx.obj:
            return bool(ctx.obj["quiet"])
        ctx = ctx.parent
    return False


def say(message: str) -> None:
    """A message for the user on stderr, unless ``--quiet``."""
    if not is_quiet():
        click.echo(message, err=True)


def emit(text: str, output: Path | None, *, overwrite: bool = False) -> None:
    """Write data to ``output`` (atomically; an existing file only with ``overwrite``) or to stdout."""
    if output is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        return
    from nwbtms.io import atomic_write_text

    atomic_write_text(output, text, overwrite=overwrite)
