"""A rig without a DAQ recording: ``stimulation.pulses_from`` names the stimulator log, whose times are the pulses."""

from __future__ import annotations

import numpy as np
import yaml
from pynwb import NWBHDF5IO

from examples.aitbs_mouse.generator import ExampleParameters, generate
from nwbtms import convert_session
from nwbtms.nwb.read import tms_tables


def test_pulses_from_a_stimulator_log(tmp_path):
    metadata = generate(tmp_path, ExampleParameters(sessions=1, num_frames=8, frame_size=32))
    data = yaml.safe_load(metadata.read_text())
    data["stimulation"]["pulses_from"] = "stim_log"
    data["stimulation"].pop("stimulator_log")
    for key in ("imaging_planes",):  # imaging aligns on the DAQ frame clock, which a log does not have
        data.pop(key)
    for key in ("daq", "scanimage", "suite2p", "rois"):
        data["sources"].pop(key)
    metadata.write_text(yaml.safe_dump(data, sort_keys=False))
    result = convert_session(metadata, tmp_path / "log.nwb", quiet=True, validate=False)
    assert (result.num_pulses, result.num_sessions) == (600, 1)
    log = np.loadtxt(tmp_path / "raw" / "stimulator_log.csv", delimiter=",", skiprows=2, usecols=0)
    with NWBHDF5IO(str(tmp_path / "log.nwb"), "r") as io:
        pulses = tms_tables(io.read())["tms_pulses"]
        np.testing.assert_allclose(pulses["timestamp"][:], log)
        assert set(np.asarray(pulses["source"][:]).astype(str)) == {"stimulator_log"}
        assert "times from the stimulator log" in pulses.description
        assert "stimulator_log.csv" in pulses.source_description
