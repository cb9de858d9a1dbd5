"""The nwbtms command group: --version, --help, every command listed, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nwbtms import __version__
from nwbtms.cli import COMMANDS, cli

NWBTMS = Path(sys.executable).with_name("nwbtms")


def test_version_and_help():
    runner = CliRunner()
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_every_registered_command_loads_and_has_help():
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "not available" not in result.output, name


def test_console_script_errors_exit_2_without_traceback(tmp_path):
    existing = tmp_path / "exists.nwb"
    existing.write_bytes(b"keep")
    result = subprocess.run([str(NWBTMS), "mock", "-o", str(existing)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "output file exists" in result.stderr and "--overwrite" in result.stderr
    assert existing.read_bytes() == b"keep"


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([str(NWBTMS), "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_mock_writes_a_valid_file(tmp_path):
    target = tmp_path / "mock.nwb"
    result = subprocess.run([str(NWBTMS), "--quiet", "mock", "-o", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    assert result.stderr == ""


def test_exit_code_of_ctx_exit_is_kept():
    import click

    from nwbtms.cli import main

    @cli.command(name="_exit_one", hidden=True)
    @click.pass_context
    def _exit_one(ctx):
        ctx.exit(1)

    try:
        main(["_exit_one"])
    except SystemExit as exc:
        assert exc.code == 1
    finally:
        cli.commands.pop("_exit_one")


def test_python_dash_m_nwbtms():
    result = subprocess.run([sys.executable, "-m", "nwbtms", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout
