"""Every reader over every file in ``../shared/realdata``, numbers compared with the format's own library.

``nwbtms inspect``'s library (:func:`nwbtms.sources.inspect.inspect_path`) opens each file through the reader
it belongs to; the counts, rates, names and sample values are then checked against pyabf, nptdms, h5py,
tifffile, numpy and the XML itself. Files nwbtms does not read must be refused with the file and a reason;
the expected refusals are listed, so a file that starts or stops being read fails here.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nwbtms.errors import NwbtmsError
from nwbtms.sources.inspect import inspect_path

#: Files nwbtms refuses, by a pattern of their path, and what the refusal says.
REFUSED = {
    r"README\.md$|readme\.md$": "no nwbtms reader recognises this .md file",
    r"InstrumentMarker\d+\.xml$": "InstrumentMarker",
    r"TriggerData\d+\.xml$": "TriggerData",
    r"LineScan-.*\.(xml|env)$": "line scan",
    r"Window\d-Ch\d-8bit-Reference\.tif$": "pages are",  # RGBA display snapshots, not frames
}


def _all_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.realdata
def test_inspect_reads_or_refuses_every_real_file(realdata):
    kinds = {}
    for path in _all_files(realdata):
        name = path.relative_to(realdata).as_posix()
        refusal = next((why for pattern, why in REFUSED.items() if re.search(pattern, name)), None)
        try:
            summary = inspect_path(path)
        except NwbtmsError as exc:
            # the file refused: this one, or the file of its folder it belongs to (a series' XML for its .cfg)
            assert path.name in str(exc) or str(path.parent) in str(exc), name
            assert refusal is not None, f"{name} refused: {exc}"
            assert refusal in str(exc), f"{name}: {exc}"
            continue
        assert refusal is None, f"{name} should be refused ({refusal}) but read as {summary['reader']}"
        assert summary["kind"] and summary["reader"], name
        json.dumps(summary)  # one JSON object
        kinds.setdefault(summary["kind"], set()).add(summary["reader"])
    assert kinds == {"daq": {"abf", "tdms", "wavesurfer", "openephys"}, "navigator": {"localite", "brainsight"},
                     "imaging": {"scanimage", "bruker", "tiff"}, "segmentation": {"suite2p"}, "zstack": {"bruker"}}


@pytest.mark.realdata
def test_abf_numbers_match_pyabf(realdata):
    import pyabf

    from nwbtms.sources.daq import open_recording

    for path in sorted((realdata / "abf").glob("*.abf")):
        summary = inspect_path(path)
        abf = pyabf.ABF(str(path))
        assert summary["sampling_rate_hz"] == abf.dataRate
        assert [(c["name"], c["unit"]) for c in summary["channels"]] == list(zip(abf.adcNames, abf.adcUnits,
                                                                                 strict=True))
        assert len(summary["sweeps"]) == abf.sweepCount
        with open_recording(path) as rec:
            for sweep in (0, abf.sweepCount - 1):
                for channel in range(abf.channelCount):
                    abf.setSweep(sweep, channel=channel, absoluteTime=True)
                    assert summary["sweeps"][sweep]["num_samples"] == len(abf.sweepY)
                    assert summary["sweeps"][sweep]["start_s"] == pytest.approx(abf.sweepX[0])
                    got = np.concatenate([c.data for c in rec.iter_chunks(rec.channels[channel].name,
                                                                          segment=sweep)])
                    np.testing.assert_array_equal(got, abf.sweepY.astype(np.float64))


@pytest.mark.realdata
def test_tdms_numbers_match_nptdms(realdata):
    from nptdms import TdmsFile

    from nwbtms.sources.daq import open_recording

    for path in sorted((realdata / "tdms").glob("*.tdms")):
        summary = inspect_path(path)
        tdms = TdmsFile.read(path)
        first = next(c for g in tdms.groups() for c in g.channels() if len(c))
        assert summary["sampling_rate_hz"] == pytest.approx(1 / first.properties["wf_increment"], rel=1e-12)
        group = tdms[first.group_name]
        assert [c["name"] for c in summary["channels"]] == [c.name for c in group.channels()]
        with open_recording(path) as rec:
            for channel in group.channels():
                assert rec.num_samples == len(channel)
                got = np.concatenate([c.data for c in rec.iter_chunks(channel.name)])
                np.testing.assert_array_equal(got, channel[:].astype(got.dtype))


@pytest.mark.realdata
def test_wavesurfer_numbers_match_h5py(realdata):
    import h5py

    from nwbtms.sources.daq import open_recording

    for path in sorted((realdata / "wavesurfer").glob("*.h5")):
        summary = inspect_path(path)
        with h5py.File(path, "r") as h5:
            rate = h5["header/AcquisitionSampleRate"] if "header/AcquisitionSampleRate" in h5 else \
                h5["header/Acquisition/SampleRate"]
            assert summary["sampling_rate_hz"] == float(np.asarray(rate).reshape(-1)[0])
            sweeps = sorted(k for k in h5 if k.startswith("sweep_"))
            assert [s["num_samples"] for s in summary["sweeps"]] == [h5[k]["analogScans"].shape[1] for k in sweeps]
            with open_recording(path) as rec:
                analog = [c for c in rec.channels if c.kind == "analog"]
                assert len(analog) == h5[sweeps[0]]["analogScans"].shape[0]
                raw = next(rec.iter_raw_chunks(analog[-1].name, segment=len(sweeps) - 1)).data
                np.testing.assert_array_equal(raw, h5[sweeps[-1]]["analogScans"][len(analog) - 1, :raw.size])


@pytest.mark.realdata
def test_openephys_numbers_match_the_oebin_and_dat(realdata):
    recording = next((realdata / "openephys").rglob("structure.oebin")).parent
    structure = json.loads((recording / "structure.oebin").read_text())
    for stream in structure["continuous"]:
        folder = recording / "continuous" / stream["folder_name"].strip("/")
        summary = inspect_path(folder / "continuous.dat")
        assert summary["metadata"]["stream"].strip("/") == stream["folder_name"].strip("/")
        assert summary["sampling_rate_hz"] == stream["sample_rate"]
        analog = [c for c in summary["channels"] if c["type"] == "analog"]
        assert [c["name"] for c in analog] == [c["channel_name"] for c in stream["channels"]]
        samples = (folder / "continuous.dat").stat().st_size // (2 * stream["num_channels"])
        assert summary["num_samples"] == samples


@pytest.mark.realdata
def test_tiff_movies_match_tifffile(realdata):
    import tifffile

    from nwbtms.sources.imaging import open_imaging

    path = realdata / "scanimage" / "Blank-IPA_1s_16r_032.tif"
    summary = inspect_path(path)
    with tifffile.TiffFile(path) as tif:
        pages = len(tif.pages)
        assert summary["frame_shape"] == list(tif.pages[0].shape)
        assert summary["num_frames"] * len(summary["channels"]) * summary["planes"] == pages
        source = open_imaging(path)
        np.testing.assert_array_equal(source.read_frames(0, 3), np.stack([tif.pages[i].asarray() for i in range(3)]))
    for path in sorted((realdata / "bruker").rglob("*16bit-Reference.tif")) + sorted(
            (realdata / "bruker").rglob("*_MIP.tif")):
        summary = inspect_path(path)
        with tifffile.TiffFile(path) as tif:
            assert summary["num_frames"] == len(tif.pages) and summary["frame_shape"] == list(tif.pages[0].shape)
            assert summary["frame_rate_hz"] is None  # a plain TIFF states none


@pytest.mark.realdata
def test_bruker_tseries_match_the_xml(realdata):
    for path in sorted((realdata / "bruker").rglob("TSeries-*.xml")):
        summary = inspect_path(path)
        root = ET.parse(path).getroot()
        frames = root.findall(".//Sequence/Frame")
        channels = sorted({f.get("channelName") for f in root.iter("File")})
        assert summary["num_frames"] == len(frames) and summary["channels"] == channels


@pytest.mark.realdata
def test_navigators_match_the_files(realdata):
    for path in sorted((realdata / "localite").rglob("TriggerMarkers_*.xml")):
        summary = inspect_path(path)
        markers = ET.parse(path).getroot().findall("TriggerMarker")
        identity = [m for m in markers if all(float(m.find("Matrix4D").get(f"data{r}{c}")) == float(r == c)
                                              for r in range(3) for c in range(3))]
        assert (summary["samples"], summary["untracked"]) == (len(markers), len(identity))
        assert summary["coordinate_space"] == "MNI"
    for path in sorted((realdata / "brainsight").glob("*.txt")):
        summary = inspect_path(path)
        lines = path.read_text().splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("# Sample Name"))
        rows = [line for line in lines[header + 1:] if line.startswith("Sample")]
        assert summary["samples"] == len(rows) and summary["reader"] == "brainsight"


@pytest.mark.realdata
def test_suite2p_matches_numpy(realdata):
    plane = realdata / "suite2p" / "fissa_example" / "suite2p" / "plane0"
    summary = inspect_path(plane / "F.npy")
    traces = np.load(plane / "F.npy")
    assert (summary["rois"], summary["num_frames"]) == traces.shape


@pytest.mark.realdata
def test_bruker_zseries_matches_the_xml(realdata):
    path = next((realdata / "bruker").rglob("ZSeries-*.xml"))
    summary = inspect_path(path.with_name(path.stem + "Config.cfg"))  # its config file leads to the series
    root = ET.parse(path).getroot()
    frames = root.findall(".//Sequence/Frame")
    assert summary["kind"] == "zstack" and summary["num_slices"] == len(frames)
    assert summary["channels"] == sorted({f.get("channelName") for f in root.iter("File")})
