"""Streamed TwoPhotonSeries: every profile roundtrips through pynwb; chunks, headers, atomicity."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterator

import h5py
import numpy as np
import pytest
import tifffile
from pynwb import NWBHDF5IO, NWBFile, validate

from nwbtms.errors import OutputExistsError, SourceError
from nwbtms.imaging.artifacts import METHOD_TEXT, build_artifact_mask
from nwbtms.imaging.clock import build_clock_alignment, fit_clock
from nwbtms.io.compression import MAX_CHUNK_BYTES
from nwbtms.nwb.imaging import add_imaging_plane, add_two_photon_series, write_nwbfile_with_movies
from nwbtms.sources.imaging import open_imaging
from nwbtms.sources.imaging.testing import write_scanimage, write_tseries


def _nwbfile() -> NWBFile:
    return NWBFile(session_description="imaging test", identifier="imaging-test",
                   session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))


def _movie(n=37, rows=40, cols=30) -> np.ndarray:
    rng = np.random.default_rng(5)
    return (rng.poisson(300, size=(n, rows, cols)) + np.arange(cols)).astype(np.uint16)


@pytest.fixture
def tiff_source(tmp_path):
    movie = _movie()
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, movie)
    return open_imaging(path, frame_rate_hz=30.0), movie


class ArraySource:
    """A duck-typed imaging source over arrays (the writer needs no more)."""

    def __init__(self, blocks, rate=30.0, timestamps=None, path="array.tif"):
        self.blocks = blocks
        self.num_frames = sum(len(b) for b in blocks)
        self.frame_shape = blocks[0].shape[1:]
        self.dtype = blocks[0].dtype
        self.frame_rate_hz = rate
        self.timestamps_s = timestamps
        self.raw_header = {"SI.hRoiManager.scanFrameRate": rate}
        self.path = path

    def iter_frames(self, *, channel=0, plane=0, start=0, stop=None,
                    frames_per_chunk=None) -> Iterator[np.ndarray]:
        yield from self.blocks


def _add(nwbfile, source, profile, **kwargs):
    plane_name = f"ImagingPlane{len(nwbfile.imaging_planes) or ''}"
    plane = add_imaging_plane(nwbfile, source, name=plane_name, indicator="GCaMP6f", location="PL",
                              excitation_lambda_nm=920.0, emission_lambda_nm=510.0)
    return add_two_photon_series(nwbfile, source, imaging_plane=plane, profile=profile, **kwargs)


@pytest.mark.parametrize("profile", ["archive", "fast", "none"])
def test_every_profile_roundtrips(tmp_path, tiff_source, profile):
    source, movie = tiff_source
    nwbfile = _nwbfile()
    pending = _add(nwbfile, source, profile, buffer_bytes=3 * movie[0].nbytes)
    out = tmp_path / f"{profile}.nwb"
    result = write_nwbfile_with_movies(nwbfile, out, [pending])
    assert result.frames_written == {"TwoPhotonSeries": len(movie)}
    assert result.needs_hdf5plugin == (profile == "fast")
    if profile == "fast":
        import hdf5plugin  # noqa: F401
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        series = read.acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(series.data[:], movie)
        assert series.rate == 30.0
        assert "movie.tif" in read.acquisition["TwoPhotonSeries_raw_header"]["source_file"][0]
        chunks = series.data.chunks
        assert chunks[1:] == movie.shape[1:]
        assert np.prod(chunks) * movie.dtype.itemsize <= MAX_CHUNK_BYTES
    assert validate(path=str(out)) == []


def test_archive_file_opens_with_plain_h5py(tmp_path, tiff_source):
    source, movie = tiff_source
    nwbfile = _nwbfile()
    write_nwbfile_with_movies(nwbfile, tmp_path / "a.nwb", [_add(nwbfile, source, "archive")])
    with h5py.File(tmp_path / "a.nwb", "r") as f:
        data = f["acquisition/TwoPhotonSeries/data"]
        assert data.compression == "gzip"
        np.testing.assert_array_equal(data[5:9], movie[5:9])


def test_timestamps_on_session_clock_with_mask_and_alignment(tmp_path):
    device_times = np.arange(50) / 20.0 + np.random.default_rng(0).uniform(0, 1e-3, 50)
    daq_times = 4.0 + (1 + 30e-6) * device_times
    fit = fit_clock(device_times, daq_times)
    blocks = [np.full((25, 8, 8), 7, dtype=np.uint16), np.full((25, 8, 8), 9, dtype=np.uint16)]
    source = ArraySource(blocks, rate=20.0, timestamps=device_times)
    nwbfile = _nwbfile()
    pending = _add(nwbfile, source, "archive", clock_fit=fit)
    ophys = nwbfile.create_processing_module(name="ophys", description="optical physiology")
    ophys.add(build_artifact_mask(pending.series, [5.0], (-0.001, 0.06)))
    ophys.add(build_clock_alignment(fit, name="scanimage_to_daq", aligned_clock="scanimage",
                                    reference_clock="DAQ", shared_signal="frame clock"))
    write_nwbfile_with_movies(nwbfile, tmp_path / "t.nwb", [pending])
    with NWBHDF5IO(str(tmp_path / "t.nwb"), "r") as io:
        read = io.read()
        series = read.acquisition["TwoPhotonSeries"]
        np.testing.assert_allclose(series.timestamps[:], daq_times, atol=1e-9)
        record = read.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"]
        expected = (daq_times <= 5.06) & (daq_times + 1 / 20.0 > 4.999)
        np.testing.assert_array_equal(record.mask[:], expected)
        assert record.series is series and record.method == METHOD_TEXT  # stored with how it was computed
        assert list(record.artifact_window_in_s[:]) == [-0.001, 0.06]
        alignment = read.processing["ophys"]["scanimage_to_daq"]
        np.testing.assert_allclose(alignment.residual_in_s[:], fit.residuals_s)
        assert alignment.rms_residual_in_s == pytest.approx(fit.rms_residual_s)
        assert alignment.drift_in_ppm == pytest.approx(30.0, abs=0.5)
    assert validate(path=str(tmp_path / "t.nwb")) == []


def test_frame_of_other_shape_leaves_no_output(tmp_path):
    blocks = [np.zeros((4, 8, 8), np.uint16), np.zeros((2, 8, 9), np.uint16)]
    source = ArraySource(blocks)
    source.num_frames = 6
    source.frame_shape = (8, 8)
    nwbfile = _nwbfile()
    out = tmp_path / "bad.nwb"
    with pytest.raises(SourceError, match="frame 4 has shape") as info:
        write_nwbfile_with_movies(nwbfile, out, [_add(nwbfile, source, "archive")])
    assert info.value.file == "array.tif"
    assert list(tmp_path.iterdir()) == []


def test_truncated_source_leaves_no_output_and_existing_file_is_kept(tmp_path):
    source = ArraySource([np.zeros((4, 8, 8), np.uint16)])
    source.num_frames = 10
    out = tmp_path / "t.nwb"
    out.write_bytes(b"old")
    nwbfile = _nwbfile()
    pending = _add(nwbfile, source, "none")
    with pytest.raises(OutputExistsError):
        write_nwbfile_with_movies(nwbfile, out, [pending])
    with pytest.raises(SourceError, match="yielded 4 frames"):
        write_nwbfile_with_movies(nwbfile, out, [pending], overwrite=True)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.nwb"]


@pytest.mark.realdata
def test_real_scanimage_file_streams_into_nwb(tmp_path, realdata):
    source = open_imaging(realdata / "scanimage" / "Blank-IPA_1s_16r_032.tif")
    nwbfile = _nwbfile()
    out = tmp_path / "si.nwb"
    write_nwbfile_with_movies(nwbfile, out, [_add(nwbfile, source, "archive")])
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["TwoPhotonSeries"].data[:], source.read_frames())
        header = read.acquisition["TwoPhotonSeries_raw_header"]["header"][0]
        assert header == source.raw_header and "state." in header
    assert validate(path=str(out)) == []


def test_full_raw_headers_are_kept_verbatim(tmp_path):
    """ScanImage 2016+: the SI header and the ROI group JSON; Bruker: the whole master XML."""
    folder = tmp_path / "si"
    folder.mkdir()
    roi_groups = '{"RoiGroups": {"imagingRoiGroup": {"rois": [{"name": "ROI 1"}]}}}'
    (path,) = write_scanimage(folder, num_volumes=3, header_block=True, roi_groups_json=roi_groups)
    bruker_xml = write_tseries(tmp_path / "TSeries-001")
    nwbfile = _nwbfile()
    pending = [_add(nwbfile, open_imaging(path), "none"),
               _add(nwbfile, open_imaging(bruker_xml), "none", name="Bruker")]
    write_nwbfile_with_movies(nwbfile, tmp_path / "h.nwb", pending)
    with NWBHDF5IO(str(tmp_path / "h.nwb"), "r") as io:
        acquisition = io.read().acquisition
        table = acquisition["TwoPhotonSeries_raw_header"].to_dataframe()
        assert table["part"].tolist() == ["header", "roi_groups_json"]
        assert table["source_file"].tolist() == [path.name] * 2
        with tifffile.TiffFile(path) as tif:
            assert table["header"][0] == tif.pages.first.software
        assert table["header"][1] == roi_groups
        assert "Raw header" in acquisition["TwoPhotonSeries"].comments
        bruker = acquisition["Bruker_raw_header"].to_dataframe()
        assert bruker["header"][0] == bruker_xml.read_text(encoding="utf-8-sig")


def _truncate(path, keep_bytes):
    path.write_bytes(path.read_bytes()[:keep_bytes])


def _scanimage(folder):
    folder.mkdir()
    return write_scanimage(folder, num_volumes=6)[0]


def _bad_input_cases():
    """(name, make(tmp) -> (path to open, damage after opening or None), the file the error must name)."""

    def truncated_before(tmp):
        path = _scanimage(tmp / "in")
        _truncate(path, path.stat().st_size - 100)
        return path, None, path.name

    def truncated_while_converting(tmp):
        path = _scanimage(tmp / "in")
        return path, lambda: _truncate(path, path.stat().st_size // 2), path.name

    def frame_of_other_shape(tmp):
        xml = write_tseries(tmp / "in" / "TSeries-001")
        odd = xml.parent / "TSeries-001_Cycle00001_Ch1_000004.ome.tif"
        return xml, lambda: tifffile.imwrite(odd, np.zeros((4, 4), np.uint16)), odd.name

    def missing_xml(tmp):
        xml = write_tseries(tmp / "in" / "TSeries-001")
        xml.unlink()
        return xml.parent, None, "TSeries-001.xml) is missing"

    def frame_tiff_gone(tmp):
        xml = write_tseries(tmp / "in" / "TSeries-001")
        gone = xml.parent / "TSeries-001_Cycle00001_Ch1_000003.ome.tif"
        return xml, gone.unlink, gone.name

    return [truncated_before, truncated_while_converting, frame_of_other_shape, missing_xml, frame_tiff_gone]


@pytest.mark.parametrize("case", _bad_input_cases(), ids=lambda case: case.__name__)
def test_bad_input_names_the_file_and_leaves_no_output(tmp_path, case):
    """Opening or streaming a bad movie raises a SourceError naming the file; the output folder stays empty."""
    path, damage, named = case(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(SourceError) as info:
        source = open_imaging(path)
        nwbfile = _nwbfile()
        pending = _add(nwbfile, source, "archive", buffer_bytes=source.frame_bytes)
        if damage is not None:
            damage()
        write_nwbfile_with_movies(nwbfile, out_dir / "session.nwb", [pending])
    assert named in str(info.value)
    assert list(out_dir.iterdir()) == []


def test_mismatched_suite2p_arrays_leave_no_output(tmp_path):
    from nwbtms.assembly.segmentation import add_suite2p_plane
    from nwbtms.sources.segmentation import read_suite2p

    folder = tmp_path / "plane0"
    folder.mkdir()
    rng = np.random.default_rng(2)
    stat = np.empty(2, dtype=object)
    stat[:] = [{"ypix": np.arange(3), "xpix": np.arange(3), "lam": np.ones(3)} for _ in range(2)]
    np.save(folder / "stat.npy", stat, allow_pickle=True)  # writing test data
    np.save(folder / "ops.npy", np.array({"fs": 30.0}, dtype=object), allow_pickle=True)
    for name, frames in (("F", 40), ("Fneu", 40), ("spks", 39)):
        np.save(folder / f"{name}.npy", rng.random((2, frames), dtype=np.float32))
    np.save(folder / "iscell.npy", np.ones((2, 2)))
    out = tmp_path / "out" / "session.nwb"
    out.parent.mkdir()
    with pytest.raises(SourceError, match=r"spks.npy has shape \(2, 39\)") as info:
        plane = read_suite2p(folder)
        nwbfile = _nwbfile()
        imaging_plane = add_imaging_plane(nwbfile, ArraySource([np.zeros((1, 4, 4), np.uint16)]),
                                          indicator="GCaMP6f", location="PL", excitation_lambda_nm=920.0,
                                          emission_lambda_nm=510.0)
        add_suite2p_plane(nwbfile, plane, imaging_plane=imaging_plane)
        write_nwbfile_with_movies(nwbfile, out)
    assert info.value.file.endswith("spks.npy")
    assert list(out.parent.iterdir()) == []


_MEMORY_SCRIPT = """
import datetime as dt, sys
import numpy as np, psutil
from pynwb import NWBFile
from nwbtms.nwb.imaging import add_imaging_plane, add_two_photon_series, write_nwbfile_with_movies

class GeneratedMovie:
    '''400 frames of 512 x 512 uint16 (210 MB), each made when asked for: the source holds no movie.'''
    num_frames, frame_shape, dtype, frame_rate_hz, path = 400, (512, 512), np.dtype("uint16"), 30.0, "generated"

    def iter_frames(self, *, channel=0, plane=0, start=0, stop=None, frames_per_chunk=None):
        base = (np.arange(512 * 512, dtype=np.uint32).reshape(512, 512) % 64).astype(np.uint16)
        for first in range(start, self.num_frames if stop is None else stop, frames_per_chunk):
            n = min(frames_per_chunk, self.num_frames - first)
            yield base + np.arange(first, first + n, dtype=np.uint16)[:, None, None]

nwbfile = NWBFile(session_description="memory", identifier="memory",
                  session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
source = GeneratedMovie()
plane = add_imaging_plane(nwbfile, source, indicator="GCaMP6f", location="PL", excitation_lambda_nm=920.0,
                          emission_lambda_nm=510.0)
pending = add_two_photon_series(nwbfile, source, imaging_plane=plane, profile=sys.argv[1])
before = psutil.Process().memory_info().rss
write_nwbfile_with_movies(nwbfile, sys.argv[2], [pending], quiet=True)
# VmHWM is this process image's own peak; ru_maxrss would include the parent's peak inherited across exec
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
print(peak - before)
"""


@pytest.mark.parametrize("profile", ["none", "archive"])
def test_writing_a_200_mb_movie_keeps_memory_bounded(tmp_path, profile):
    """Peak RSS growth while streaming a 210 MB generated movie stays within two frame buffers plus chunks
    in flight, far below the movie (a writer holding the movie would grow by 210 MB or more)."""
    import subprocess

    from nwbtms.io.compression import DEFAULT_BUFFER_BYTES

    movie_bytes = 400 * 512 * 512 * 2
    out = tmp_path / "movie.nwb"
    run = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, profile, str(out)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    growth = int(run.stdout.split()[-1])
    assert growth < 2 * DEFAULT_BUFFER_BYTES + 32 * 2**20, f"peak grew by {growth / 1e6:.0f} MB"
    assert growth < movie_bytes / 2
    with h5py.File(out, "r") as f:
        data = f["acquisition/TwoPhotonSeries/data"]
        assert data.shape == (400, 512, 512) and int(data[399, 0, 1]) == 1 + 399


def test_movie_without_frame_times_gets_start_and_rate_on_the_session_clock(tmp_path):
    device = np.arange(30) * 0.25
    fit = fit_clock(device, 4.0 + (1 + 50e-6) * device)
    source = ArraySource([np.zeros((10, 8, 8), np.uint16)], rate=20.0)
    nwbfile = _nwbfile()
    pending = _add(nwbfile, source, "none", clock_fit=fit, starting_time_s=0.5)
    write_nwbfile_with_movies(nwbfile, tmp_path / "r.nwb", [pending])
    with NWBHDF5IO(str(tmp_path / "r.nwb"), "r") as io:
        series = io.read().acquisition["TwoPhotonSeries"]
        assert series.timestamps is None
        assert series.starting_time == pytest.approx(4.0 + (1 + 50e-6) * 0.5, abs=1e-9)
        assert series.rate == pytest.approx(20.0 / (1 + 50e-6), rel=1e-12)


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress bars are drawn into it."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_per_movie_on_a_terminal_only_without_quiet(tmp_path, monkeypatch, quiet):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    source = ArraySource([np.zeros((12, 8, 8), np.uint16)])
    nwbfile = _nwbfile()
    pending = _add(nwbfile, source, "archive", name="Movie")
    write_nwbfile_with_movies(nwbfile, tmp_path / "p.nwb", [pending], quiet=quiet)
    assert ("Movie" in terminal.getvalue() and "chunk" in terminal.getvalue()) is not quiet
