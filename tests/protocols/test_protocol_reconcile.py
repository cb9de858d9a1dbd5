"""``nwbtms protocol reconcile`` and the interval conventions: MagPro-delivered pulses against THREE-D iTBS and
against Huang's iTBS (the other convention named), 10 Hz rTMS counted from the 40th pulse, bad CSV files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nwbtms.cli import cli
from nwbtms.protocols import build_schedule, get_preset, load_protocol
from nwbtms.protocols.compare import compare_with_protocol

DROPPED = (37, 300, 451, 599)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def delivered_csv(path, times_s) -> str:
    path.write_text("time_s,channel\n" + "".join(f"{t:.6f},ttl\n" for t in times_s))
    return str(path)


def magpro_pulses(name: str = "itbs_three_d", dropped=DROPPED) -> np.ndarray:
    """Pulses a stimulator delivers for ``name``: 12.3 s clock offset, 20 ppm drift, 50 us jitter, a few drops."""
    declared = build_schedule(get_preset(name)).times_s
    keep = np.setdiff1d(np.arange(declared.size), dropped)
    jitter = np.random.default_rng(7).normal(0.0, 5e-5, keep.size)
    return 12.3 + declared[keep] * (1 + 20e-6) + jitter


def test_three_d_schedule_ends_at_188_8_s(runner):
    result = runner.invoke(cli, ["protocol", "schedule", "itbs_three_d", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = result.output.strip().splitlines()
    assert rows[0] == "time_s,train,burst,pulse" and len(rows) == 601
    assert rows[-1] == "188.800000,19,9,2"


def test_magpro_pulses_reconcile_with_every_drop_located(runner, tmp_path):
    csv_path = delivered_csv(tmp_path / "pulses.csv", magpro_pulses())
    result = runner.invoke(cli, ["protocol", "reconcile", "itbs_three_d", "--pulses", csv_path, "--format", "json"])
    assert result.exit_code == 1, result.output  # pulses are missing
    data = json.loads(result.output)
    assert (data["matched"], data["missing"], data["extra"]) == (596, 4, 0)
    assert data["offset_s"] == pytest.approx(12.3, abs=1e-3) and data["drift_ppm"] == pytest.approx(20, abs=2)
    located = [(p["index"], p["train"], p["burst"], p["pulse"]) for p in data["missing_pulses"]]
    assert located == [(37, 1, 2, 1), (300, 10, 0, 0), (451, 15, 0, 1), (599, 19, 9, 2)]
    assert data["extra_pulses"] == [] and data["better_convention"] is None
    assert data["interval_conventions"]["train"] == "gap_after_last_pulse"


def test_the_other_convention_is_named_when_it_explains_the_pulses(runner, tmp_path):
    csv_path = delivered_csv(tmp_path / "pulses.csv", magpro_pulses())
    result = runner.invoke(cli, ["protocol", "reconcile", "itbs_600", "--pulses", csv_path, "--format", "json"])
    data = json.loads(result.output)
    assert data["missing"] > 400 and data["extra"] > 400  # Huang's 10 s trains do not fit 9.84 s trains
    assert all({"train", "burst", "pulse"} <= set(p) for p in data["missing_pulses"])
    assert all(p["location"] for p in data["extra_pulses"])
    better = data["better_convention"]
    assert (better["stated_as"], better["read_as"], better["interval_s"]) == ("gap_after_end",
                                                                           "gap_after_last_pulse", 9.84)
    assert (better["missing"], better["extra"]) == (4, 0)
    text = runner.invoke(cli, ["protocol", "reconcile", "itbs_600", "--pulses", csv_path]).output
    assert "MagVenture MagPro" in text and "trains every 9.84 s" in text


def test_ten_hz_trains_counted_from_the_40th_pulse():
    # FDA 10 Hz rTMS with "26 s off" counted from the 40th pulse: trains every 29.9 s instead of 30 s
    fda = get_preset("rtms_10hz_fda")
    magpro = fda.reread("train", "gap_after_end", "gap_after_last_pulse")
    assert magpro.level("train").interval_us == 29_900_000
    delivered = 3.0 + build_schedule(magpro).times_s
    comparison = compare_with_protocol(fda, np.delete(delivered, [5, 2999]))
    assert comparison.reconciliation.missing.size > 1000
    better = comparison.better
    assert better is not None and better.read_as == "gap_after_last_pulse"
    assert better.reconciliation.missing.tolist() == [5, 2999] and better.reconciliation.extra.size == 0


def test_protocol_file_states_the_gap_after_the_last_pulse(tmp_path):
    path = tmp_path / "magpro_itbs.yaml"
    path.write_text("""\
name: magpro_itbs
levels:
  - {name: pulse, count: 3, interval_s: 0.02}
  - {name: burst, count: 10, interval_s: 0.2}
  - {name: train, count: 20, gap_after_last_pulse_s: 8}
waveform: biphasic
intensity_value: 120
intensity_reference: percent_threshold
threshold_type: rmt
""")
    protocol = load_protocol(path)
    assert protocol.level("train").interval_us == 9_840_000 and protocol.duration_us == 188_800_000
    assert protocol == get_preset("itbs_three_d").__class__(**{**get_preset("itbs_three_d").__dict__,
                                                              "name": "magpro_itbs", "description": "",
                                                              "reference": ""})


@pytest.mark.parametrize(("content", "message"), [
    ("t\n1.0\n", "no time_s column"),
    ("time_s\n1.0\nabc\n", "bad.csv:3: time_s"),
    ("time_s\n", "no pulse times"),
])
def test_bad_pulse_files_exit_2(runner, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = runner.invoke(cli, ["protocol", "reconcile", "itbs_600", "--pulses", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
