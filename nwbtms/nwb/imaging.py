"""Two-photon movies into NWB: ImagingPlane and TwoPhotonSeries builders and the streamed movie write.

A movie never passes through memory. :func:`add_two_photon_series` adds a TwoPhotonSeries whose data
is an hdmf ``H5DataIO`` allocated empty (final shape, dtype, frame-shaped chunks, the profile's filters)
and returns a :class:`PendingMovie`. :func:`write_nwbfile_with_movies` writes the whole NWBFile with
pynwb into an atomic temporary file, fills each pending dataset chunk by chunk from its source
(:func:`nwbtms.io.compression.write_frames`: parallel deflate + direct chunk write for ``archive``), and
renames the file into place only when everything succeeded. The session converter builds one NWBFile
(pulses, imaging, segmentation), then calls :func:`write_nwbfile_with_movies` once.

The raw header of each source is kept verbatim as a ``DynamicTable`` (``<series>_raw_header``, columns
``source_file``, ``part`` and ``header``; row 0 the header itself, then further parts such as ScanImage's
ROI group JSON) next to the series in ``acquisition``: a text dataset, because ScanImage headers exceed
the 64 KiB an HDF5 attribute such as ``TimeSeries.comments`` can hold; the series' ``comments`` name that
table.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.common import DynamicTable, VectorData
from pynwb import NWBFile
from pynwb.ophys import ImagingPlane, OpticalChannel, TwoPhotonSeries

from nwbtms.errors import InputError
from nwbtms.imaging.clock import ClockFit, to_session_clock
from nwbtms.io.compression import (
    DEFAULT_BUFFER_BYTES,
    CompressionProfile,
    buffer_frame_count,
    frame_chunk_shape,
    get_profile,
    write_frames,
)
from nwbtms.io.nwb_write import write_nwbfile
from nwbtms.progress import progress


@runtime_checkable
class ImagingSourceLike(Protocol):
    """What the movie writer needs of an imaging source (``nwbtms.sources.imaging.ImagingSource``)."""

    num_frames: int
    frame_shape: tuple[int, int]
    dtype: Any
    frame_rate_hz: float

    def iter_frames(self, *, channel: int | str = 0, plane: int = 0, start: int = 0, stop: int | None = None,
                    frames_per_chunk: int | None = None) -> Iterator[np.ndarray]:
        """Yield ``(k, rows, cols)`` frame blocks of one channel and plane."""


@dataclass
class PendingMovie:
    """A TwoPhotonSeries added to an NWBFile whose data is written from ``source`` at write time."""

    series: TwoPhotonSeries
    dataio: H5DataIO
    source: ImagingSourceLike
    channel: int | str
    plane: int
    profile: CompressionProfile
    buffer_frames: int

    @property
    def source_name(self) -> str:
        """The source's file name for messages."""
        return _source_name(self.source)


@dataclass(frozen=True)
class MovieWriteResult:
    """Outcome of :func:`write_nwbfile_with_movies`.

    Attributes
    ----------
    path : Path
        The written NWB file.
    frames_written : dict of str to int
        Frames per series name.
    reader_notes : list of str
        What readers need beyond h5py (e.g. hdf5plugin for the ``fast`` profile); for the CLI to print.
    """

    path: Path
    frames_written: dict[str, int]
    reader_notes: list[str]

    @property
    def needs_hdf5plugin(self) -> bool:
        """Whether a reader must import hdf5plugin."""
        return bool(self.reader_notes)


def _source_name(source: Any) -> str:
    for attr in ("path", "folder"):
        value = getattr(source, attr, None)
        if value is not None:
            return str(value)
    return type(source).__name__


def _grid_spacing_m(pixel_size_um: Any) -> list[float] | None:
    if pixel_size_um is None:
        return None
    values = np.broadcast_to(np.asarray(pixel_size_um, dtype=float), (2,))
    return [float(v) * 1e-6 for v in values]


def add_imaging_plane(
    nwbfile: NWBFile,
    source: Any,
    *,
    name: str = "ImagingPlane",
    device=None,
    description: str = "",
    indicator: str,
    location: str,
    excitation_lambda_nm: float,
    emission_lambda_nm: float,
    channel_name: str = "green",
    channel_description: str = "",
    z_step_um: float | None = None,
    optical_channels: Sequence[tuple[str, str, float]] | None = None,
) -> ImagingPlane:
    """Add an ImagingPlane for ``source`` (rate and pixel size from its header) to ``nwbfile``.

    ``device`` defaults to a ``Microscope`` device created (or reused) in the file. ``z_step_um`` makes
    it a volume's plane: ``grid_spacing`` gets the slice spacing as its third value. ``optical_channels``
    (``(name, description, emission_lambda_nm)`` each) gives one OpticalChannel per recorded channel
    instead of the single ``channel_name`` one.
    """
    if device is None:
        device = nwbfile.devices.get("Microscope") or nwbfile.create_device(
            name="Microscope", description="Two-photon microscope.")
    if optical_channels:
        optical_channel = [OpticalChannel(name=n, description=d or n, emission_lambda=float(e))
                           for n, d, e in optical_channels]
    else:
        optical_channel = OpticalChannel(name=channel_name, description=channel_description or channel_name,
                                         emission_lambda=float(emission_lambda_nm))
    options: dict[str, Any] = {}
    spacing = _grid_spacing_m(getattr(source, "pixel_size_um", None))
    if spacing is not None:
        if z_step_um is not None:
            spacing = [*spacing, float(z_step_um) * 1e-6]
        options.update(grid_spacing=spacing, grid_spacing_unit="meters")
    return nwbfile.create_imaging_plane(
        name=name, optical_channel=optical_channel,
        description=description or f"imaged from {_source_name(source)}",
        device=device, excitation_lambda=float(excitation_lambda_nm), indicator=indicator, location=location,
        imaging_rate=float(source.frame_rate_hz), **options,
    )


def _frame_times(source: Any, plane: int) -> np.ndarray | None:
    getter = getattr(source, "plane_timestamps_s", None)
    times = getter(plane) if callable(getter) else getattr(source, "timestamps_s", None)
    if times is None:
        return None
    times = np.asarray(times, dtype=np.float64)
    if times.size != source.num_frames:
        raise InputError(f"{times.size} frame timestamps for {source.num_frames} frames",
                         file=_source_name(source), field="timestamps",
                         hint="the header's frame timestamps do not cover the movie; is the file truncated?")
    return times


def _header_text(source: Any) -> str:
    header = getattr(source, "raw_header", None)
    if header is None or isinstance(header, str):
        return header or ""
    if isinstance(header, Mapping):
        import json

        return json.dumps(header, indent=1, sort_keys=True, default=str)
    return str(header)


def add_two_photon_series(
    nwbfile: NWBFile,
    source: ImagingSourceLike,
    *,
    imaging_plane: ImagingPlane,
    name: str = "TwoPhotonSeries",
    channel: int | str = 0,
    plane: int = 0,
    profile: str | CompressionProfile = "archive",
    clock_fit: ClockFit | None = None,
    starting_time_s: float = 0.0,
    description: str = "",
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    timing_from: TwoPhotonSeries | None = None,
    header_table: str | None = None,
) -> PendingMovie:
    """Add a TwoPhotonSeries for one channel and plane of ``source``; its frames are written later.

    Parameters
    ----------
    nwbfile : NWBFile
    source : ImagingSourceLike
        E.g. ``nwbtms.sources.imaging.open_imaging(path)``.
    imaging_plane : ImagingPlane
    name : str
        Series name (in ``acquisition``).
    channel, plane : int or str, int
        Which channel and plane of the source.
    profile : str or CompressionProfile
        ``archive`` (default), ``fast`` or ``none`` (:mod:`nwbtms.io.compression`).
    clock_fit : ClockFit, optional
        Maps the source's clock onto the session clock (timestamps, or the start and rate).
    starting_time_s : float
        Device time of the first frame when the source has no per-frame timestamps.
    description : str
    buffer_bytes : int
        Frames read at once (at most 256 MB).
    timing_from : TwoPhotonSeries, optional
        Another channel of the same plane: this series links its timestamps (or copies its rate and start).
    header_table : str, optional
        Name of the raw-header table in ``acquisition`` (default ``<name>_raw_header``; channels of one
        plane share theirs).

    Returns
    -------
    PendingMovie
        Pass it to :func:`write_nwbfile_with_movies`.
    """
    profile = get_profile(profile)
    rows, cols = (int(n) for n in source.frame_shape)
    dtype = np.dtype(source.dtype)
    if source.num_frames < 1:
        raise InputError("the movie has no frames", file=_source_name(source), field="num_frames")
    chunk_shape = frame_chunk_shape((rows, cols), dtype)
    chunk_shape = (min(chunk_shape[0], source.num_frames), *chunk_shape[1:])
    options = profile.dataset_options()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*compression may not be available.*")
        dataio = H5DataIO(shape=(int(source.num_frames), rows, cols), dtype=dtype, chunks=chunk_shape,
                          **options)
    times = _frame_times(source, plane)
    timing: dict[str, Any]
    if timing_from is not None:  # another channel of the same plane: same frames, same times
        if timing_from.timestamps is not None:
            timing = {"timestamps": timing_from}
        else:
            timing = {"rate": float(timing_from.rate), "starting_time": float(timing_from.starting_time)}
    elif times is not None:
        timing = {"timestamps": to_session_clock(times, clock_fit)}
    else:
        rate = float(source.frame_rate_hz)
        if clock_fit is not None:
            rate /= 1.0 + clock_fit.drift_ppm * 1e-6
        timing = {"rate": rate, "starting_time": float(to_session_clock(starting_time_s, clock_fit))}
    header_table = header_table or f"{name}_raw_header"
    series = TwoPhotonSeries(
        name=name, imaging_plane=imaging_plane, data=dataio, unit="n.a.",
        dimension=[cols, rows], field_of_view=_field_of_view_m(source),
        description=description or f"Two-photon movie from {_source_name(source)}, channel {channel}, "
                                   f"plane {plane}.",
        comments=f"Raw header of the source file(s): /acquisition/{header_table}. "
                 f"Compression profile: {profile.name}.",
        **timing,
    )
    nwbfile.add_acquisition(series)
    if header_table not in nwbfile.acquisition:
        nwbfile.add_acquisition(_raw_header_table(header_table, source, name))
    return PendingMovie(series=series, dataio=dataio, source=source, channel=channel, plane=plane,
                        profile=profile, buffer_frames=buffer_frame_count(chunk_shape, dtype, buffer_bytes))


@dataclass
class PendingVolume:
    """A z-stack TwoPhotonSeries ``(1, rows, cols, slices)`` filled slice by slice from ``stack`` at write time."""

    series: TwoPhotonSeries
    dataio: H5DataIO
    stack: Any
    channel: int | str
    profile: CompressionProfile

    @property
    def source_name(self) -> str:
        """The stack's file name for messages."""
        return str(self.stack.path)

    def fill(self, *, quiet: bool = False) -> int:
        """Write every slice into the allocated dataset; returns the slices written."""
        dset = self.dataio.dataset
        if dset is None:
            raise RuntimeError(f"series {self.series.name} was not written yet (dataset not allocated)")
        from nwbtms.errors import SourceError

        written = 0
        slices = progress(self.stack.iter_slices(channel=self.channel), total=self.stack.num_slices,
                          desc=self.series.name, unit="slice", quiet=quiet)
        for index, plane in enumerate(slices):
            if index >= dset.shape[3] or plane.shape != tuple(dset.shape[1:3]):
                raise SourceError(f"slice {index} of shape {plane.shape} does not fit the volume "
                                  f"{tuple(dset.shape[1:])}", file=self.source_name, field=f"slice {index}")
            dset[0, :, :, index] = plane
            written += 1
        if written != dset.shape[3]:
            raise SourceError(f"{written} slices read, {dset.shape[3]} declared", file=self.source_name,
                              hint="is a slice file missing or truncated?")
        return written


def add_volume_series(
    nwbfile: NWBFile,
    stack: Any,
    *,
    imaging_plane: ImagingPlane,
    name: str = "TwoPhotonVolume",
    channel: int | str = 0,
    profile: str | CompressionProfile = "archive",
    description: str = "",
) -> PendingVolume:
    """Add a structural z-stack as a one-sample volumetric TwoPhotonSeries ``(1, rows, cols, slices)``.

    ``stack`` is a :class:`nwbtms.sources.imaging.zstack.ZStack`; voxels are written one slice (one
    chunk) at a time by :meth:`PendingVolume.fill` (through :func:`fill_movies`), with the profile's
    HDF5 filters. The field of view is ``(height, width, depth)``; the imaging plane's grid spacing
    carries the voxel size (:func:`add_imaging_plane` with ``z_step_um``).
    """
    profile = get_profile(profile)
    rows, cols = (int(n) for n in stack.frame_shape)
    depth = int(stack.num_slices)
    if depth < 1:
        raise InputError("the stack has no slices", file=str(stack.path), field="num_slices")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*compression may not be available.*")
        dataio = H5DataIO(shape=(1, rows, cols, depth), dtype=np.dtype(stack.dtype), chunks=(1, rows, cols, 1),
                          **profile.dataset_options())
    fov = stack.field_of_view_um
    source = stack.source
    volume_rate = float(source.frame_rate_hz) / max(1, depth * stack.repeats_per_slice)
    header_table = f"{name}_raw_header"
    z = [float(v) for v in stack.z_positions_um]
    series = TwoPhotonSeries(
        name=name, imaging_plane=imaging_plane, data=dataio, unit="n.a.", dimension=[cols, rows, depth],
        field_of_view=None if fov is None else [v * 1e-6 for v in fov], rate=volume_rate, starting_time=0.0,
        description=description or f"Structural z-stack from {stack.path.name}, channel {channel}: one volume "
                                   f"(time, rows, cols, slices), {depth} slices {stack.z_step_um:g} um apart "
                                   f"(slice depths {z[0]:g} to {z[-1]:g} um, microscope z axis).",
        comments=f"Raw header of the source file(s): /acquisition/{header_table}. "
                 f"Compression profile: {profile.name}. Slices averaged over {stack.repeats_per_slice} "
                 "repeat(s).",
    )
    nwbfile.add_acquisition(series)
    if header_table not in nwbfile.acquisition:
        nwbfile.add_acquisition(_raw_header_table(header_table, source, name))
    return PendingVolume(series=series, dataio=dataio, stack=stack, channel=channel, profile=profile)


def _field_of_view_m(source: Any) -> list[float] | None:
    fov = getattr(source, "field_of_view_um", None)
    if fov is None:
        return None
    return [float(v) * 1e-6 for v in fov]


def _raw_header_table(name: str, source: Any, series_name: str) -> DynamicTable:
    """One row per verbatim header part: ``header`` (the raw header), then the source's ``extra_headers``."""
    paths = getattr(source, "paths", None) or [_source_name(source)]
    files = "; ".join(Path(p).name for p in paths)
    extra = getattr(source, "extra_headers", None) or {}
    parts = [("header", _header_text(source))] + [(str(k), str(v)) for k, v in extra.items()]
    return DynamicTable(
        name=name,
        description=f"Verbatim header of the raw file(s) of {series_name}, kept for provenance.",
        columns=[
            VectorData(name="source_file", description="Raw file name(s), in acquisition order.",
                       data=[files] * len(parts)),
            VectorData(name="part", description="Which part of the header: 'header' (the static header or "
                       "master XML), or a further part such as ScanImage's 'roi_groups_json'.",
                       data=[part for part, _ in parts]),
            VectorData(name="header", description="Header text exactly as the instrument wrote it.",
                       data=[text for _, text in parts]),
        ],
    )


def fill_movies(movies: Sequence[PendingMovie], *, quiet: bool = False) -> dict[str, int]:
    """Write the frames of ``movies`` into their datasets; call inside the open ``NWBHDF5IO`` after ``write``.

    Returns frames written per series name.
    """
    written = {}
    for movie in movies:
        if isinstance(movie, PendingVolume):
            written[movie.series.name] = movie.fill(quiet=quiet)
            continue
        dset = movie.dataio.dataset
        if dset is None:
            raise RuntimeError(f"series {movie.series.name} was not written yet (dataset not allocated)")
        blocks = movie.source.iter_frames(channel=movie.channel, plane=movie.plane,
                                          frames_per_chunk=movie.buffer_frames)

        def bar(slabs, total, _name=movie.series.name):
            return progress(slabs, total=total, desc=_name, unit="chunk", quiet=quiet)

        written[movie.series.name] = write_frames(dset, blocks, movie.profile, source=movie.source_name,
                                                  progress=bar)
    return written


def write_nwbfile_with_movies(
    nwbfile: NWBFile,
    path: str | os.PathLike,
    movies: Sequence[PendingMovie] = (),
    *,
    overwrite: bool = False,
    quiet: bool = False,
) -> MovieWriteResult:
    """Write ``nwbfile`` and stream the frames of ``movies`` into it, atomically.

    Nothing is left at ``path`` when anything fails (bad frame, truncated source, full disk).

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    SourceError
        A source yields frames of another shape or fewer frames than declared.
    """
    frames: dict[str, int] = {}
    path = write_nwbfile(nwbfile, path, overwrite=overwrite,
                         after_write=lambda: frames.update(fill_movies(movies, quiet=quiet)))
    notes = sorted({m.profile.reader_note for m in movies if m.profile.reader_note})
    return MovieWriteResult(path=path, frames_written=frames, reader_notes=notes)
