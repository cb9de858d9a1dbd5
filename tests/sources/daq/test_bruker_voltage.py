"""Bruker PrairieView VoltageRecording through the DAQ interface: open_recording, detection, the CLI."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from nwbtms.cli import main
from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.pulses import detect_pulses
from nwbtms.sources.daq import guess_format, open_recording
from nwbtms.sources.daq.testing import write_voltage_recording as write_voltage_recording_pair

RATE_HZ = 10_000
#: (name in the XML, input channel, enabled): the CSV holds the enabled ones, in this order.
SIGNALS = (("Input 0", "0", True), ("Input 1", "1", False), ("TMS trigger", "2", True))
ONSETS_S = (0.0102345, 0.0303, 0.0704321)
RISE_SAMPLES = 6


def write_voltage_recording(stem, *, num_samples=1000, t0_ms=0.0):
    """A pair whose "TMS trigger" (CSV column "Input 2") holds trapezoid pulses; returns the 50 % crossings."""
    t_s = np.arange(num_samples) / RATE_HZ
    trigger = np.zeros(num_samples)
    rise_s = RISE_SAMPLES / RATE_HZ
    for onset in ONSETS_S:
        trigger += 5.0 * (np.clip((t_s - onset) / rise_s, 0, 1) - np.clip((t_s - onset - 0.002) / rise_s, 0, 1))
    columns = np.column_stack([0.001 * np.arange(num_samples), trigger])
    xml, csv_path = write_voltage_recording_pair(stem, SIGNALS, columns, rate_hz=RATE_HZ, t0_ms=t0_ms)
    return xml, csv_path, np.asarray(ONSETS_S) + rise_s / 2, trigger


@pytest.mark.parametrize("which", ["xml", "csv"])
def test_open_recording_maps_columns_by_the_xml(tmp_path, which):
    xml, csv_path, _, trigger = write_voltage_recording(tmp_path / "TSeries-001_Cycle00001_VoltageRecording_001")
    path = xml if which == "xml" else csv_path
    assert guess_format(path) == "bruker_voltage"
    with open_recording(path) as rec:
        assert rec.format == "bruker_voltage" and rec.sample_rate_hz == RATE_HZ
        # the CSV header says "Input 2"; the XML names that enabled signal "TMS trigger"
        assert [(c.name, c.kind, c.unit) for c in rec.channels] == [
            ("Input 0", "analog", "V"),
            ("TMS trigger", "analog", "V"),
        ]
        assert rec.segments[0].num_samples == 1000 and rec.segments[0].start_time_s == 0.0
        got = np.concatenate([c.data for c in rec.iter_chunks("TMS trigger", chunk_samples=97)])
        np.testing.assert_allclose(got, trigger, atol=1e-6)
        np.testing.assert_allclose(rec.read("Input 0", start=10, stop=13), [0.010, 0.011, 0.012])
        with pytest.raises(ChannelNotFoundError, match="'TMS trigger'"):
            rec.channel("Input 1")  # disabled: not in the CSV


def test_detection_on_the_imaging_clock(tmp_path):
    xml, _, truth, _ = write_voltage_recording(tmp_path / "T_VoltageRecording_001", t0_ms=250.0)
    with open_recording(xml) as rec:
        assert rec.segments[0].start_time_s == pytest.approx(0.25)
        found = detect_pulses(rec, "TMS trigger", chunk_samples=64)
    assert len(found) == len(truth)
    assert np.max(np.abs(found.times_s - (truth + 0.25))) * RATE_HZ < 0.1
    np.testing.assert_allclose(found.amplitudes, 5.0, atol=1e-6)


def test_malformed_row_names_its_line(tmp_path):
    _, csv_path, _, _ = write_voltage_recording(tmp_path / "T_VoltageRecording_001")
    lines = csv_path.read_text().splitlines()
    lines[500] = "49.900000,0.499000,oops"
    csv_path.write_text("\n".join(lines) + "\n")
    with open_recording(csv_path) as rec, pytest.raises(SourceError) as err:
        detect_pulses(rec, "TMS trigger", chunk_samples=128)
    assert err.value.line == 501 and "T_VoltageRecording_001.csv" in str(err.value)


def run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_cli_detects_pulses_in_a_voltage_recording(tmp_path, capsys):
    xml, csv_path, truth, _ = write_voltage_recording(tmp_path / "T_VoltageRecording_001")
    for path in (xml, csv_path):
        code, out, err = run(["pulses", "detect", str(path)], capsys)
        assert code == 0, err
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][:2] == ["time_s", "amplitude"] and "TMS trigger" in err
        np.testing.assert_allclose([float(r[0]) for r in rows[1:]], truth, atol=0.1 / RATE_HZ)
    out_file = tmp_path / "pulses.csv"
    code, _, err = run(["pulses", "detect", str(xml), "-c", "Input 1", "-o", str(out_file)], capsys)
    assert code == 2 and "'Input 0'" in err and "'TMS trigger'" in err and "Traceback" not in err
    assert not out_file.exists()
    csv_path.with_suffix(".xml").unlink()
    code, _, err = run(["pulses", "detect", str(csv_path)], capsys)
    assert code == 2 and "T_VoltageRecording_001.xml" in err


def test_master_xml_reads_the_pair_it_names_everywhere(tmp_path, capsys):
    """A voltage-recording-only PrairieView acquisition opened from its master XML (PVScan, dataFile=)."""
    from nwbtms.metadata.init import recognise
    from nwbtms.sources.daq.testing import write_voltage_recording_master
    from nwbtms.sources.imaging import open_imaging

    columns = np.column_stack([np.zeros(500), np.r_[np.zeros(100), 5 * np.ones(50), np.zeros(350)]])
    master = write_voltage_recording_master(tmp_path, "cell1-001", SIGNALS, columns, rate_hz=RATE_HZ)
    assert guess_format(master) == "bruker_voltage"
    with open_recording(master) as rec:  # not <stem>.csv, which does not exist
        assert rec.channel_names == ["Input 0", "TMS trigger"] and rec.num_samples == 500
        assert rec.path.name == "cell1-001_Cycle00001_VoltageRecording_001.csv"
        pulses = detect_pulses(rec, "TMS trigger", threshold=2.5)
        assert pulses.times_s == pytest.approx([0.01], abs=1e-4)
    with pytest.raises(SourceError, match="voltage recording") as err:
        open_imaging(master)
    assert "bruker_voltage" in err.value.hint
    assert [(s.reader, s.path.name) for s in recognise(tmp_path)] == [("bruker_voltage", "cell1-001.xml")]
    with pytest.raises(SystemExit) as exit_info:
        main(["pulses", "detect", str(master), "--channel", "TMS trigger", "--threshold", "2.5"])
    assert exit_info.value.code == 0 and "0.00995" in capsys.readouterr().out
