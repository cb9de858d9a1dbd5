"""End the console process without the interpreter's teardown once a read-only command is done.

At exit the interpreter frees every object one by one (hdmf's type maps and parsed specs, the modules of
pynwb, numpy and pandas): a tenth of the CPU time of validating a small file, for nothing the user sees. A
command that only reads asks, once it has flushed and closed its outputs and stopped its workers, for the
process to end at once, as mypy ends its runs (``mypy.util.hard_exit``). Only the console entry point
(:func:`nwbtms.cli.main`) honours the request; in-process callers (``CliRunner``, notebooks) run on normally.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

_requested = False


def end_without_teardown() -> None:
    """Ask the console entry point to end the process as soon as the running command returns.

    Call it only when the command's outputs are written and closed and none of its workers, threads or
    clusters is left running: nothing registered to run at exit will run.
    """
    global _requested
    _requested = True


def requested() -> bool:
    """True when the running command asked to end without teardown."""
    return _requested


def reset() -> None:
    """Forget a request (each console run starts without one)."""
    global _requested
    _requested = False


def exit_now(code: object) -> NoReturn:
    """Flush stdout and stderr and end the process with ``code`` as ``sys.exit(code)`` would: None is 0, an
    int itself, anything else is printed to stderr and gives 1."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``) or stream: nothing more can be said
            pass
    os._exit(status)
