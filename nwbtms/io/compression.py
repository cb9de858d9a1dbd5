"""HDF5 compression profiles and the streamed, chunk-parallel writer of frame stacks.

Three profiles (``PROFILES``):

- ``archive`` (default): deflate (gzip), the one filter every NWB reader has. Chunks are compressed in a
  thread pool (the codecs release the GIL) and stored with ``dset.id.write_direct_chunk``, so it scales
  with cores. The bytes are exactly what HDF5's deflate filter reads back: a standard zlib stream of the
  chunk (byte-shuffled first only when the profile declares the shuffle filter), whichever codec wrote it,
  so any HDF5 reader decodes it with its ordinary deflate filter and no plugin.
  The codec (:func:`deflate_codec`) is the fastest one installed: ISA-L (``isal``, extra ``fast``) at its
  level 3, else libdeflate (``deflate``) at level 4, else :mod:`zlib` at level 4. Levels are chosen so the
  stream is no larger than zlib level 4's on two-photon frames; measured on 48 frames of 512x512 uint16
  (``bench/bench_imaging.py``'s synthetic movie), single thread: zlib-4 ratio 0.634 at 20 MB/s, ISA-L 3
  0.626 at 149 MB/s (ISA-L 2: 0.632, 1: 0.649), libdeflate 4 0.628 at 39 MB/s. ISA-L's matcher is
  shallower: on smooth int16 counts (a DAQ-like sine plus noise) ISA-L 3 gave 0.862 vs zlib-4's 0.802,
  on float32 traces 0.906 vs 0.907.
- ``fast``: Blosc zstd + bit-shuffle through :mod:`hdf5plugin`. Readers need ``import hdf5plugin``
  (:attr:`CompressionProfile.reader_note` says so, for the CLI to print).
- ``none``: no filter; chunks stored verbatim by direct chunk write.

Chunks are frame-shaped (whole frames, or whole rows of one frame when a frame exceeds
:data:`MAX_CHUNK_BYTES`), and the movie passes through a buffer of at most :data:`MAX_BUFFER_BYTES`.
"""

from __future__ import annotations

import functools
import math
import os
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nwbtms.errors import InputError, SourceError

#: Upper bound of one chunk (issue 5: "frame-shaped chunks of at most 10 MB").
MAX_CHUNK_BYTES = 10 * 1000 * 1000
#: Chunk size aimed at; hdmf 6 uses about 4 MB by default (hdmf H5DataIO documentation).
CHUNK_TARGET_BYTES = 4 * 1024 * 1024
#: Upper bound of the frame buffer (issue 5: "an explicit buffer of at most 256 MB").
MAX_BUFFER_BYTES = 256 * 1024 * 1024
#: Default frame buffer: 8 chunks of 4 MiB. Two buffers are alive at once (one being compressed, one
#: being read), which keeps a whole profile run far below the 300 MB RSS budget of issue 5.
DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024

#: HDF5 filter id of Blosc (registered by hdf5plugin).
BLOSC_FILTER_ID = 32001


#: Environment variable naming the deflate codec (``isal``, ``libdeflate`` or ``zlib``) instead of the fastest.
CODEC_ENV = "NWBTMS_DEFLATE_CODEC"


@dataclass(frozen=True)
class DeflateCodec:
    """A writer of standard zlib streams (RFC 1950), as HDF5's deflate filter stores them.

    Attributes
    ----------
    name : str
        ``isal``, ``libdeflate`` or ``zlib``.
    compress_level : callable
        ``compress_level(buffer, level) -> bytes`` at the codec's own level.
    level_for : callable
        The codec's level for a zlib level: one whose streams are no larger than zlib's at that level on
        two-photon frames (ISA-L: 3 for zlib levels >= 2; libdeflate and zlib: the same number).
    """

    name: str
    compress_level: Callable[[Any, int], bytes]
    level_for: Callable[[int], int]

    def compress(self, data: Any, zlib_level: int = 4) -> bytes:
        """The zlib stream (header, deflate data, Adler-32) of ``data`` at the level matching ``zlib_level``."""
        return self.compress_level(data, self.level_for(zlib_level))


def _same_level(level: int) -> int:
    return level


def _isal_level(level: int) -> int:
    return level if level < 2 else 3  # ISA-L's levels are 0-3; its 3 is no larger than zlib's 4 (above)


def _isal_codec() -> DeflateCodec:
    from isal import isal_zlib

    return DeflateCodec("isal", isal_zlib.compress, _isal_level)


def _libdeflate_codec() -> DeflateCodec:
    import deflate

    return DeflateCodec("libdeflate", deflate.zlib_compress, _same_level)


def _zlib_codec() -> DeflateCodec:
    return DeflateCodec("zlib", zlib.compress, _same_level)


_CODECS: dict[str, Callable[[], DeflateCodec]] = {
    "isal": _isal_codec, "libdeflate": _libdeflate_codec, "zlib": _zlib_codec,
}


@functools.cache
def deflate_codec(name: str | None = None) -> DeflateCodec:
    """The deflate codec named ``name``, else the one in ``$NWBTMS_DEFLATE_CODEC``, else the fastest installed.

    Raises
    ------
    InputError
        An unknown name, or a named codec whose package is not installed.
    """
    name = name or os.environ.get(CODEC_ENV) or None
    if name is None:
        for candidate in ("isal", "libdeflate"):
            try:
                return _CODECS[candidate]()
            except ImportError:
                continue
        return _zlib_codec()
    if name not in _CODECS:
        raise InputError(f"unknown deflate codec {name!r}", field=CODEC_ENV, hint=f"use one of {', '.join(_CODECS)}")
    try:
        return _CODECS[name]()
    except ImportError:
        package = {"isal": "isal", "libdeflate": "deflate"}[name]
        raise InputError(f"deflate codec {name!r} is not installed", field=CODEC_ENV,
                         hint=f"pip install {package} (or pip install 'nwbtms[fast]')") from None


@dataclass(frozen=True)
class CompressionProfile:
    """How a big dataset is compressed.

    Attributes
    ----------
    name : str
        ``archive``, ``fast`` or ``none``.
    description : str
        One line for help texts.
    deflate_level : int or None
        zlib level of the deflate filter (``archive``: 4), declared in the filter's options; None for other
        profiles. The chunks are written by :func:`deflate_codec` at its matching level
        (:attr:`DeflateCodec.level_for`).
    shuffle : bool
        Declare and apply HDF5's byte-shuffle filter before deflate.
    needs_hdf5plugin : bool
        Readers must ``import hdf5plugin`` to decode the data.
    """

    name: str
    description: str
    deflate_level: int | None = None
    shuffle: bool = False
    needs_hdf5plugin: bool = False
    blosc_options: dict[str, Any] = field(default_factory=dict)

    @property
    def direct_chunks(self) -> bool:
        """Whether chunks are encoded here and stored with ``write_direct_chunk`` (not via HDF5 filters)."""
        return not self.needs_hdf5plugin

    @property
    def reader_note(self) -> str | None:
        """What a reader of the file needs beyond h5py, or None."""
        if self.needs_hdf5plugin:
            return ("written with the 'fast' profile (Blosc zstd): readers need `pip install hdf5plugin` "
                    "and `import hdf5plugin` before opening the file; use --compression archive for DANDI")
        return None

    def dataset_options(self) -> dict[str, Any]:
        """Keyword arguments for ``h5py.create_dataset`` / hdmf ``H5DataIO`` declaring the filter pipeline."""
        if self.deflate_level is not None:
            return {"compression": "gzip", "compression_opts": self.deflate_level, "shuffle": self.shuffle}
        if self.needs_hdf5plugin:
            import hdf5plugin

            blosc = hdf5plugin.Blosc(**self.blosc_options)
            return {"compression": blosc.filter_id, "compression_opts": tuple(blosc.filter_options),
                    "allow_plugin_filters": True}
        return {}


def _blosc_zstd_options() -> dict[str, Any]:
    # zstd level 5 + bit-shuffle: 188 MB/s single thread on this machine (bench/bench_imaging.py).
    return {"cname": "zstd", "clevel": 5, "shuffle": 2}


PROFILES: dict[str, CompressionProfile] = {
    "archive": CompressionProfile(
        "archive", "gzip level 4 (every NWB reader opens it; DANDI-safe), compressed in parallel threads",
        deflate_level=4,
    ),
    "fast": CompressionProfile(
        "fast", "Blosc zstd + bit-shuffle via hdf5plugin (readers need hdf5plugin)",
        needs_hdf5plugin=True, blosc_options=_blosc_zstd_options(),
    ),
    "none": CompressionProfile("none", "no compression"),
}
DEFAULT_PROFILE = "archive"


def get_profile(profile: str | CompressionProfile) -> CompressionProfile:
    """The profile named ``profile`` (a profile object passes through).

    Raises
    ------
    InputError
        Unknown name; the message lists the known ones.
    """
    if isinstance(profile, CompressionProfile):
        return profile
    if profile not in PROFILES:
        raise InputError(f"unknown compression profile {profile!r}", field="compression",
                         hint=f"use one of {', '.join(PROFILES)}")
    return PROFILES[profile]


def frame_chunk_shape(
    frame_shape: tuple[int, int],
    dtype: np.dtype | type,
    *,
    target_bytes: int = CHUNK_TARGET_BYTES,
    max_bytes: int = MAX_CHUNK_BYTES,
) -> tuple[int, int, int]:
    """Frame-shaped chunk ``(frames, rows, cols)`` near ``target_bytes`` and never above ``max_bytes``.

    Whole frames are stacked while they fit; a frame larger than ``max_bytes`` is split into bands of
    whole rows, one frame deep.
    """
    rows, cols = (int(n) for n in frame_shape)
    itemsize = np.dtype(dtype).itemsize
    frame_bytes = rows * cols * itemsize
    target_bytes = min(target_bytes, max_bytes)
    if frame_bytes <= max_bytes:
        return (max(1, target_bytes // frame_bytes) if frame_bytes <= target_bytes else 1, rows, cols)
    row_bytes = cols * itemsize
    return (1, max(1, max_bytes // row_bytes), cols)


def buffer_frame_count(chunk_shape: tuple[int, int, int], dtype: np.dtype | type,
                       buffer_bytes: int = DEFAULT_BUFFER_BYTES) -> int:
    """Frames read from the source at once: whole chunks, within ``buffer_bytes`` (at least one chunk).

    Raises
    ------
    InputError
        ``buffer_bytes`` above :data:`MAX_BUFFER_BYTES`.
    """
    if buffer_bytes > MAX_BUFFER_BYTES:
        raise InputError(f"buffer of {buffer_bytes / 2**20:.0f} MiB exceeds the "
                         f"{MAX_BUFFER_BYTES // 2**20} MiB limit", field="buffer",
                         hint="choose a smaller buffer")
    depth, rows, cols = chunk_shape
    frame_bytes = rows * cols * np.dtype(dtype).itemsize
    frames = max(1, buffer_bytes // frame_bytes)
    return max(depth, frames // depth * depth)


def shuffle_bytes(chunk: np.ndarray) -> np.ndarray:
    """Bytes of ``chunk`` in the order of HDF5's shuffle filter: all first bytes, then all second..."""
    flat = np.ascontiguousarray(chunk).reshape(-1)
    itemsize = flat.dtype.itemsize
    if itemsize == 1:
        return flat.view(np.uint8)
    return np.ascontiguousarray(flat.view(np.uint8).reshape(-1, itemsize).T).reshape(-1)


def encode_chunk(
    tile: np.ndarray, chunk_shape: tuple[int, ...], profile: CompressionProfile, codec: DeflateCodec | None = None,
) -> bytes | np.ndarray:
    """Stored bytes of one chunk for ``write_direct_chunk``: padded to ``chunk_shape``, filtered.

    HDF5 stores edge chunks at full size, so a partial ``tile`` is zero-padded. Deflate uses ``codec``
    (default :func:`deflate_codec`).
    """
    if tile.shape != tuple(chunk_shape):
        full = np.zeros(chunk_shape, dtype=tile.dtype)
        full[tuple(slice(0, n) for n in tile.shape)] = tile
        tile = full
    tile = np.ascontiguousarray(tile)
    if profile.deflate_level is None:
        return tile.reshape(-1).view(np.uint8)  # stored verbatim; no copy
    data = shuffle_bytes(tile) if profile.shuffle else tile.reshape(-1).view(np.uint8)
    return (codec or deflate_codec()).compress(data, profile.deflate_level)


def _slabs(
    blocks: Iterable[np.ndarray], depth: int, frame_shape: tuple[int, ...], dtype: np.dtype, source: str
) -> Iterator[np.ndarray]:
    """Regroup blocks of frames (entries along axis 0) into slabs of exactly ``depth`` frames (the last may
    be shorter)."""
    pending: list[np.ndarray] = []
    pending_n = 0
    frames_seen = 0
    for block in blocks:
        block = np.asarray(block)
        if block.ndim == len(frame_shape) and block.ndim > 0:
            block = block[np.newaxis]
        if block.ndim != len(frame_shape) + 1 or block.shape[1:] != tuple(frame_shape):
            raise SourceError(
                f"frame {frames_seen} has shape "
                f"{block.shape[1:] if block.ndim == len(frame_shape) + 1 else block.shape}, "
                f"expected {tuple(frame_shape)} like the frames before it", file=source, field="frames",
                hint="all frames of one series must have the same shape; split the acquisition by geometry",
            )
        if block.dtype != dtype:
            raise SourceError(f"frame {frames_seen} has dtype {block.dtype}, expected {dtype}", file=source,
                              field="frames", hint="all frames of one series must have the same dtype")
        frames_seen += len(block)
        start = 0
        if pending_n:
            take = min(depth - pending_n, len(block))
            pending.append(block[:take])
            pending_n += take
            start = take
            if pending_n < depth:
                continue
            yield np.concatenate(pending)
            pending, pending_n = [], 0
        full = (len(block) - start) // depth
        for i in range(full):
            yield block[start + i * depth:start + (i + 1) * depth]
        rest = block[start + full * depth:]
        if len(rest):
            pending, pending_n = [rest], len(rest)
    if pending_n:
        yield np.concatenate(pending)


def write_frames(
    dset,
    blocks: Iterable[np.ndarray],
    profile: str | CompressionProfile,
    *,
    source: str = "<frames>",
    workers: int | None = None,
    progress: Callable[[Iterable[np.ndarray], int], Iterable[np.ndarray]] | None = None,
    codec: DeflateCodec | None = None,
) -> int:
    """Stream frame blocks into the chunked h5py dataset ``dset`` (shape ``(frames, rows, cols)``, or any
    ``(n, ...)`` array written along its first axis, such as a trace).

    Chunks span every axis after the second whole; the second may be split into bands (rows of a frame).

    Parameters
    ----------
    dset : h5py.Dataset
        Allocated with its final shape, frame-shaped chunks and the filters of ``profile``
        (:meth:`CompressionProfile.dataset_options`).
    blocks : iterable of ndarray
        ``(k, rows, cols)`` arrays in frame order, any ``k`` (``(k, ...)`` for other shapes).
    profile : str or CompressionProfile
    source : str
        File name used in error messages.
    workers : int, optional
        Compression threads for ``archive`` (default ``os.cpu_count()``).
    progress : callable, optional
        ``progress(slabs, total)`` wrapping the slab iterator (e.g. a progress bar).
    codec : DeflateCodec, optional
        Deflate codec of ``archive`` (default :func:`deflate_codec`).

    Returns
    -------
    int
        Frames written.

    Raises
    ------
    SourceError
        A frame of another shape or dtype, or fewer/more frames than ``dset`` holds.
    """
    profile = get_profile(profile)
    num_frames, frame_shape = dset.shape[0], tuple(dset.shape[1:])
    chunk_shape = dset.chunks
    if chunk_shape is None or len(chunk_shape) != len(dset.shape) or tuple(chunk_shape[2:]) != frame_shape[1:]:
        raise ValueError(f"dataset {dset.name} needs frame-shaped chunks, has {chunk_shape}")
    depth = chunk_shape[0]
    rows, band_rows = (frame_shape[0], chunk_shape[1]) if frame_shape else (1, 1)
    tail = (0,) * max(0, len(frame_shape) - 1)
    slabs: Iterable[np.ndarray] = _slabs(blocks, depth, frame_shape, dset.dtype, source)
    if progress is not None:
        slabs = progress(slabs, math.ceil(num_frames / depth))
    written = 0

    def check_room(n: int) -> None:
        if written + n > num_frames:
            raise SourceError(f"source yields more than the {num_frames} frames its header declares",
                              file=source, field="num_frames", hint="check the header's frame count")

    if not profile.direct_chunks:
        for slab in slabs:
            check_room(len(slab))
            dset[written:written + len(slab)] = slab
            written += len(slab)
    else:
        codec = (codec or deflate_codec()) if profile.deflate_level is not None else None
        workers = workers or os.cpu_count() or 1
        max_in_flight = 2 * workers
        in_flight: deque[tuple[tuple[int, ...], Future[bytes]]] = deque()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nwbtms-chunk") as pool:
            try:
                for slab in slabs:
                    check_room(len(slab))
                    for row in range(0, rows, band_rows):
                        if frame_shape:
                            offset, tile = (written, row, *tail), slab[:, row:row + band_rows]
                        else:
                            offset, tile = (written,), slab
                        if profile.deflate_level is None:
                            dset.id.write_direct_chunk(offset, encode_chunk(tile, chunk_shape, profile))
                            continue
                        in_flight.append((offset, pool.submit(encode_chunk, tile, chunk_shape, profile, codec)))
                        while len(in_flight) >= max_in_flight:
                            offset, future = in_flight.popleft()
                            dset.id.write_direct_chunk(offset, future.result())
                    written += len(slab)
                while in_flight:
                    offset, future = in_flight.popleft()
                    dset.id.write_direct_chunk(offset, future.result())
            finally:
                for _, future in in_flight:
                    future.cancel()
    if written != num_frames:
        raise SourceError(f"source yielded {written} frames, its header declares {num_frames}", file=source,
                          field="num_frames", hint="the file may be truncated; re-export or copy it again")
    return written
