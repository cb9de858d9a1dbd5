"""A read-only command run as the ``nwbtms`` process ends without the interpreter's teardown, with its exit code
and every output intact; called in-process (``main(argv)``) it returns like any other command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: runs ``nwbtms`` as the console does (arguments from sys.argv), with an exit hook that says whether the
#: interpreter's teardown ran
_CONSOLE = textwrap.dedent(
    """
    import atexit, sys
    from nwbtms.cli import main

    atexit.register(lambda: print("TEARDOWN", file=sys.stderr))
    sys.argv = ["nwbtms", *sys.argv[1:]]
    main()
    """
)


def _console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _CONSOLE, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("fail_on, code", [("CRITICAL", 0), ("INFO", 1)])
def test_validate_ends_without_teardown_keeping_exit_code_and_outputs(complete_nwb, tmp_path, fail_on, code):
    report = tmp_path / "report.json"
    run = _console("validate", str(complete_nwb), "--fail-on", fail_on, "--format", "json", "-o", str(report))
    assert run.returncode == code, run.stderr
    assert "TEARDOWN" not in run.stderr
    assert json.loads(report.read_text())["exit_code"] == code  # written whole before the process ended
    shown = _console("--quiet", "validate", str(complete_nwb), "--fail-on", fail_on, "--format", "json")
    assert shown.returncode == code and json.loads(shown.stdout)["exit_code"] == code


def test_other_commands_and_bad_input_keep_the_normal_exit(tmp_path):
    listed = _console("protocol", "list")
    assert listed.returncode == 0 and "TEARDOWN" in listed.stderr
    missing = _console("validate")
    assert missing.returncode == 2 and "TEARDOWN" in missing.stderr


def test_in_process_validate_returns(complete_nwb):
    from nwbtms.cli import _exit, main

    with pytest.raises(SystemExit) as done:
        main(["--quiet", "validate", str(complete_nwb), "--fail-on", "CRITICAL"])
    assert done.value.code == 0
    assert _exit.requested()  # asked, and not honoured: the caller's process runs on
