"""The ``nwbtms`` command line: a thin click layer over the library.

Each subcommand lives in its own module of this package and is loaded only when used, so
``nwbtms --help`` stays fast and a broken optional dependency cannot break unrelated commands.
Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 validation findings (or a
failed conversion), 2 bad input or usage.
"""

from __future__ import annotations

import importlib

import click

from nwbtms._version import __version__
from nwbtms.cli import _exit
from nwbtms.cli._errors import map_errors

#: command name -> (module, attribute, one-line help shown by ``nwbtms --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("nwbtms.cli.session", "init", "Draft a session.yaml from a folder of raw files."),
    "convert": ("nwbtms.cli.session", "convert", "Convert one session to a single NWB file."),
    "batch": ("nwbtms.cli.batch", "batch", "Convert many sessions in parallel (dask)."),
    "validate": ("nwbtms.cli.validate", "validate", "Check NWB files for DANDI and TMS correctness."),
    "protocol": ("nwbtms.cli.protocol", "protocol", "List, show and schedule TMS protocols."),
    "pulses": ("nwbtms.cli.pulses", "pulses", "Detect TMS pulses in rig recordings."),
    "inspect": ("nwbtms.cli.inspect", "inspect", "Show what nwbtms reads from any raw input file or folder."),
    "imaging": ("nwbtms.cli.imaging", "imaging", "Inspect two-photon imaging inputs (alias: nwbtms inspect)."),
    "report": ("nwbtms.cli.report", "report", "Write a visual quality-control page for an NWB file."),
    "mock": ("nwbtms.cli.mock", "mock", "Write the ndx-tms example file built by the mock factories."),
    "neuroconv": ("nwbtms.cli.neuroconv", "neuroconv",
                  "NeuroConv interfaces usable as sources (extra nwbtms[neuroconv])."),
    "rois": ("nwbtms.cli.spines", "rois", "ROI keys across a subject's sessions (registry)."),
    "spines": ("nwbtms.cli.spines", "spines", "Spine turnover across days, per dendrite and cell type."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="nwbtms")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter on stderr.")
@click.pass_context
@map_errors
def cli(ctx: click.Context, quiet: bool) -> None:
    """nwbtms: TMS data into NWB, checked for DANDI.

    \b
    Typical session:
      nwbtms init raw/ -o session.yaml      # draft the metadata file
      nwbtms convert session.yaml -o s.nwb  # one NWB file per session
      nwbtms validate s.nwb                 # exit 0 when ready for DANDI
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet


def main(argv: list[str] | None = None) -> None:
    """Console entry point. Errors are mapped by :func:`nwbtms.cli._errors.map_errors` on every command;
    click prints them and exits with their code (0 success, 1 findings or failed write, 2 bad input/usage).

    Run with the process's own arguments (``argv`` None: the ``nwbtms`` command, ``python -m nwbtms``), a
    read-only command that is done ends the process without the interpreter's teardown
    (:mod:`nwbtms.cli._exit`); called with ``argv`` from Python, every command returns (raises SystemExit)."""
    # only the console process ends at once after a failed write (see ReportedError.show)
    # (restored on return: an in-process call, e.g. from a test or a notebook, must not leave it on)
    map_errors.end_process_after_output_error = True
    _exit.reset()
    try:
        cli.main(args=argv, prog_name="nwbtms")
    except SystemExit as done:  # click's standalone mode ends every run this way
        if argv is None and _exit.requested():
            _exit.exit_now(done.code)
        raise
    finally:
        map_errors.end_process_after_output_error = False
