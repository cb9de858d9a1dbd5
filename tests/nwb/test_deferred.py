"""Raw DAQ and fluorescence traces allocated empty, then filled by the parallel deflate path: same data as
hdmf's own streamed write, gzip datasets any reader opens."""

from __future__ import annotations

import datetime as dt
import zlib

import h5py
import numpy as np
from pynwb import NWBHDF5IO, NWBFile, validate

from nwbtms.assembly.segmentation import add_suite2p_plane
from nwbtms.io.nwb_write import write_nwbfile
from nwbtms.nwb.deferred import fill_arrays
from nwbtms.nwb.pulses import raw_trace_series


def _nwbfile() -> NWBFile:
    return NWBFile(session_description="deferred", identifier="deferred-test",
                   session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))


def test_raw_trace_and_suite2p_traces_filled_after_write(tmp_path):
    from types import SimpleNamespace

    from pynwb.ophys import OpticalChannel

    from nwbtms.sources.daq import open_recording
    from nwbtms.sources.daq.testing import write_wavesurfer

    n = 50_001  # an edge chunk
    analog = np.zeros((1, n), dtype=np.int16)
    analog[0] = (np.arange(n) % 977).astype(np.int16)
    path = write_wavesurfer(tmp_path / "rig.h5", [analog], sample_rate_hz=20_000.0, channel_names=["trigger"],
                            coefficients=[[0.0, 1e-4, 0.0, 0.0]])
    recording = open_recording(path)
    pending: list = []
    nwbfile = _nwbfile()
    nwbfile.add_acquisition(raw_trace_series(recording, "trigger", chunk_samples=4096, buffer_samples=16_384,
                                             pending=pending))
    rng = np.random.default_rng(0)
    num_rois, num_frames = 7, 301
    traces = {key: rng.random((num_rois, num_frames), dtype=np.float32) for key in ("F", "Fneu", "spks")}
    stat = [{"ypix": np.array([i]), "xpix": np.array([i]), "lam": np.array([1.0], dtype=np.float32)}
            for i in range(num_rois)]
    plane = SimpleNamespace(stat=stat, ops={"fs": 30.0}, iscell=np.ones((num_rois, 2)), folder="s2p/plane0",
                            **traces)
    device = nwbfile.create_device(name="Microscope", description="2p")
    imaging_plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=OpticalChannel(name="g", description="g", emission_lambda=510.0),
        description="L5", device=device, excitation_lambda=920.0, indicator="GCaMP6f", location="PL")
    add_suite2p_plane(nwbfile, plane, imaging_plane=imaging_plane, pending=pending)
    assert [p.name for p in pending] == ["daq_trigger", "Fluorescence/RoiResponseSeries",
                                         "Fluorescence/Neuropil", "Deconvolved/RoiResponseSeries"]
    written = {}
    out = write_nwbfile(nwbfile, tmp_path / "traces.nwb", after_write=lambda: written.update(fill_arrays(pending)))
    recording_expected = recording.read("trigger").astype(np.float32)
    recording.close()
    assert written["daq_trigger"] == n and written["Fluorescence/Neuropil"] == num_frames
    assert validate(path=str(out)) == []
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        series = read.acquisition["daq_trigger"]
        assert series.data.compression == "gzip" and series.data.chunks == (4096,)
        np.testing.assert_array_equal(series.data[:], recording_expected)
        ophys = read.processing["ophys"]
        np.testing.assert_array_equal(ophys["Fluorescence"]["RoiResponseSeries"].data[:], traces["F"].T)
        np.testing.assert_array_equal(ophys["Fluorescence"]["Neuropil"].data[:], traces["Fneu"].T)
        np.testing.assert_array_equal(ophys["Deconvolved"]["RoiResponseSeries"].data[:], traces["spks"].T)
    with h5py.File(out, "r") as f:  # stored chunks are plain zlib streams
        _, stored = f["acquisition/daq_trigger/data"].id.read_direct_chunk((4096,))
        np.testing.assert_array_equal(np.frombuffer(zlib.decompress(stored), np.float32),
                                      recording_expected[4096:8192])
