"""``nwbtms init``: recognise raw files, fill what they say, mark every unknown; convert refuses drafts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import ExampleParameters, generate  # noqa: E402
from nwbtms.cli import main  # noqa: E402
from nwbtms.errors import MetadataError  # noqa: E402
from nwbtms.metadata import load_session  # noqa: E402
from nwbtms.metadata.init import draft_metadata, recognise, write_draft  # noqa: E402

TINY = ExampleParameters(sessions=1, num_frames=40, frame_size=64)


@pytest.fixture(scope="module")
def raw_session(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("init")
    generate(out, TINY)
    return out


def test_recognises_every_example_file(raw_session):
    found = {s.reader: s for s in recognise(raw_session / "raw")}
    assert set(found) == {"wavesurfer", "stimulator_log", "scanimage", "suite2p"}
    daq = found["wavesurfer"]
    assert daq.facts["sample_rate_hz"] == TINY.daq_rate_hz
    assert daq.facts["channels"] == ["TMS_trigger", "frame_clock"]
    assert found["suite2p"].path.name == "plane0"


def test_draft_marks_unknowns_and_convert_refuses_listing_them(raw_session, capsys):
    target = raw_session / "draft.yaml"
    draft = write_draft(raw_session / "raw", target)
    assert draft.num_placeholders >= 10
    data = yaml.safe_load(target.read_text())
    assert data["sources"]["wavesurfer"]["path"] == "raw/daq.h5"
    assert "TMS_trigger" in data["sources"]["wavesurfer"]["options"]["trigger_channel"]
    assert data["imaging_planes"]["plane0"]["segmentation"] == "suite2p"
    with pytest.raises(MetadataError) as info:
        load_session(target)
    problems = info.value.problems
    assert problems and all(p.message.startswith("placeholder left") for p in problems)
    lines = target.read_text().splitlines()
    for problem in problems:
        assert "<FILL ME" in lines[problem.line - 1]
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", str(target), "-o", str(raw_session / "x.nwb")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "placeholder" in err and "draft.yaml:" in err and "Traceback" not in err
    assert not (raw_session / "x.nwb").exists()


def test_draft_names_no_absolute_path_of_this_machine(raw_session, capsys):
    """The header comment lists the files relative to RAWDIR; a file meant to be shared."""
    target = raw_session / "shared.yaml"
    with pytest.raises(SystemExit) as info:
        main(["init", str((raw_session / "raw").resolve()), "-o", str(target)])
    assert info.value.code == 0
    text = target.read_text()
    assert str(raw_session.resolve()) not in text and str(raw_session) not in text
    assert "#   wavesurfer: daq.h5 (" in text and "#   suite2p: suite2p/plane0" in text
    found = [line for line in capsys.readouterr().err.splitlines() if line.startswith("found ")]
    assert found and not any(str(raw_session) in line for line in found)  # the terminal says the same
    assert "allow_absolute_paths" not in yaml.safe_load(text)


def test_draft_outside_the_raw_folder_allows_its_paths(raw_session, tmp_path):
    """A draft written elsewhere points back with '../' and says so, so convert does not refuse the paths."""
    target = tmp_path / "elsewhere" / "session.yaml"
    target.parent.mkdir()
    write_draft(raw_session / "raw", target)
    data = yaml.safe_load(target.read_text())
    assert data["allow_absolute_paths"] is True
    assert data["sources"]["wavesurfer"]["path"].startswith("../")
    assert "allow_absolute_paths is true" in target.read_text()
    with pytest.raises(MetadataError) as info:
        load_session(target)
    assert all(p.message.startswith("placeholder left") for p in info.value.problems)


def test_init_cli_does_not_overwrite(raw_session, capsys):
    target = raw_session / "existing.yaml"
    target.write_text("keep: me\n")
    with pytest.raises(SystemExit) as info:
        main(["init", str(raw_session / "raw"), "-o", str(target)])
    assert info.value.code == 2
    assert target.read_text() == "keep: me\n"


@pytest.mark.realdata
def test_recognises_real_instrument_files(realdata, tmp_path):
    readers = {s.reader for s in recognise(realdata)}
    assert {"wavesurfer", "tdms", "abf", "openephys", "brainsight", "localite", "scanimage", "bruker",
            "suite2p"} <= readers
    assert "tiff" not in readers  # the Bruker series' MIP and reference TIFFs are part of its XML's series
    draft = draft_metadata(realdata, metadata_dir=tmp_path)
    assert all(entry["path"] for entry in draft.data["sources"].values())


@pytest.mark.realdata
def test_localite_draft_names_trigger_markers_not_trigger_data(realdata, tmp_path):
    """TMS Navigator's TriggerData*.xml (display settings) are never drafted; the marker lists are."""
    from nwbtms.sources.navigation import read_localite_triggers

    localite = [s for s in recognise(realdata / "localite") if s.reader == "localite"]
    names = [s.path.name for s in localite]
    assert names and all(n.startswith("TriggerMarkers_Coil0_") for n in names)
    assert "TriggerMarkers_Coil0_20240905174623122.xml" in names
    for source in localite:
        read_localite_triggers(source.path)  # every drafted file reads
    [untracked] = [s.facts["untracked"] for s in localite if s.path.name.endswith("174623122.xml")]
    assert untracked == 2
    stimulation = draft_metadata(realdata / "localite").data["stimulation"]  # a Localite-only rig
    assert stimulation["pulses_from"] in {s.key for s in localite} and "navigator" not in stimulation


def test_relative_time_tdms_leaves_session_start_a_placeholder(tmp_path):
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    props = {"wf_increment": 1e-4, "wf_start_time": np.datetime64("1904-01-01T00:00:00")}
    with TdmsWriter(tmp_path / "rig.tdms") as writer:
        writer.write_segment([GroupObject("Acq"), ChannelObject("Acq", "trigger", np.zeros(10), properties=props)])
    start = draft_metadata(tmp_path).data["nwbfile"]["session_start_time"]
    assert "1904" not in start and start.startswith("<FILL ME") and "relative time" in start


def test_wavesurfer_074_trial_file_is_recognised(tmp_path):
    from nwbtms.sources.daq.testing import write_old_wavesurfer

    write_old_wavesurfer(tmp_path / "ws_0p74_data_0001.h5", np.zeros((2, 100)), version="0.74",
                         sample_rate_hz=20000, channel_names=["V1", "I1"])
    [source] = recognise(tmp_path)
    assert source.reader == "wavesurfer" and source.facts["channels"] == ["V1", "I1"]


#: what a user types over each placeholder of the draft (by key; list placeholders by their list's key)
FILLED = {
    "session_description": "One iTBS session with two-photon imaging.", "session_start_time":
    "2026-03-02T09:30:00-08:00", "session_id": "day1", "experimenter": ["Doe, Jane"], "lab": "TMS lab",
    "institution": "UCLA", "subject_id": "M001", "species": "Mus musculus", "sex": "M", "age": "P84D",
    "mode": "standard", "name": "model", "manufacturer": "MagVenture", "shape": "circular", "preset": "itbs_600",
    "value": 45, "space": "bregma_stereotaxic", "origin": "bregma", "orientation": "RAS", "label": "dmPFC",
    "atlas_term": "PL", "target_position": [0.3, 1.9, -2.0], "targeting_method": "stereotaxic",
    "coil_handle_angle_in_deg": 0.0, "trigger_channel": "TMS_trigger", "frame_clock_channel": "frame_clock",
    "description": "described", "excitation_lambda_nm": 920, "indicator": "GCaMP6f", "location": "PL",
}


def _fill(node, path: tuple = ()):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            placeholder = isinstance(value, str) and value.startswith("<FILL ME") or (
                isinstance(value, list) and any(isinstance(v, str) and v.startswith("<FILL ME") for v in value))
            if placeholder:
                out[key] = f"{path[-2]} model" if key == "name" else FILLED[key]  # model names are unique
            else:
                out[key] = _fill(value, (*path, key))
        return out
    return node


def test_readme_flow_init_fill_convert_validate_exits_0(tmp_path, capsys):
    """README: init, fill every placeholder, convert, validate: each step succeeds (no silent frame-clock or
    coil-orientation gap left by the draft)."""
    generate(tmp_path / "rig", ExampleParameters(sessions=1, num_frames=70, frame_size=64))  # time is longest
    draft = tmp_path / "session.yaml"
    main_exit = _run(["init", str(tmp_path / "rig" / "raw"), "-o", str(draft)])
    assert main_exit == 0
    data = _fill(yaml.safe_load(draft.read_text()))
    assert "<FILL ME" not in yaml.safe_dump(data)
    draft.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "dandiset"
    assert _run(["convert", str(draft), "--dandi-layout", str(out)]) == 0, capsys.readouterr().err
    assert _run(["validate", str(out)]) == 0, capsys.readouterr().out


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code


def test_photometry_recording_drafts_a_photometry_section(tmp_path):
    from nwbtms.metadata.load import check_metadata
    from nwbtms.sources.photometry.testing import write_ppd

    write_ppd(tmp_path / "fiber.ppd", duration_s=2.0, pulse_times_s=[0.5, 1.0])
    draft = write_draft(tmp_path, tmp_path / "session.yaml")
    section = draft.data["photometry"]
    assert section["source"] == "pyphotometry"
    assert set(section["fibers"]["fiber0"]["signals"]) == {"analog_1", "analog_2"}
    assert "digital_1 (2 edges)" in section["sync"]["digital_input"]
    problems = check_metadata(tmp_path / "session.yaml")[4]
    assert problems and all(p.message.startswith("placeholder left") for p in problems)
