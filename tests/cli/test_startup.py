"""Commands that need no NWB I/O start without importing pynwb (or h5py, hdmf): the CLI's start-up cost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("pynwb", "hdmf", "h5py", "ndx_tms", "pandas")

_SCRIPT = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from nwbtms.cli import main

    codes = []
    for argv in json.loads(sys.argv[1]):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(argv)
            except SystemExit as exc:
                codes.append(exc.code)
    print(json.dumps({"codes": codes, "loaded": [m for m in json.loads(sys.argv[2]) if m in sys.modules]}))
    """
)


def test_protocol_and_help_commands_do_not_import_pynwb(tmp_path):
    schedule = tmp_path / "itbs.csv"
    protocol_file = tmp_path / "proto.yaml"
    commands = [
        ["--help"],
        ["--version"],
        ["protocol", "--help"],
        ["protocol", "list"],
        ["protocol", "list", "--format", "json"],
        ["protocol", "show", "itbs_600"],
        ["protocol", "show", "ctbs_300", "--format", "yaml"],
        ["protocol", "schedule", "itbs_600", "-o", str(schedule)],
        ["validate", "--help"],
    ]
    result = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(commands), json.dumps(HEAVY)],
                            capture_output=True, text=True, check=True)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["codes"] == [0] * len(commands), result.stderr
    assert out["loaded"] == [], f"start-up imported {out['loaded']}"
    assert schedule.read_text().startswith("time_s,")
    # a protocol file is checked against the vocabularies without the extension's pynwb classes
    protocol_file.write_text(subprocess.run(
        [sys.executable, "-m", "nwbtms", "protocol", "show", "itbs_600", "--format", "yaml"],
        capture_output=True, text=True, check=True).stdout)
    result = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps([["protocol", "show", str(protocol_file)]]),
                             json.dumps(HEAVY)], capture_output=True, text=True, check=True)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"codes": [0], "loaded": []}, result.stderr


def test_vocabulary_is_the_extension_vocabulary():
    import ndx_tms_vocabulary
    from ndx_tms import vocabulary

    assert vocabulary.TMSValueError is ndx_tms_vocabulary.TMSValueError
    assert vocabulary.POSE_TOLERANCE == ndx_tms_vocabulary.POSE_TOLERANCE
    assert set(ndx_tms_vocabulary.__all__) <= set(dir(vocabulary))
