"""Large arrays written after the NWBFile: allocated empty by pynwb, then filled by parallel direct chunk writes.

hdmf writes a ``GenericDataChunkIterator`` buffer by buffer through ``dset[selection] = data``, so HDF5's own
deflate filter compresses every chunk with zlib in one thread. :func:`deferred_data` instead gives the
series an ``H5DataIO`` allocated empty (the iterator's shape, dtype and chunks, the profile's filters) and
returns a :class:`PendingArray`; after ``io.write``, inside the open file, :func:`fill_arrays` streams the
same iterator through :func:`nwbtms.io.compression.write_frames` (chunks deflated in a thread pool by the
fastest codec installed, stored with ``write_direct_chunk``). Used for raw DAQ traces and fluorescence
traces by the session converter; the builders keep hdmf's own streamed write when no pending list is given.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import GenericDataChunkIterator

from nwbtms.io.compression import CompressionProfile, get_profile, write_frames


@dataclass
class PendingArray:
    """A dataset allocated empty at write time, filled from ``iterator`` right after."""

    name: str
    dataio: H5DataIO
    iterator: GenericDataChunkIterator
    profile: CompressionProfile
    source: str


def deferred_data(
    iterator: GenericDataChunkIterator, *, name: str, source: str, profile: str | CompressionProfile = "archive"
) -> tuple[H5DataIO, PendingArray]:
    """An empty ``H5DataIO`` for a series' ``data`` and the :class:`PendingArray` that fills it.

    The iterator's chunks must span every axis after the first whole (traces: ``(samples,)`` or
    ``(frames, rois)``), so each buffer it yields is a run of whole rows.
    """
    profile = get_profile(profile)
    shape = tuple(int(n) for n in iterator.maxshape)
    chunks = tuple(int(n) for n in iterator.chunk_shape)
    if chunks[1:] != shape[1:]:
        raise ValueError(f"{name}: chunks {chunks} must span every axis after the first of shape {shape}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*compression may not be available.*")
        dataio = H5DataIO(shape=shape, dtype=np.dtype(iterator.dtype), chunks=chunks, **profile.dataset_options())
    return dataio, PendingArray(name=name, dataio=dataio, iterator=iterator, profile=profile, source=source)


def _rows(pending: PendingArray) -> Iterator[np.ndarray]:
    """The iterator's buffers in order along the first axis (checked, so a reordering iterator fails loudly)."""
    expected = 0
    for chunk in pending.iterator:
        first = chunk.selection[0]
        if first.start != expected:
            raise RuntimeError(f"{pending.name}: buffer starts at row {first.start}, expected {expected}")
        expected = first.stop
        yield np.asarray(chunk.data)


def fill_arrays(arrays: Sequence[PendingArray], *, workers: int | None = None) -> dict[str, int]:
    """Write every pending array into its dataset; call inside the open ``NWBHDF5IO`` after ``write``.

    Returns rows written per array name.
    """
    written = {}
    for pending in arrays:
        dset = pending.dataio.dataset
        if dset is None:
            raise RuntimeError(f"{pending.name} was not written yet (dataset not allocated)")
        written[pending.name] = write_frames(dset, _rows(pending), pending.profile, source=pending.source,
                                             workers=workers)
    return written

