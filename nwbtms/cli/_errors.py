"""The one error mapper of the CLI: every command's callback runs inside :func:`map_errors`.

Modelled on dandi-cli's ``map_to_click_exceptions`` (``dandi/cli/base.py``): exceptions a user can cause
become click exceptions, which click prints without a traceback and exits with their code (standalone mode
and ``CliRunner`` alike). An :class:`~nwbtms.errors.NwbtmsError` keeps its own exit code (2 bad input, 1 a
failed write or conversion); an ndx-tms ``TMSValueError`` (a value the extension rejects) exits 2; Ctrl-C
exits 130. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from nwbtms.errors import NwbtmsError, OutputError

#: Marker set on every mapped callback (``tests/cli/test_main.py`` walks the command tree for it).
MAPPED = "__nwbtms_error_mapped__"


class ReportedError(click.ClickException):
    """An error shown as ``error: <message>`` with its exit code, without traceback."""

    def __init__(self, message: str, exit_code: int, *, end_process: bool = False, prefix: str = "error: ") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.end_process = end_process
        self.prefix = prefix

    def show(self, file=None) -> None:
        click.echo(f"{self.prefix}{self.message}", err=True)
        if self.end_process and map_errors.end_process_after_output_error:
            # HDF5 keeps the failed file's objects and would flush them again at interpreter exit (into a
            # full disk: a crash); everything the user needs was said and the partial file is gone.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(self.exit_code)


def _is_extension_value_error(exc: BaseException) -> bool:
    ndx_tms = sys.modules.get("ndx_tms")  # not imported: the error cannot be one of its values
    value_error = getattr(ndx_tms, "TMSValueError", None)
    return value_error is not None and isinstance(exc, value_error)


def map_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command callback so that user errors become :class:`ReportedError` (exit 2 or 1).

    Place it directly above the ``def``, under the click decorators.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except click.ClickException:
            raise
        except NwbtmsError as exc:
            raise ReportedError(str(exc), exc.exit_code, end_process=isinstance(exc, OutputError)) from None
        except (KeyboardInterrupt, click.exceptions.Abort):
            raise ReportedError("Aborted.", 130, prefix="") from None
        except ValueError as exc:
            if _is_extension_value_error(exc):
                raise ReportedError(str(exc), 2) from None
            raise

    setattr(wrapper, MAPPED, True)
    return wrapper


#: Set by the console entry point only: end the process at once after an OutputError (see ReportedError.show);
#: in-process callers (CliRunner, notebooks) keep running.
map_errors.end_process_after_output_error = False  # type: ignore[attr-defined]
