"""The ``nwbtms`` command line: a thin click layer over the library.

Each subcommand lives in its own module of this package and is loaded only when used, so
``nwbtms --help`` stays fast and a broken optional dependency cannot break unrelated commands.
Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 validation findings (or a
failed conversion), 2 bad input or usage.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from nwbtms._version import __version__
from nwbtms.errors import NwbtmsError, OutputError

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
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("nwbtms.cli."):
                return _unavailable(cmd_name)
            raise
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _unavailable(name: str) -> click.Command:
    @click.command(name=name, help=f"{name}: not available in this build.")
    def _cmd() -> None:
        raise click.UsageError(f"'nwbtms {name}' is not available in this version.")

    return _cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="nwbtms")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter on stderr.")
@click.pass_context
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
    """Console entry point: run the CLI and turn nwbtms errors into clean messages."""
    try:
        # With standalone_mode=False click returns the code of ctx.exit(n) instead of raising.
        code = cli.main(args=argv, prog_name="nwbtms", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NwbtmsError as exc:
        click.echo(f"error: {exc}", err=True)
        if isinstance(exc, OutputError):
            # HDF5 keeps the failed file's objects and would flush them again at interpreter exit (into a full
            # disk: a crash); everything the user needs was said and the partial file is gone
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.exit_code)
        sys.exit(exc.exit_code)
    except ValueError as exc:
        # ndx-tms constructors raise ValueError subclasses with a complete message.
        if type(exc).__module__.startswith("ndx_tms"):
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        raise
    sys.exit(code if isinstance(code, int) else 0)
