"""ScanImage reader: generated 2016+ acquisitions (channels, fast-z with flyback, split files, aux
triggers, timestamps), the real ScanImage 3.8 file, and broken inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.sources.imaging import open_imaging, open_scanimage
from nwbtms.sources.imaging.scanimage import is_scanimage_tiff


def code(volume: int, slice_: int, channel: int) -> int:
    return volume * 100 + slice_ * 10 + channel  # as pixel_code in conftest.py


def test_single_file_metadata_and_frames(scanimage_writer):
    (path,) = scanimage_writer(num_volumes=5, frame_rate_hz=30.0)
    source = open_imaging(path)
    assert source.format == "scanimage"
    assert (source.num_frames, source.frame_shape, source.dtype) == (5, (16, 20), np.dtype("int16"))
    assert len(source) == 5 and source.frame_bytes == 16 * 20 * 2
    assert source.frame_rate_hz == 30.0 and source.volume_rate_hz is None
    assert source.channels == ["Green"] and source.num_planes == 1 and source.flyback_frames == 0
    assert source.zoom == 2 and source.laser_power == 12.5
    assert source.field_of_view_um == (160.0, 200.0)
    assert source.pixel_size_um == (10.0, 10.0)
    assert source.start_datetime == dt.datetime(2024, 5, 6, 10, 11, 12, 500000)
    assert "SI.hRoiManager.scanFrameRate = 30.0" in source.raw_header
    np.testing.assert_allclose(source.timestamps_s, np.arange(5) / 30.0, atol=1e-6)
    frames = source.read_frames()
    assert [int(f[0, 0]) for f in frames] == [code(v, 0, 0) for v in range(5)]


def test_two_channels_are_deinterleaved(scanimage_writer):
    (path,) = scanimage_writer(num_volumes=4, channels=(1, 2))
    source = open_imaging(path)
    assert source.channels == ["Green", "Red"] and source.num_frames == 4
    red = source.read_frames(channel="Red")
    assert [int(f[0, 0]) for f in red] == [code(v, 0, 1) for v in range(4)]
    green = np.concatenate(list(source.iter_frames(channel=0, frames_per_chunk=3)))
    assert [int(f[0, 0]) for f in green] == [code(v, 0, 0) for v in range(4)]
    with pytest.raises(ChannelNotFoundError, match="Blue"):
        source.read_frames(channel="Blue")


def test_fast_z_volumes_skip_flyback_frames(scanimage_writer):
    (path,) = scanimage_writer(num_volumes=4, channels=(1, 2), planes=3, flyback=1, frame_rate_hz=40.0)
    source = open_imaging(path)
    assert (source.num_planes, source.flyback_frames, source.num_frames) == (3, 1, 4)
    assert source.volume_rate_hz == pytest.approx(10.0)
    assert [p.z_um for p in source.planes] == [0.0, 10.0, 20.0]
    for plane in range(3):
        for channel in range(2):
            frames = source.read_frames(plane=plane, channel=channel)
            assert [int(f[0, 0]) for f in frames] == [code(v, plane, channel) for v in range(4)]
    # plane 2 of volume v was acquired at slice index v * 4 + 2
    np.testing.assert_allclose(source.plane_timestamps_s(2), (np.arange(4) * 4 + 2) / 40.0, atol=1e-6)
    np.testing.assert_allclose(source.timestamps_s, np.arange(4) * 4 / 40.0, atol=1e-6)


def test_flyback_override_and_incomplete_volumes(scanimage_writer):
    (path,) = scanimage_writer(num_volumes=3, planes=3, flyback=1)
    with pytest.raises(SourceError, match="whole number of volumes"):
        open_scanimage(path, flyback_frames=2)  # 12 pages are not volumes of 5 slices


def test_split_acquisition_is_read_across_files_in_order(scanimage_writer):
    paths = scanimage_writer(num_volumes=10, channels=(1, 2), files=3)
    source = open_imaging(paths[1])  # any file of the acquisition finds its siblings
    assert source.paths == tuple(paths) and source.num_frames == 10
    for chunk_size in (1, 3, 7):
        frames = np.concatenate(list(source.iter_frames(channel=1, frames_per_chunk=chunk_size)))
        assert [int(f[0, 0]) for f in frames] == [code(v, 0, 1) for v in range(10)]
    part = source.read_frames(3, 8)
    assert [int(f[0, 0]) for f in part] == [code(v, 0, 0) for v in range(3, 8)]
    np.testing.assert_allclose(source.timestamps_s, np.arange(10) / 30.0, atol=1e-6)
    single = open_scanimage(paths[0], multi_file=False)
    assert single.paths == (paths[0],)


def test_missing_file_of_split_acquisition(scanimage_writer):
    paths = scanimage_writer(num_volumes=9, files=3)
    paths[1].unlink()
    with pytest.raises(SourceError, match=r"missing file number\(s\) \[2\]"):
        open_imaging(paths[0])


def test_aux_trigger_edges_on_the_imaging_clock(scanimage_writer):
    edges = [0.0123, 0.1001, 0.1002, 0.25]
    (path,) = scanimage_writer(num_volumes=9, channels=(1, 2), aux={"auxTrigger1": edges})
    source = open_imaging(path)
    assert set(source.aux_triggers) == {"auxTrigger1"}
    np.testing.assert_allclose(source.aux_triggers["auxTrigger1"], edges)  # not doubled by 2 channels


def test_real_scanimage_3_8_file(realdata):
    path = realdata / "scanimage" / "Blank-IPA_1s_16r_032.tif"
    assert is_scanimage_tiff(path)
    source = open_imaging(path)
    assert source.metadata["header_family"] == "3"
    assert (source.num_frames, source.frame_shape, source.dtype) == (30, (64, 64), np.dtype("uint16"))
    assert source.frame_rate_hz == pytest.approx(8.13802083333333)
    assert source.channels == ["Channel 2"] and source.zoom == pytest.approx(1.6)
    assert source.timestamps_s is None and source.aux_triggers == {}
    assert source.start_datetime == dt.datetime(2014, 7, 30, 21, 10, 0, 731000)
    assert source.raw_header.startswith("state.configPath=") and "\r" in source.raw_header
    with tifffile.TiffFile(path) as tif:
        expected = tif.asarray()
    np.testing.assert_array_equal(source.read_frames(), expected)


def test_truncated_file_is_refused(scanimage_writer, tmp_path):
    (path,) = scanimage_writer(num_volumes=5)
    data = path.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: len(data) - 100])
    with pytest.raises(SourceError) as info:
        open_imaging(cut, format="scanimage")
    assert "cut.tif" in str(info.value) and "truncated" in str(info.value)


def test_frames_of_differing_shape_are_refused(tmp_path):
    path = tmp_path / "mixed.tif"
    header = "SI.hRoiManager.scanFrameRate = 10\nSI.hChannels.channelSave = 1"
    with tifffile.TiffWriter(path, bigtiff=True) as tw:
        for shape in [(8, 8), (8, 8), (8, 9)]:
            tw.write(np.zeros(shape, np.uint16), software=header, description="frameNumbers = 1\n",
                     metadata=None)
    with pytest.raises(SourceError, match=r"page 2 has shape \(8, 9\)"):
        open_imaging(path)


def test_header_without_rate_needs_an_override(tmp_path):
    path = tmp_path / "norate.tif"
    with tifffile.TiffWriter(path, bigtiff=True) as tw:
        for _ in range(2):
            tw.write(np.zeros((4, 4), np.uint16), software="SI.hChannels.channelSave = 1", metadata=None)
    with pytest.raises(SourceError, match="no frame rate"):
        open_imaging(path)
    assert open_imaging(path, frame_rate_hz=5.0).frame_rate_hz == 5.0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channels=st.integers(1, 3), planes=st.integers(1, 3), flyback=st.integers(0, 2),
       volumes=st.integers(1, 4), files=st.integers(1, 2))
def test_every_frame_comes_from_its_own_page(tmp_path_factory, write_scanimage_to, channels, planes,
                                              flyback, volumes, files):
    folder = tmp_path_factory.mktemp("si")
    flyback = flyback if planes > 1 else 0
    paths = write_scanimage_to(folder, num_volumes=volumes, channels=tuple(range(1, channels + 1)),
                            planes=planes, flyback=flyback, files=min(files, volumes), shape=(4, 4))
    source = open_imaging(paths[0])
    assert (source.num_frames, source.num_planes, len(source.channels)) == (volumes, planes, channels)
    for plane in range(planes):
        for channel in range(channels):
            values = [int(f[0, 0]) for f in source.read_frames(plane=plane, channel=channel)]
            assert values == [code(v, plane, channel) for v in range(volumes)]


ROI_GROUPS = '{"RoiGroups": {"imagingRoiGroup": {"name": "Default Imaging ROI Group", "rois": []}}}'


def test_2016_header_block_at_byte_16_is_read(scanimage_writer):
    """ScanImage 2016+ BigTIFF: the static header block after the file header (ScanImage BigTIFF spec v3)."""
    (path,) = scanimage_writer(num_volumes=3, header_block=True, roi_groups_json=ROI_GROUPS)
    with tifffile.TiffFile(path) as tif:  # tifffile agrees that this is ScanImage's layout
        assert tif.is_scanimage and tif.scanimage_metadata["version"] == 3
        software = tif.pages.first.software
        assert tif.pages.first.offset > 16 + 16 + len(software)  # pages come after the block
    source = open_imaging(path)
    assert source.metadata["header_block_version"] == 3
    assert source.metadata["header"]["SI.hRoiManager.scanFrameRate"] == 30.0
    assert source.raw_header == software
    assert source.extra_headers == {"roi_groups_json": ROI_GROUPS}
    assert [int(f[0, 0]) for f in source.read_frames()] == [code(v, 0, 0) for v in range(3)]
    (plain,) = scanimage_writer(num_volumes=3, stem="plain_00001")
    assert open_imaging(plain).metadata["header_block_version"] is None  # Software tag only


def test_damaged_header_block_falls_back_to_the_software_tag(scanimage_writer):
    (path,) = scanimage_writer(num_volumes=2, header_block=True)
    data = bytearray(path.read_bytes())
    data[16:20] = b"\0\0\0\0"  # magic number gone
    path.write_bytes(bytes(data))
    source = open_imaging(path)
    assert source.metadata["header_block_version"] is None and source.frame_rate_hz == 30.0
