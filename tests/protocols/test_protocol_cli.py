"""``nwbtms protocol``: list, show, schedule; bad files exit 2 without traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nwbtms.cli import cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BAD = """\
name: bad
levels:
  - {name: pulse, count: 3, interval_s: 0.02}
  - {name: burst, count: 0, interval_s: 0.2}
waveform: sine
intensity_value: 80
intensity_reference: percent_threshold
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_list(runner):
    result = runner.invoke(cli, ["protocol", "list"])
    assert result.exit_code == 0, result.output
    assert "itbs_600" in result.output and "191.84" in result.output and "90000" in result.output
    data = json.loads(runner.invoke(cli, ["protocol", "list", "--format", "json"]).output)
    assert {row["name"] for row in data} >= {"snt_course", "aitbs_mouse_day"}


def test_show_preset_and_yaml_form_reloads(runner, tmp_path):
    result = runner.invoke(cli, ["protocol", "show", "rtms_10hz_fda"])
    assert result.exit_code == 0
    assert "3,000 pulses" in result.output and "2223.9 s" in result.output and "gap 26 s" in result.output
    yaml_text = runner.invoke(cli, ["protocol", "show", "snt_day", "--format", "yaml"]).output
    path = tmp_path / "snt.yaml"
    path.write_text(yaml_text)
    again = runner.invoke(cli, ["protocol", "show", str(path)])
    assert again.exit_code == 0 and "18,000 pulses" in again.output


def test_schedule_csv_is_exact(runner):
    result = runner.invoke(cli, ["protocol", "schedule", "itbs_600"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["time_s", "train", "burst", "pulse"]
    assert len(rows) == 601
    assert rows[-1] == ["191.840000", "19", "9", "2"]


def test_schedule_with_params_json_and_atomic_output(runner, tmp_path):
    out = tmp_path / "sched.json"
    args = ["protocol", "schedule", "aitbs_mouse_day", "-p", "sessions_per_day=2", "-p", "session_interval_s=1800",
            "--format", "json", "-o", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["total_pulses"] == 1200 and data["time_us"][-1] == 1_800_000_000 + 191_840_000
    assert list(data["index"]) == ["session", "train", "burst", "pulse"]
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "exists" in again.output
    assert runner.invoke(cli, [*args, "--overwrite"]).exit_code == 0
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_file_every_problem_exit_2(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    result = runner.invoke(cli, ["protocol", "show", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: /levels/1/count: level 'burst': must be >= 1, got 0" in result.output
    assert f"{path}:5: /waveform" in result.output
    assert "Traceback" not in result.output


def test_unknown_name_and_bad_param(runner):
    result = runner.invoke(cli, ["protocol", "schedule", "itbs600"])
    assert result.exit_code == 2 and "did you mean itbs_600" in result.output
    result = runner.invoke(cli, ["protocol", "show", "itbs_600", "-p", "x=1"])
    assert result.exit_code == 2 and "takes no parameters" in result.output


def test_real_subprocess_bad_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    exe = Path(sys.executable).parent / "nwbtms"
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from nwbtms.cli import main; main()"]
    proc = subprocess.run([*command, "protocol", "schedule", str(path)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "/levels/1/count" in proc.stderr and "/waveform" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("name", ["snt_day", "snt_course"])
def test_show_documents_the_snt_gap_reading(runner, name):
    result = runner.invoke(cli, ["protocol", "show", name])
    assert result.exit_code == 0
    assert "is read as the gap from the nominal end of one session" in result.output
    assert "session  x10     every 1 h, gap 50 min; stated as 50 min gap after end" in result.output
