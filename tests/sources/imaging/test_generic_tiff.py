"""Generic multi-page TIFF reader: rate from options, files in order, bad inputs, bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import tifffile

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.imaging import detect_format, open_imaging


def write_stack(path, frames: np.ndarray) -> None:
    with tifffile.TiffWriter(path) as tw:
        for frame in frames:
            tw.write(frame, metadata=None)


def movie(num_frames: int, shape=(12, 10), offset: int = 0) -> np.ndarray:
    values = np.arange(offset, offset + num_frames, dtype=np.uint16)
    return np.broadcast_to(values[:, None, None], (num_frames, *shape)).copy()


def test_frame_rate_is_required(tmp_path):
    path = tmp_path / "stack.tif"
    write_stack(path, movie(4))
    assert detect_format(path) == "tiff"
    with pytest.raises(InputError, match="frame rate") as info:
        open_imaging(path)
    assert "frame_rate_hz" in str(info.value)
    with pytest.raises(InputError, match="positive"):
        open_imaging(path, frame_rate_hz=0)


def test_frames_rate_and_geometry_from_options(tmp_path):
    path = tmp_path / "stack.tif"
    frames = movie(9)
    write_stack(path, frames)
    source = open_imaging(path, frame_rate_hz=15.0, pixel_size_um=(0.5, 0.5))
    assert (source.format, source.num_frames, source.frame_shape) == ("tiff", 9, (12, 10))
    assert source.frame_rate_hz == 15.0 and source.timestamps_s is None and source.aux_triggers == {}
    assert source.field_of_view_um == (6.0, 5.0)
    np.testing.assert_array_equal(source.read_frames(), frames)
    np.testing.assert_array_equal(source.read_frames(2, 5), frames[2:5])
    chunks = list(source.iter_frames(frames_per_chunk=4))
    assert [len(c) for c in chunks] == [4, 4, 1]


def test_several_files_and_a_folder_read_in_order(tmp_path):
    write_stack(tmp_path / "part_1.tif", movie(3))
    write_stack(tmp_path / "part_2.tif", movie(4, offset=3))
    source = open_imaging([tmp_path / "part_1.tif", tmp_path / "part_2.tif"], frame_rate_hz=5.0)
    np.testing.assert_array_equal(source.read_frames()[:, 0, 0], np.arange(7))
    folder = open_imaging(tmp_path, frame_rate_hz=5.0)
    assert folder.num_frames == 7 and folder.paths == source.paths


def test_interleaved_channels(tmp_path):
    path = tmp_path / "two.tif"
    write_stack(path, movie(6))  # pages 0,2,4 channel a; 1,3,5 channel b
    source = open_imaging(path, frame_rate_hz=5.0, channels=["a", "b"])
    assert source.num_frames == 3
    np.testing.assert_array_equal(source.read_frames(channel="b")[:, 0, 0], [1, 3, 5])
    with pytest.raises(SourceError, match="whole number"):
        open_imaging(path, frame_rate_hz=5.0, channels=["a", "b", "c", "d"])


def test_frames_of_differing_shape(tmp_path):
    path = tmp_path / "mixed.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.zeros((4, 4), np.uint16), metadata=None)
        tw.write(np.zeros((4, 5), np.uint16), metadata=None)
    with pytest.raises(SourceError, match=r"page 1 has shape \(4, 5\)") as info:
        open_imaging(path, frame_rate_hz=1.0)
    assert "mixed.tif" in str(info.value)


def test_truncated_and_non_tiff_files(tmp_path):
    path = tmp_path / "stack.tif"
    write_stack(path, movie(6))
    data = path.read_bytes()
    for cut in (len(data) - 30, len(data) // 2, 40):
        broken = tmp_path / f"cut{cut}.tif"
        broken.write_bytes(data[:cut])
        with pytest.raises(SourceError) as info:
            open_imaging(broken, format="tiff", frame_rate_hz=1.0)
        assert broken.name in str(info.value)
    text = tmp_path / "notes.tif"
    text.write_text("not a tiff")
    with pytest.raises(SourceError, match="notes.tif"):
        open_imaging(text, format="tiff", frame_rate_hz=1.0)


def test_unknown_option_and_format(tmp_path):
    path = tmp_path / "stack.tif"
    write_stack(path, movie(2))
    with pytest.raises(InputError, match="option"):
        open_imaging(path, frame_rate_hz=1.0, colour="blue")
    with pytest.raises(InputError, match="unknown imaging format"):
        open_imaging(path, format="avi")
    with pytest.raises(SourceError, match="not found"):
        open_imaging(tmp_path / "absent.tif")


def test_iter_frames_memory_stays_bounded(tmp_path):
    """64 MB on disk; reading it in 8-frame chunks keeps the traced peak near one chunk (2 MB)."""
    path = tmp_path / "big.tif"
    frame = np.arange(256 * 512, dtype=np.uint16).reshape(256, 512)
    with tifffile.TiffWriter(path, bigtiff=True) as tw:
        tw.write((frame for _ in range(256)), shape=(256, 256, 512), dtype=np.uint16, metadata=None)
    source = open_imaging(path, frame_rate_hz=30.0)
    assert source.num_frames == 256
    chunk_bytes = 8 * source.frame_bytes
    tracemalloc.start()
    try:
        total = 0
        for chunk in source.iter_frames(frames_per_chunk=8):
            total += int(chunk[:, 0, 1].sum())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 256
    assert peak < 4 * chunk_bytes, f"peak {peak / 1e6:.1f} MB, chunks of {chunk_bytes / 1e6:.1f} MB"
