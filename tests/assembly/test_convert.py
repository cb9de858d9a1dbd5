"""convert_session end to end on the aiTBS example, and the guarantees around writing the output."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse import demo  # noqa: E402
from examples.aitbs_mouse.generator import ExampleParameters, delivered_pulses_s, generate  # noqa: E402
from nwbtms import convert_session  # noqa: E402
from nwbtms.assembly.convert import TEST_HOOK_ENV  # noqa: E402
from nwbtms.cli import main  # noqa: E402
from nwbtms.errors import ConversionError, NwbtmsError, OutputExistsError  # noqa: E402

TINY = ExampleParameters(sessions=1, num_frames=40, frame_size=64)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The full example (3 iTBS sessions, 600 frames) run once for the module by ``make demo``'s code."""
    folder = tmp_path_factory.mktemp("aitbs")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        outcome = demo.run_one_mouse(folder)
    return folder, outcome, stdout.getvalue(), stderr.getvalue()


def test_demo_prints_where_the_file_is(example):
    folder, outcome, stdout, stderr = example
    assert outcome.exit_code == 0, stderr
    assert outcome.result.output == folder / "nwb" / "sub-M001" / "sub-M001_ses-aitbs-day1.nwb"
    assert stdout.splitlines()[-1] == f"demo file: {outcome.result.output.resolve()}"
    assert "pynwb.validate: 0 error(s)" in stderr and "pulses: 1799" in stderr
    # the clock fit of the imaging plane is reported (generator: imaging clock 20 ppm fast)
    [clock] = [line for line in stderr.splitlines() if "imaging plane 'plane0' clock" in line]
    assert "drift 20." in clock or "drift 19." in clock


def test_demo_follows_the_spines_to_the_followup_day(example):
    from examples.aitbs_mouse.generator import FOLLOWUP_GAINED, FOLLOWUP_LOST

    folder, outcome, _, stderr = example
    assert outcome.followup.output == folder / "nwb" / "sub-M001" / "sub-M001_ses-followup-day8.nwb"
    assert outcome.followup.exit_code == 0 and "turnover per session pair" in stderr
    [pooled] = outcome.turnover.pooled()
    assert (pooled.from_session, pooled.to_session, pooled.cell_type) == ("aitbs-day1", "followup-day8", "IT")
    assert (pooled.n_start, pooled.n_end, pooled.gained, pooled.lost) == (6, 6, len(FOLLOWUP_GAINED),
                                                                          len(FOLLOWUP_LOST))
    assert pooled.interval_days == pytest.approx(7.0 - 1 / 24)  # 09:30 local both days; DST began on 8 March


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A one-session example with a short movie keeping the raw DAQ traces, for the write-guarantee tests."""
    folder = tmp_path_factory.mktemp("tiny")
    metadata = generate(folder, TINY)
    text = metadata.read_text().replace("  artifact_window_s:", "  keep_raw_traces: true\n  artifact_window_s:")
    metadata.write_text(text)
    return metadata


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".partial-" in p.name]


def test_example_counts(example):
    result = example[1].result
    assert result.exit_code == 0, [str(f.message) for f in result.findings]
    # 3 iTBS-600 sessions with one pulse dropped by the stimulator (generator's dropped_pulse)
    assert (result.num_pulses, result.num_sessions, result.num_frames, result.num_rois) == (1799, 3, 600, 9)
    assert any("1 missing" in note for note in result.notes)


def test_example_content(example):
    from pynwb import NWBHDF5IO

    result = example[1].result
    with NWBHDF5IO(str(result.output), "r") as io:
        nwbfile = io.read()
        tms = nwbfile.lab_meta_data["tms"]
        pulses, sessions = nwbfile.events["tms_pulses"], nwbfile.intervals["tms_sessions"]
        assert len(pulses) == 1799
        assert np.all(np.diff(pulses["timestamp"][:]) > 0)
        assert set(pulses["session"].data[:]) == {0, 1, 2} and pulses["session"].table is sessions
        # schedule indices from the reconciliation: the pulse the stimulator dropped (generator's
        # dropped_pulse: session 1, train 12, burst 4, pulse 2) is the one triple missing
        triples = np.stack([pulses["session"].data[:]]
                           + [pulses[f"{level}_number"][:] for level in ("train", "burst", "pulse")], 1)
        assert triples.min(axis=0).tolist() == [0, 0, 0, 0] and triples.max(axis=0).tolist() == [2, 19, 9, 2]
        assert len({tuple(t) for t in triples}) == 1799
        assert [1, 12, 4, 2] not in triples.tolist() and [0, 12, 4, 2] in triples.tolist()
        assert np.isfinite(pulses["scheduled_time_in_s"][:]).all()
        assert np.allclose(pulses["intensity_in_percent_mso"][:], 45.0)  # 100 % of the 45 %MSO threshold
        assert np.isfinite(pulses["di_dt_in_a_per_us"][:]).all()  # from the stimulator log
        assert list(sessions["num_pulses"][:]) == [600, 599, 600]
        assert list(tms.reconciliation["num_missing"][:]) == [0, 1, 0]
        assert list(tms.protocols["protocol_name"][:]) == ["itbs_600", "aitbs_mouse_day"]
        assert tms.protocols["intensity_in_percent_mso"][0] == pytest.approx(45.0)
        # ndx-tms 0.2 placement and convention fields of the example
        assert pulses.container_source and "tms_pulses" in nwbfile.events and "tms_sessions" in nwbfile.intervals
        assert list(tms.protocols["timing_interval_convention"][0]) == ["onset_to_onset"] * 3
        assert tms.protocols["depth_adjustment_method"][0] == "none"
        assert tms.thresholds["coil_orientation_in_deg"][0] == 0.0
        assert tms.targets["atlas_term"][0] == "MOs" and tms.targets["coil_handle_angle_in_deg"][0] == 0.0
        assert nwbfile.devices["coil"].model.handle_axis == "+y"
        assert nwbfile.imaging_planes["ImagingPlane"].location == "MOs"
        skull = tms.tms_registrations["skull"]
        assert list(skull.landmark_label[:]) == ["bregma", "lambda"] and skull.rms_error_in_mm == 0.02
        assert skull.coordinate_space is tms.tms_coordinate_spaces["bregma"]
        assert nwbfile.subject.genotype.startswith("Tlx3-Cre")
        manipulations = nwbfile.events["manipulations"]
        assert manipulations["substance"][0] == "deschloroclozapine (DCZ)"
        assert manipulations["route"][0] == "intraperitoneal"
        assert manipulations["dose"][0] == pytest.approx(0.1) and manipulations["timestamp"][0] == -1200.0
        assert manipulations["target_cell_type"][0] == "IT"
        assert {"stimulator", "coil", "microscope"} <= set(nwbfile.devices)
        series = nwbfile.acquisition["TwoPhotonSeries"]
        assert series.data.shape == (600, 128, 128)
        ophys = nwbfile.processing["ophys"]
        rois = ophys["ImageSegmentation"].plane_segmentations["PlaneSegmentation"]
        assert list(rois["roi_kind"][:]) == ["soma", "dendrite", "dendrite"] + ["spine"] * 6
        labels = set(rois["cell_type"].table["label"][:][i] for i in rois["cell_type"].data[:])
        assert labels == {"IT"}
        assert tms.cell_types["cre_line"][0] == "Tlx3-Cre_PL56"
        alignment = next(v for k, v in ophys.data_interfaces.items() if k.endswith("clock_alignment"))
        assert alignment.drift_in_ppm == pytest.approx(20.0, abs=2.0)  # generator's imaging drift
        mask = next(v for k, v in ophys.data_interfaces.items() if k.endswith("artifact_mask"))
        masked = np.asarray(mask.mask[:])
        assert 0 < masked.sum() < masked.size
    import h5py

    with h5py.File(result.output, "r") as h5:
        assert "events/tms_pulses/session" in h5 and "intervals/tms_sessions/start_time" in h5
        assert "general/tms/pulses" not in h5 and "general/tms/sessions" not in h5


def test_example_passes_pynwb_validate(example):
    assert example[1].pynwb_errors == []  # the demo ran pynwb.validate on its file


def test_example_passes_nwbinspector_dandi(example, tmp_path):
    result = example[1].result
    report = tmp_path / "inspector.json"
    inspector = Path(sys.executable).with_name("nwbinspector")
    completed = subprocess.run([str(inspector), "--config", "dandi", "--json-file-path", str(report),
                                str(result.output)], capture_output=True, text=True, timeout=300)
    assert report.is_file(), completed.stdout + completed.stderr
    messages = json.loads(report.read_text())["messages"]
    blocking = [m for m in messages if m["importance"] in ("CRITICAL", "BEST_PRACTICE_VIOLATION", "ERROR",
                                                          "PYNWB_VALIDATION")]
    assert blocking == []


def test_existing_output_untouched_without_overwrite(example, capsys):
    metadata, result = example[1].metadata, example[1].result
    before = _sha(result.output)
    with pytest.raises(OutputExistsError):
        convert_session(metadata, result.output)
    with pytest.raises(SystemExit) as info:
        main(["convert", str(metadata), "-o", str(result.output)])
    assert info.value.code == 2
    assert "--overwrite" in capsys.readouterr().err
    assert _sha(result.output) == before


def test_cli_dandi_layout_summary_and_fast_profile_note(tiny, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["convert", str(tiny), "--dandi-layout", str(tmp_path / "dandiset"), "--profile", "fast"])
    assert info.value.code == 0
    expected = tmp_path / "dandiset" / "sub-M001" / "sub-M001_ses-aitbs-day1.nwb"
    captured = capsys.readouterr()
    assert captured.out.strip() == str(expected)  # data on stdout: only the file written
    # the summary on stderr: pulses, sessions, frames, ROIs, findings, and what readers need
    assert "pulses: 600  sessions: 1  frames: 40  ROIs: 9" in captured.err
    assert "findings: " in captured.err
    # what of the DAQ was kept is named (channels, sweeps, samples)
    assert "raw traces of 'TMS_trigger', 'frame_clock' stored, 1 sweep(s)" in captured.err
    assert "imaging plane 'plane0': wrote TwoPhotonSeries" in captured.err
    [note] = [line for line in captured.err.splitlines() if "hdf5plugin" in line]
    assert note.strip().startswith("note:") and "fast" in note
    import h5py

    from nwbtms.io.compression import BLOSC_FILTER_ID

    with h5py.File(expected, "r") as handle:
        assert str(BLOSC_FILTER_ID) in handle["acquisition/TwoPhotonSeries/data"]._filters  # --profile fast
        assert handle["acquisition/daq_TMS_trigger/data"].shape[0] > 0  # keep_raw_traces
    # --quiet drops the summary but never the note that readers need hdf5plugin
    with pytest.raises(SystemExit) as info:
        main(["convert", str(tiny), "-o", str(tmp_path / "quiet.nwb"), "--profile", "fast", "-q", "--no-validate"])
    assert info.value.code == 0
    captured = capsys.readouterr()
    assert "pulses:" not in captured.err
    [note] = [line for line in captured.err.splitlines() if "hdf5plugin" in line]
    assert note.startswith("note:")


def test_dict_metadata_with_daq_start_offset(tiny, tmp_path):
    """convert_session takes a dict; daq_start_offset_s moves every DAQ-derived time, nothing else."""
    import yaml
    from pynwb import NWBHDF5IO

    data = yaml.safe_load(tiny.read_text())
    data["stimulation"]["daq_start_offset_s"] = 100.0
    result = convert_session(data, tmp_path / "offset.nwb", base_dir=tiny.parent, quiet=True, validate=False,
                             compression="none")
    assert result.metadata_file is None and result.num_pulses == 600
    sample_s = 1 / TINY.daq_rate_hz
    with NWBHDF5IO(str(result.output), "r") as io:
        nwbfile = io.read()
        pulses = nwbfile.events["tms_pulses"]
        delivered = delivered_pulses_s(TINY) + 100.0
        assert np.allclose(pulses["timestamp"][:], delivered, atol=sample_s)
        assert nwbfile.intervals["tms_sessions"]["start_time"][0] == pytest.approx(delivered[0], abs=sample_s)
        assert np.allclose(pulses["scheduled_time_in_s"][:], delivered, atol=2 * sample_s)
        assert nwbfile.acquisition["daq_TMS_trigger"].starting_time == pytest.approx(100.0)
        frames = nwbfile.acquisition["TwoPhotonSeries"].timestamps[:]
        assert frames[0] == pytest.approx(TINY.imaging_start_s + 100.0, abs=sample_s)
        assert nwbfile.events["manipulations"]["timestamp"][0] == TINY.dcz_time_s  # session_start_time based


def test_exception_mid_write_leaves_nothing(tiny, tmp_path, monkeypatch):
    target = tmp_path / "failed.nwb"
    monkeypatch.setenv(TEST_HOOK_ENV, "raise")
    with pytest.raises(ConversionError) as info:
        convert_session(tiny, target, quiet=True)
    assert "mid-write" in str(info.value)
    assert not target.exists() and _partials(tmp_path) == []


def test_sigkill_mid_write_leaves_no_output(tiny, tmp_path):
    target = tmp_path / "killed.nwb"
    env = {**os.environ, TEST_HOOK_ENV: "sleep:120"}
    code = (f"from nwbtms import convert_session; "
            f"convert_session({str(tiny)!r}, {str(target)!r}, quiet=True, validate=False)")
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _partials(tmp_path):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the conversion never started writing"
            time.sleep(0.2)
        partial = _partials(tmp_path)[0]
        # wait until the hook sleeps (file written and closed): size stops changing
        size = -1
        while partial.stat().st_size != size:
            size = partial.stat().st_size
            time.sleep(0.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert not target.exists()
    assert _partials(tmp_path) == [partial]  # a hidden leftover, never the target
    convert_session(tiny, target, quiet=True, validate=False)  # the next run cleans the dead process's partial file
    assert target.is_file() and _partials(tmp_path) == []


def _localite_markers(path: Path, times_s, untracked) -> Path:
    """A TriggerMarkers_Coil0 list in TMS Navigator's layout; ``untracked`` rows get the identity Matrix4D."""
    rows = []
    for k, time_s in enumerate(times_s):
        matrix = np.eye(4)
        if k not in untracked:
            angle = 0.1 + 0.001 * k
            matrix[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
            matrix[:3, 3] = (-40.0, -2.0, 60.0)
        attrs = " ".join(f'data{r}{c}="{float(matrix[r, c])!r}"' for r in range(4) for c in range(4))
        rows.append(f'  <TriggerMarker recordingTime="{round(time_s * 1000)}" set="true"><ResponseValues>'
                    f'<Value key="amplitudeA" response="0.0"/></ResponseValues><Matrix4D {attrs}/></TriggerMarker>')
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<TriggerMarkerList coordinateSpace="RAS" '
                    'startTime="12:00:00.0">\n' + "\n".join(rows) + "\n</TriggerMarkerList>\n")
    return path


def test_untracked_navigator_samples_are_nan_and_counted_in_the_summary(tiny, tmp_path):
    import yaml
    from pynwb import NWBHDF5IO

    data = yaml.safe_load(tiny.read_text())
    delivered = delivered_pulses_s(TINY)
    untracked = {3, 10, 11}
    name = "TriggerMarkers_Coil0_20260101120000000.xml"
    _localite_markers(tiny.parent / name, delivered, untracked)
    data["sources"]["nav"] = {"reader": "localite", "path": name}
    data["stimulation"]["navigator"] = "nav"
    data.pop("imaging_planes", None)
    result = convert_session(data, tmp_path / "nav.nwb", base_dir=tiny.parent, quiet=True, validate=False)
    [note] = [n for n in result.notes if "navigator" in n and "valid coil pose" in n]  # one line for them
    assert f"3 of {delivered.size} sample(s) without a valid coil pose" in note
    assert f"3 of {delivered.size} sample(s)" in result.summary()
    with NWBHDF5IO(str(result.output), "r") as io:
        pose = io.read().events["tms_pulses"]["measured_coil_pose"][:]
    nan_rows = np.flatnonzero(np.isnan(pose).all(axis=(1, 2)))
    assert set(nan_rows.tolist()) == untracked and np.isfinite(np.delete(pose, nan_rows, axis=0)).all()


def _two_channel_session(tiny: Path, channels=None) -> dict:
    """The tiny example's metadata, imaging only, reading a two-channel ScanImage movie beside it."""
    import yaml

    from nwbtms.sources.imaging.testing import write_scanimage

    folder = tiny.parent / "two_channel"
    if not folder.exists():
        folder.mkdir()
        write_scanimage(folder, num_volumes=5, channels=(1, 2), shape=(8, 10), stem="dual_00001")
    data = yaml.safe_load(tiny.read_text())
    data.pop("stimulation", None)
    movie = next(folder.glob("*.tif"))
    data["sources"] = {"movie": {"reader": "scanimage", "path": os.path.relpath(movie, tiny.parent)}}
    plane = data["imaging_planes"]["plane0"]
    for key in ("segmentation", "roi_labels", "cell_type", "optical_channel"):
        plane.pop(key, None)
    plane.update(imaging="movie", clock="none")
    if channels is not None:
        plane["channels"] = channels
    data["imaging_planes"] = {"plane0": plane}
    return data


def test_every_channel_of_a_movie_is_converted_and_named(tiny, tmp_path):
    from pynwb import NWBHDF5IO

    from nwbtms.sources.imaging import open_imaging

    data = _two_channel_session(tiny)
    source = open_imaging(tiny.parent / data["sources"]["movie"]["path"])
    data["imaging_planes"]["plane0"]["optical_channel"] = {"name": source.channels[1], "emission_lambda_nm": 600}
    result = convert_session(data, tmp_path / "dual.nwb", base_dir=tiny.parent, quiet=True, validate=False,
                             compression="none")
    assert any("optical_channels per channel" in note for note in result.notes)
    names = [f"TwoPhotonSeries_{c.replace(' ', '_')}" for c in source.channels]
    assert len(names) == 2
    assert any(all(n in note for n in names) for note in result.notes), result.notes
    with NWBHDF5IO(str(result.output), "r") as io:
        nwbfile = io.read()
        for index, name in enumerate(names):
            series = nwbfile.acquisition[name]
            np.testing.assert_array_equal(series.data[:], source.read_frames(channel=index))
            assert series.imaging_plane.name == "ImagingPlane"
            assert series.rate == nwbfile.acquisition[names[0]].rate
        optical = nwbfile.acquisition[names[0]].imaging_plane.optical_channel
        assert [c.name for c in optical] == source.channels
        assert np.isnan(optical[0].emission_lambda) and optical[1].emission_lambda == 600
    picked = _two_channel_session(tiny, channels=[source.channels[1]])
    result = convert_session(picked, tmp_path / "one.nwb", base_dir=tiny.parent, quiet=True, validate=False,
                             compression="none")
    assert any("NOT converted" in note and source.channels[0] in note for note in result.notes)
    with NWBHDF5IO(str(result.output), "r") as io:
        series = io.read().acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(series.data[:], source.read_frames(channel=1))


def test_dandi_layout_names_never_collide_silently(tiny, tmp_path):
    import yaml

    metadata = yaml.safe_load(tiny.read_text())
    metadata["subject"]["subject_id"] = "Maus_ü1"
    first = convert_session(metadata, dandi_layout=tmp_path, quiet=True, validate=False, base_dir=tiny.parent)
    digest = _sha(first.output)
    metadata["subject"]["subject_id"] = "Maus_ä1"  # the same sub-Maus-1 once sanitised
    with pytest.raises(OutputExistsError) as info:
        convert_session(metadata, dandi_layout=tmp_path, overwrite=True, quiet=True, validate=False,
                        base_dir=tiny.parent)
    assert "another session" in info.value.message and "'Maus_ü1'" in info.value.message
    assert _sha(first.output) == digest


def test_failed_dandi_layout_run_leaves_no_empty_folder(tiny, tmp_path):
    import yaml

    metadata = yaml.safe_load(tiny.read_text())
    metadata["sources"]["daq"]["path"] = "raw/missing.h5"
    with pytest.raises(NwbtmsError):
        convert_session(metadata, dandi_layout=tmp_path / "dandiset", quiet=True, base_dir=tiny.parent)
    assert list(tmp_path.iterdir()) == []


def test_bruker_ch1_and_ch2_both_converted_with_shared_timestamps(tiny, tmp_path):
    """A PrairieView Ch1+Ch2 T-series (Ch2 is often the GCaMP channel): both series, one set of frame times."""
    from pynwb import NWBHDF5IO

    from nwbtms.sources.imaging.testing import write_tseries

    data = _two_channel_session(tiny)
    folder = tiny.parent / "bruker_two_channel"
    if not folder.exists():
        write_tseries(folder, num_frames=4, channels=(1, 2), voltage=False)
    data["sources"]["movie"] = {"reader": "bruker", "path": os.path.relpath(folder, tiny.parent)}
    result = convert_session(data, tmp_path / "bruker.nwb", base_dir=tiny.parent, quiet=True, validate=False,
                             compression="none")
    assert any("TwoPhotonSeries_Ch1, TwoPhotonSeries_Ch2" in note for note in result.notes), result.notes
    with NWBHDF5IO(str(result.output), "r") as io:
        acquisition = io.read().acquisition
        ch1, ch2 = acquisition["TwoPhotonSeries_Ch1"], acquisition["TwoPhotonSeries_Ch2"]
        np.testing.assert_array_equal(ch2.timestamps[:], ch1.timestamps[:])
        assert ch1.data[0, 0, 0] == 1 and ch2.data[0, 0, 0] == 2  # pixel = 100 * frame + channel
        assert ch2.data[3, 0, 0] == 302


def test_every_dropped_or_unmatched_input_has_a_summary_line(tiny, tmp_path):
    import shutil

    import yaml

    metadata = yaml.safe_load(tiny.read_text())
    log = tmp_path / "stimulator_log.csv"
    shutil.copyfile(tiny.parent / metadata["sources"]["stim_log"]["path"], log)
    with open(log, "a", encoding="utf-8") as handle:  # three rows long after the last pulse
        handle.writelines(f"{5000.0 + k:.6f},45,71.0,30.0,standard,biphasic\n" for k in range(3))
    metadata["sources"]["stim_log"]["path"] = str(log)
    metadata["allow_absolute_paths"] = True
    result = convert_session(metadata, tmp_path / "out.nwb", quiet=True, validate=False, base_dir=tiny.parent)
    [note] = [n for n in result.notes if "matched no pulse" in n]
    assert "stimulator_log.csv: 3 of" in note and "dropped" in note
    assert "matched no pulse" in result.summary()


def test_no_pulse_at_all_is_said():
    from nwbtms.assembly.stimulation import input_notes
    from nwbtms.pulses.merge import merge_pulse_sources

    [note] = input_notes(merge_pulse_sources(np.zeros(0), tolerance_s=0.005), "Localite markers (TriggerMarkers.xml)")
    assert note.startswith("no pulse found in the pulse source (Localite markers")


def test_a_wrong_channel_or_movie_reader_points_at_the_metadata_line(tiny, tmp_path):
    import tifffile
    import yaml

    text = tiny.read_text()
    wrong_channel = tmp_path / "channel.yaml"
    wrong_channel.write_text(text.replace("trigger_channel: TMS_trigger", "trigger_channel: TMS_trig"))
    with pytest.raises(NwbtmsError) as info:
        convert_session(wrong_channel, tmp_path / "a.nwb", quiet=True, base_dir=tiny.parent)
    line = next(i for i, t in enumerate(wrong_channel.read_text().splitlines(), 1) if "TMS_trig}" in t
                or "TMS_trig," in t or t.strip().endswith("TMS_trig"))
    assert info.value.line == line and info.value.field == "/sources/daq/options/trigger_channel"
    assert "'TMS_trigger'" in info.value.message  # the channels the file has

    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((5, 8, 8), np.uint16))  # not a ScanImage TIFF
    metadata = yaml.safe_load(text)
    metadata["sources"]["scanimage"]["path"] = str(tmp_path / "plain.tif")
    metadata["allow_absolute_paths"] = True
    with pytest.raises(NwbtmsError) as info:
        convert_session(metadata, tmp_path / "b.nwb", quiet=True, base_dir=tiny.parent)
    assert info.value.field == "/sources/scanimage/reader" and "reader: tiff" in info.value.hint
