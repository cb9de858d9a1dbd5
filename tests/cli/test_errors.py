"""One error mapper for every command: each registered command's callback is wrapped by ``map_errors``, and
an NwbtmsError, an OutputError and a click usage error exit 2, 1 and 2 without traceback."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from nwbtms.cli import COMMANDS, cli
from nwbtms.cli._errors import MAPPED, map_errors
from nwbtms.errors import InputError, OutputError


def _walk(command: click.Command, path: str):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), f"{path} {name}")


def test_every_registered_command_goes_through_the_mapper():
    seen = dict(_walk(cli, "nwbtms"))
    assert {f"nwbtms {name}" for name in COMMANDS} <= set(seen)
    unmapped = [path for path, command in seen.items() if not getattr(command.callback, MAPPED, False)]
    assert not unmapped, f"commands without @map_errors: {unmapped}"


@click.command()
@click.argument("kind")
@map_errors
def _raiser(kind: str) -> None:
    if kind == "input":
        raise InputError("bad value", file="x.yaml", field="/a", hint="fix it")
    if kind == "output":
        raise OutputError("cannot write the output: no space left on the device", file="out.nwb")


@pytest.mark.parametrize(("args", "code", "text"), [
    (["input"], 2, "error: x.yaml: /a: bad value"),
    (["output"], 1, "error: out.nwb: cannot write the output"),
    ([], 2, "Missing argument"),
])
def test_errors_map_to_exit_codes_without_traceback(args, code, text):
    result = CliRunner().invoke(_raiser, args)
    assert result.exit_code == code, result.output
    assert text in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, (InputError, OutputError))  # mapped, not escaped


def test_a_real_command_maps_its_usage_and_input_errors(tmp_path):
    runner = CliRunner()
    usage = runner.invoke(cli, ["protocol", "show"])
    assert usage.exit_code == 2 and "Missing argument" in usage.output
    bad = runner.invoke(cli, ["protocol", "show", "no-such-preset-or-file"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ") and "Traceback" not in bad.output


def test_an_in_process_main_call_does_not_leave_the_process_ending_on():
    """``main()`` ends the process after a failed write only while it runs (a later CliRunner call must live)."""
    import pytest

    from nwbtms.cli import main
    from nwbtms.cli._errors import map_errors

    with pytest.raises(SystemExit):
        main(["--help"])
    assert map_errors.end_process_after_output_error is False
