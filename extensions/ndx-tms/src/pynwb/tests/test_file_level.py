"""File-level evidence: the cached spec suffices to read and validate; NWB Inspector (DANDI config) is clean."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ndx_tms.testing import mock_tms_nwbfile
from pynwb import NWBHDF5IO


@pytest.fixture(scope="module")
def mock_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("mock") / "mock_tms.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(mock_tms_nwbfile())
    return path


def test_fresh_process_without_ndx_tms_reads_and_validates(mock_file):
    script = f"""
import json, sys
from pynwb import NWBHDF5IO, validate
errors = validate(path={str(mock_file)!r})
with NWBHDF5IO({str(mock_file)!r}, "r") as io:
    f = io.read()
    pulses = f.events["tms_pulses"]
    out = dict(errors=[str(e) for e in errors], n_pulses=len(pulses), pulse_type=type(pulses).__name__,
               session_type=type(pulses["session"].table).__name__, imported="ndx_tms" in sys.modules)
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd="/")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"errors": [], "n_pulses": 1799, "pulse_type": "TMSPulsesTable",
                   "session_type": "TMSSessionsTable", "imported": False}


def test_nwbinspector_dandi_config_has_no_critical_or_violation(mock_file):
    from nwbinspector import Importance, inspect_nwbfile, load_config

    messages = list(inspect_nwbfile(nwbfile_path=str(mock_file), config=load_config("dandi")))
    blocking = [m for m in messages
                if m.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR)]
    assert blocking == [], "\n".join(f"{m.check_function_name}: {m.message}" for m in blocking)
