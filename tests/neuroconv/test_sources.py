"""NeuroConv interfaces as ``nwbtms convert`` sources (``reader: neuroconv``), on files their libraries write.

- EEG in EDF written by pyedflib, read by NeuroConv's ``EDFRecordingInterface`` (neo/SpikeInterface);
- behavioural events in a CSV written by pandas, read by NeuroConv's ``CSVEventsInterface``;

both added to the demo session on the session clock, with nwbtms's checks, atomic write and summary. Without
NeuroConv installed, such a session names the extra to install and every other conversion still works.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pyedflib import highlevel
from pynwb import NWBHDF5IO

from nwbtms.cli import main
from nwbtms.nwb.read import tms_tables

EEG_RATE_HZ = 500
EEG_CHANNELS = ("frontal_L", "frontal_R", "parietal_L", "parietal_R")  # skull-screw EEG of the mouse
EEG_START_S = 4.0  # the EEG amplifier started 4 s after session_start_time
RESPONSES_S = np.array([12.0, 14.5, 17.25])


def _eeg(path: Path) -> np.ndarray:
    """Four EEG channels, 20 s, in microvolts, as an EDF+ file (pyedflib)."""
    rng = np.random.default_rng(3)
    t = np.arange(20 * EEG_RATE_HZ) / EEG_RATE_HZ
    signals = np.stack([40 * np.sin(2 * np.pi * (8 + k) * t) + rng.normal(0, 5, t.size) for k in range(4)])
    headers = highlevel.make_signal_headers(list(EEG_CHANNELS), dimension="uV", sample_frequency=EEG_RATE_HZ,
                                            physical_min=-200.0, physical_max=200.0)
    highlevel.write_edf(str(path), signals, headers)
    return signals


def _session_with(demo: Path, tmp_path: Path, sources: dict) -> Path:
    """The demo's metadata file with extra sources, beside the demo's raw folder."""
    data = yaml.safe_load(demo.read_text())
    data["sources"].update(sources)
    out = demo.parent / f"{tmp_path.name}.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def _convert(metadata: Path, out: Path, *extra: str, quiet: bool = True) -> int:
    with pytest.raises(SystemExit) as done:
        main([*(["--quiet"] if quiet else []), "convert", str(metadata), "-o", str(out), *extra])
    return int(done.value.code)


def test_edf_eeg_and_csv_events_convert_on_the_session_clock(demo, reference, tmp_path, capsys):
    raw = demo.parent / "raw"
    signals = _eeg(raw / "eeg.edf")
    pd.DataFrame({"time": RESPONSES_S, "response": ["twitch", "none", "twitch"]}).to_csv(
        raw / "responses.csv", index=False)
    metadata = _session_with(demo, tmp_path, {
        "eeg": {"reader": "neuroconv", "interface": "EDFRecordingInterface", "path": "raw/eeg.edf",
                "starting_time_s": EEG_START_S,
                "metadata": {  # NeuroConv's own metadata blocks: what NWB Inspector asks of electrodes
                    "Devices": {"amp": {"name": "EEGAmplifier", "description": "EEG headstage and amplifier."}},
                    "Ecephys": {"ElectrodeGroups": {"screws": {
                        "name": "ElectrodeGroup", "description": "Skull-screw EEG electrodes over cortex.",
                        "location": "Isocortex", "device_metadata_key": "amp"}}}}},
        "responses": {"reader": "neuroconv", "interface": "CSVEventsInterface", "path": "raw/responses.csv",
                      "options": {"timestamps_column": "time", "event_type_column": None,
                                  "value_columns": ["response"]},
                      "starting_time_s": 100.0},
    })
    out = tmp_path / "with_neuroconv.nwb"
    assert _convert(metadata, out, quiet=False) == 0
    summary = "".join(capsys.readouterr())
    assert "EDFRecordingInterface (NeuroConv" in summary and "CSVEventsInterface (NeuroConv" in summary
    # the whole validator, NWB Inspector included; skull-screw EEG sits on the skull, not at an Allen CCF
    # structure, which NeuroConv's electrodes table can only say through a recording property
    config = tmp_path / "validate.yaml"
    config.write_text("version: 1\ndemote:\n  - id: inspector.check_electrodes_location_allen_ccf\n"
                      "    to: BEST_PRACTICE_SUGGESTION\n    justification: skull-screw EEG electrodes\n")
    with pytest.raises(SystemExit) as validated:
        main(["--quiet", "validate", "--config", str(config), str(out)])
    assert validated.value.code == 0, capsys.readouterr().out

    with NWBHDF5IO(str(out), "r") as io, NWBHDF5IO(str(reference), "r") as ref_io:
        nwbfile, plain = io.read(), ref_io.read()
        [series] = [s for s in nwbfile.acquisition.values() if type(s).__name__ == "ElectricalSeries"]
        assert series.starting_time == pytest.approx(EEG_START_S)
        assert series.rate == EEG_RATE_HZ
        assert list(nwbfile.electrodes["channel_name"][:]) == list(EEG_CHANNELS)
        volts = series.data[:] * series.conversion + (series.offset or 0.0)
        np.testing.assert_allclose(volts.T * 1e6, signals, atol=2 * 400 / 65535)  # two of EDF's 16-bit steps
        [table] = [t for name, t in nwbfile.events.items() if name not in ("manipulations", "tms_pulses")]
        np.testing.assert_allclose(table["timestamp"][:], RESPONSES_S + 100.0)
        assert list(table["response"][:]) == ["twitch", "none", "twitch"]
        # the TMS part is untouched by the extra sources
        assert set(tms_tables(nwbfile)) == set(tms_tables(plain))
        np.testing.assert_array_equal(tms_tables(nwbfile)["tms_pulses"]["timestamp"][:],
                                      tms_tables(plain)["tms_pulses"]["timestamp"][:])


def test_unknown_interface_and_bad_source_data_are_reported_before_reading(demo, tmp_path, capsys):
    metadata = _session_with(demo, tmp_path, {
        "eeg": {"reader": "neuroconv", "interface": "EDFRecordngInterface", "path": "raw/daq.h5"},
        "events": {"reader": "neuroconv", "interface": "CSVEventsInterface", "path": "raw/stimulator_log.csv",
                   "options": {"timestamps_colum": "time_s"}},
    })
    out = tmp_path / "never.nwb"
    assert _convert(metadata, out) == 2
    err = capsys.readouterr().err
    assert "did you mean EDFRecordingInterface" in err and "timestamps_colum" in err and "/sources/events" in err
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


BLOCK_NEUROCONV = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "neuroconv" or name.startswith("neuroconv."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
sys.meta_path.insert(0, Block())
from nwbtms.cli import main
main(sys.argv[1:])
"""


def test_without_the_extra_other_conversions_work_and_neuroconv_names_the_extra(demo, tmp_path):
    metadata = _session_with(demo, tmp_path, {
        "eeg": {"reader": "neuroconv", "interface": "EDFRecordingInterface", "path": "raw/daq.h5"}})

    def run(*args):
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        return subprocess.run([sys.executable, "-c", BLOCK_NEUROCONV, "--quiet", *args], capture_output=True,
                              text=True, env=env, check=False)

    done = run("convert", str(metadata), "-o", str(tmp_path / "x.nwb"))
    assert done.returncode == 2 and "pip install 'nwbtms[neuroconv]'" in done.stderr
    assert "Traceback" not in done.stderr
    done = run("neuroconv", "interfaces")
    assert done.returncode == 2 and "pip install 'nwbtms[neuroconv]'" in done.stderr
    done = run("convert", str(demo), "-o", str(tmp_path / "plain.nwb"), "--no-validate")
    assert done.returncode == 0, done.stderr


def test_cli_lists_interfaces_and_their_source_schema(capsys):
    import json

    with pytest.raises(SystemExit) as done:
        main(["neuroconv", "interfaces", "--format", "json"])
    assert done.value.code == 0
    rows = {row["interface"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["EDFRecordingInterface"]["path"] == "file_path"
    assert rows["EDFRecordingInterface"]["install"] == "pip install 'neuroconv[edf]'"
    assert rows["SpikeGLXRecordingInterface"]["path"] == "folder_path"
    with pytest.raises(SystemExit) as done:
        main(["neuroconv", "schema", "CSVEventsInterface"])
    assert done.value.code == 0 and "timestamps_column" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["neuroconv", "schema", "EDFRecordngInterface"])
    assert done.value.code == 2 and "did you mean EDFRecordingInterface" in capsys.readouterr().err
