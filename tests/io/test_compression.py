"""Compression profiles and the streamed chunk writer, read back with plain h5py."""

from __future__ import annotations

import subprocess
import sys
import zlib

import h5py
import numpy as np
import pytest

from nwbtms.errors import InputError, SourceError
from nwbtms.io.compression import (
    CODEC_ENV,
    MAX_CHUNK_BYTES,
    PROFILES,
    CompressionProfile,
    buffer_frame_count,
    deflate_codec,
    encode_chunk,
    frame_chunk_shape,
    get_profile,
    shuffle_bytes,
    write_frames,
)


def _movie(n=23, rows=24, cols=20, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.poisson(200, size=(n, rows, cols)) + np.arange(cols)).astype(np.uint16)


def _blocks(movie: np.ndarray, sizes=(5, 1, 7)):
    """Uneven blocks, as a multi-file reader would yield them."""
    i, k = 0, 0
    while i < len(movie):
        step = sizes[k % len(sizes)]
        yield movie[i:i + step]
        i += step
        k += 1


def _write(path, movie, profile, chunk_shape=None, blocks=None, codec=None):
    profile = get_profile(profile)
    chunk_shape = chunk_shape or frame_chunk_shape(movie.shape[1:], movie.dtype, target_bytes=4000)
    options = profile.dataset_options()
    options.pop("allow_plugin_filters", None)
    with h5py.File(path, "w") as f:
        dset = f.create_dataset("data", shape=movie.shape, dtype=movie.dtype, chunks=chunk_shape, **options)
        return write_frames(dset, blocks if blocks is not None else _blocks(movie), profile, source="m.tif",
                            workers=2, codec=codec)


@pytest.mark.parametrize("name", ["archive", "none"])
def test_roundtrip_without_hdf5plugin(tmp_path, name):
    movie = _movie()
    path = tmp_path / f"{name}.h5"
    assert _write(path, movie, name) == len(movie)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["data"][:], movie)
        assert f["data"].compression == ("gzip" if name == "archive" else None)


def test_roundtrip_fast_needs_hdf5plugin(tmp_path):
    import hdf5plugin  # noqa: F401  (registers Blosc for h5py)

    movie = _movie()
    _write(tmp_path / "fast.h5", movie, "fast")
    with h5py.File(tmp_path / "fast.h5", "r") as f:
        np.testing.assert_array_equal(f["data"][:], movie)
    assert PROFILES["fast"].reader_note and "hdf5plugin" in PROFILES["fast"].reader_note
    assert PROFILES["archive"].reader_note is None


@pytest.mark.parametrize("codec", ["isal", "libdeflate", "zlib"])
def test_archive_readable_by_plain_h5py_in_fresh_process(tmp_path, codec):
    """Whichever codec wrote the chunks, plain h5py (its own deflate filter, no isal or libdeflate loaded in
    the reading process) reads them back bit-exact."""
    movie = _movie(n=40, rows=64, cols=48)
    _write(tmp_path / "a.h5", movie, "archive", codec=deflate_codec(codec))
    np.save(tmp_path / "expected.npy", movie)
    code = (
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "assert f['data'].compression == 'gzip'\n"
        "assert not {'hdf5plugin', 'isal', 'deflate', 'nwbtms'} & set(sys.modules)\n"
        "assert np.array_equal(f['data'][:], np.load(sys.argv[2]))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.h5"), str(tmp_path / "expected.npy")],
                   check=True)


def test_fastest_installed_codec_is_the_default(monkeypatch):
    pytest.importorskip("isal")
    monkeypatch.delenv(CODEC_ENV, raising=False)
    deflate_codec.cache_clear()
    try:
        assert deflate_codec().name == "isal" and deflate_codec().level_for(4) == 3
    finally:
        deflate_codec.cache_clear()
    with pytest.raises(InputError, match="unknown deflate codec"):
        deflate_codec("lz4")


def test_codec_streams_no_larger_than_zlib_level_4():
    """The levels are chosen so a two-photon-like chunk is no larger than zlib-4's (measured in the module
    docstring on the benchmark movie; here on shot-noise frames over a smooth background)."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[:128, :128]
    background = 400 + 600 * np.exp(-((y - 60) ** 2 + (x - 70) ** 2) / 200.0)
    frames = rng.poisson(background, size=(8, 128, 128)).astype(np.uint16)
    zlib4 = len(zlib.compress(frames.tobytes(), 4))
    for name in ("isal", "libdeflate"):
        assert len(deflate_codec(name).compress(frames.reshape(-1).view(np.uint8))) <= zlib4, name


def test_shuffle_bytes_match_hdf5_shuffle_filter(tmp_path):
    movie = _movie(n=6)
    profile = CompressionProfile("gzip-shuffle", "test", deflate_level=6, shuffle=True)
    _write(tmp_path / "s.h5", movie, profile, chunk_shape=(2, 24, 20), codec=deflate_codec("zlib"))
    with h5py.File(tmp_path / "s.h5", "r") as f:
        np.testing.assert_array_equal(f["data"][:], movie)
        assert f["data"].shuffle
    # Same bytes HDF5 writes itself with shuffle + deflate (the zlib codec at the declared level).
    with h5py.File(tmp_path / "ref.h5", "w") as f:
        f.create_dataset("data", data=movie, chunks=(2, 24, 20), compression="gzip", compression_opts=6,
                         shuffle=True)
    with h5py.File(tmp_path / "ref.h5", "r") as ref, h5py.File(tmp_path / "s.h5", "r") as ours:
        for offset in [(0, 0, 0), (4, 0, 0)]:
            assert ref["data"].id.read_direct_chunk(offset)[1] == ours["data"].id.read_direct_chunk(offset)[1]
    assert shuffle_bytes(np.array([0x0102, 0x0304], dtype="<u2")).tolist() == [2, 4, 1, 3]


def test_archive_bytes_are_a_zlib_stream_of_padded_edge_chunk():
    tile = np.ones((1, 3, 4), dtype=np.uint16)
    stored = encode_chunk(tile, (2, 3, 4), PROFILES["archive"])
    raw = np.frombuffer(zlib.decompress(stored), dtype=np.uint16).reshape(2, 3, 4)
    assert raw[0].sum() == 12 and raw[1].sum() == 0


def test_chunks_are_frame_shaped_and_bounded():
    assert frame_chunk_shape((512, 512), np.uint16) == (8, 512, 512)
    assert frame_chunk_shape((2048, 2048), np.uint16) == (1, 2048, 2048)
    depth, rows, cols = frame_chunk_shape((4096, 4096), np.float32)
    assert (depth, cols) == (1, 4096) and rows * cols * 4 <= MAX_CHUNK_BYTES
    for shape in [(7, 9), (512, 512), (1024, 768), (4096, 4096), (8192, 8192)]:
        chunk = frame_chunk_shape(shape, np.uint16)
        assert np.prod(chunk) * 2 <= MAX_CHUNK_BYTES and chunk[2] == shape[1]


def test_row_banded_chunks_roundtrip(tmp_path):
    movie = _movie(n=3, rows=25, cols=8)
    _write(tmp_path / "b.h5", movie, "archive", chunk_shape=(1, 10, 8))
    with h5py.File(tmp_path / "b.h5", "r") as f:
        np.testing.assert_array_equal(f["data"][:], movie)


def test_buffer_is_bounded():
    assert buffer_frame_count((8, 512, 512), np.uint16, 64 * 2**20) == 128
    assert buffer_frame_count((8, 512, 512), np.uint16) == 64
    assert buffer_frame_count((8, 512, 512), np.uint16, 1) == 8
    with pytest.raises(InputError):
        buffer_frame_count((8, 512, 512), np.uint16, 512 * 2**20)


def test_frame_of_other_shape_names_file(tmp_path):
    movie = _movie(n=10)
    blocks = [movie[:4], np.zeros((3, 24, 21), dtype=np.uint16)]
    with pytest.raises(SourceError, match="frame 4 has shape") as info:
        _write(tmp_path / "x.h5", movie, "archive", blocks=blocks)
    assert info.value.file == "m.tif"


def test_truncated_source_is_reported(tmp_path):
    movie = _movie(n=10)
    with pytest.raises(SourceError, match="yielded 6 frames"):
        _write(tmp_path / "x.h5", movie, "archive", blocks=[movie[:6]])
    with pytest.raises(SourceError, match="more than"):
        _write(tmp_path / "y.h5", movie, "none", blocks=[movie, movie[:3]])


def test_unknown_profile():
    with pytest.raises(InputError, match="archive"):
        get_profile("zip")


def test_archive_chunks_are_compressed_off_the_main_thread(tmp_path, monkeypatch):
    """``archive`` hands each chunk to the pool (zlib releases the GIL) and stores the bytes it returns."""
    import threading

    import nwbtms.io.compression as compression

    threads = []
    original = compression.encode_chunk

    def recording(tile, chunk_shape, profile, codec=None):
        threads.append(threading.current_thread().name)
        return original(tile, chunk_shape, profile, codec)

    monkeypatch.setattr(compression, "encode_chunk", recording)
    movie = _movie(n=20)
    _write(tmp_path / "a.h5", movie, "archive", chunk_shape=(2, 24, 20))
    assert len(threads) == 10 and all(name.startswith("nwbtms-chunk") for name in threads)
    with h5py.File(tmp_path / "a.h5", "r") as f:
        _, stored = f["data"].id.read_direct_chunk((4, 0, 0))
        assert stored == original(movie[4:6], (2, 24, 20), PROFILES["archive"])
        np.testing.assert_array_equal(f["data"][:], movie)
