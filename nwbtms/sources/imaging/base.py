"""The :class:`ImagingSource` record every imaging reader returns, with lazy chunked frame reading.

A reader (ScanImage, generic TIFF, Bruker PrairieView) fills the metadata fields when the source is
opened and implements :meth:`ImagingSource._read_frames`; the base class turns that into
:meth:`ImagingSource.iter_frames`, which yields ``(k, rows, cols)`` chunks of one channel and one
plane and never holds more than one chunk in memory.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import ChannelNotFoundError, InputError

#: Default chunk budget for :meth:`ImagingSource.iter_frames` (issue 5: chunks of at most 10 MB).
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ImagingPlaneInfo:
    """One imaging plane of an acquisition.

    Attributes
    ----------
    index : int
        0-based plane index, in acquisition order within a volume.
    z_um : float or None
        Nominal z position (µm, microscope coordinates) when the header gives it.
    """

    index: int
    z_um: float | None = None


@dataclass
class ImagingSource:
    """A two-photon movie on disk: metadata read at open time, frames read lazily.

    Attributes
    ----------
    paths : tuple of Path
        The files (or the master XML) the movie was read from, in acquisition order.
    format : str
        ``"scanimage"``, ``"tiff"`` or ``"bruker"``.
    num_frames : int
        Frames per plane and per channel (volumes for a fast-z acquisition).
    frame_shape : (int, int)
        ``(rows, cols)`` of one frame.
    dtype : numpy.dtype
        Pixel type as stored.
    frame_rate_hz : float
        Rate of single frames (for fast-z: of slices, not volumes).
    volume_rate_hz : float or None
        Volume rate for fast-z acquisitions, else None.
    channels : list of str
        Saved channel names, in the order pages are interleaved.
    num_planes : int
        Planes per volume (1 for a plain time series).
    flyback_frames : int
        Flyback frames per volume stored in the file(s) and skipped when reading.
    planes : list of ImagingPlaneInfo
        One entry per plane.
    timestamps_s : numpy.ndarray or None
        Per-frame acquisition times of plane 0 (s, imaging clock), when the files carry them.
    aux_triggers : dict of str to numpy.ndarray
        Edge times (s, imaging clock) on auxiliary trigger inputs (ScanImage ``auxTrigger0..3``).
    pixel_size_um : (float, float) or None
        ``(row, col)`` pixel size in µm.
    field_of_view_um : (float, float) or None
        ``(height, width)`` of the imaged field in µm.
    zoom : float or None
        Scan zoom factor.
    laser_power : float, list or None
        Laser power as the header states it (``laser_power_unit`` in :attr:`metadata`).
    start_datetime : datetime or None
        Acquisition start as written by the instrument (naive: local time of the rig).
    raw_header : str
        The full raw header text, to be kept in the NWB file.
    extra_headers : dict of str to str
        Further verbatim header parts kept beside :attr:`raw_header` (ScanImage 2016+:
        ``roi_groups_json``, the ROI group definitions of the Artist tag).
    metadata : dict
        Further format-specific values (parsed header, per-plane timestamps, units...).
    """

    paths: tuple[Path, ...]
    format: str
    num_frames: int
    frame_shape: tuple[int, int]
    dtype: np.dtype
    frame_rate_hz: float
    volume_rate_hz: float | None = None
    channels: list[str] = field(default_factory=lambda: ["Channel 1"])
    num_planes: int = 1
    flyback_frames: int = 0
    planes: list[ImagingPlaneInfo] = field(default_factory=list)
    timestamps_s: np.ndarray | None = None
    aux_triggers: dict[str, np.ndarray] = field(default_factory=dict)
    pixel_size_um: tuple[float, float] | None = None
    field_of_view_um: tuple[float, float] | None = None
    zoom: float | None = None
    laser_power: Any = None
    start_datetime: _dt.datetime | None = None
    raw_header: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dtype = np.dtype(self.dtype)
        self.frame_shape = (int(self.frame_shape[0]), int(self.frame_shape[1]))
        if not self.planes:
            self.planes = [ImagingPlaneInfo(i) for i in range(self.num_planes)]

    # -- sizes -------------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The first (or only) file."""
        return self.paths[0]

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame in memory."""
        return self.frame_shape[0] * self.frame_shape[1] * self.dtype.itemsize

    def __len__(self) -> int:
        return self.num_frames

    def plane_timestamps_s(self, plane: int = 0) -> np.ndarray | None:
        """Per-frame times (s) of ``plane``; None when the files carry no per-frame times."""
        self._check_plane(plane)
        per_plane = self.metadata.get("plane_timestamps_s")
        if per_plane is not None:
            return per_plane[plane]
        return self.timestamps_s if plane == 0 else None

    # -- frames ------------------------------------------------------------------------------------
    def iter_frames(
        self,
        *,
        channel: int | str = 0,
        plane: int = 0,
        start: int = 0,
        stop: int | None = None,
        frames_per_chunk: int | None = None,
    ) -> Iterator[np.ndarray]:
        """Yield frames ``start:stop`` of one channel and plane in ``(k, rows, cols)`` chunks.

        Parameters
        ----------
        channel : int or str
            Channel index into :attr:`channels` or its name.
        plane : int
            Plane index (0 for a plain time series).
        start, stop : int
            Frame range (per plane and channel); ``stop=None`` reads to the end.
        frames_per_chunk : int, optional
            Frames per yielded chunk; default keeps a chunk under 8 MB.

        Yields
        ------
        numpy.ndarray
            A new ``(k, rows, cols)`` array per chunk (the caller may keep it).
        """
        channel_index = self.channel_index(channel)
        self._check_plane(plane)
        stop = self.num_frames if stop is None else stop
        if not 0 <= start <= stop <= self.num_frames:
            raise InputError(
                f"frame range {start}:{stop} is outside 0:{self.num_frames}",
                file=self.path, field="start/stop",
            )
        if frames_per_chunk is None:
            frames_per_chunk = max(1, DEFAULT_CHUNK_BYTES // max(1, self.frame_bytes))
        if frames_per_chunk < 1:
            raise InputError(f"frames_per_chunk must be >= 1, got {frames_per_chunk}",
                             field="frames_per_chunk")
        for first in range(start, stop, frames_per_chunk):
            last = min(stop, first + frames_per_chunk)
            out = np.empty((last - first, *self.frame_shape), dtype=self.dtype)
            self._read_frames(out, channel_index, plane, range(first, last))
            yield out

    def read_frames(self, start: int = 0, stop: int | None = None, *, channel: int | str = 0,
                    plane: int = 0) -> np.ndarray:
        """Frames ``start:stop`` as one array (for small ranges: previews, tests)."""
        chunks = list(self.iter_frames(channel=channel, plane=plane, start=start, stop=stop))
        if not chunks:
            return np.empty((0, *self.frame_shape), dtype=self.dtype)
        return np.concatenate(chunks)

    def channel_index(self, channel: int | str) -> int:
        """Index of ``channel`` (an index or a name) in :attr:`channels`."""
        if isinstance(channel, str):
            if channel not in self.channels:
                raise ChannelNotFoundError(
                    f"channel {channel!r} not found; channels: {', '.join(self.channels)}",
                    file=self.path, field="channel",
                )
            return self.channels.index(channel)
        if not 0 <= int(channel) < len(self.channels):
            raise ChannelNotFoundError(
                f"channel index {channel} out of range; channels: {', '.join(self.channels)}",
                file=self.path, field="channel",
            )
        return int(channel)

    def _check_plane(self, plane: int) -> None:
        if not 0 <= plane < self.num_planes:
            raise InputError(f"plane {plane} out of range 0..{self.num_planes - 1}", file=self.path,
                             field="plane")

    def _read_frames(self, out: np.ndarray, channel: int, plane: int, frames: Sequence[int]) -> None:
        """Fill ``out[i]`` with frame ``frames[i]`` of ``channel`` and ``plane``; readers implement this."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description of what was read (used by ``nwbtms imaging inspect``)."""
        timestamps = self.timestamps_s
        return {
            "format": self.format,
            "paths": [str(p) for p in self.paths],
            "num_frames": self.num_frames,
            "frame_rate_hz": self.frame_rate_hz,
            "volume_rate_hz": self.volume_rate_hz,
            "frame_shape": list(self.frame_shape),
            "dtype": str(self.dtype),
            "channels": list(self.channels),
            "num_planes": self.num_planes,
            "flyback_frames": self.flyback_frames,
            "timestamps_present": timestamps is not None,
            "first_timestamp_s": None if timestamps is None or not len(timestamps) else float(timestamps[0]),
            "last_timestamp_s": None if timestamps is None or not len(timestamps) else float(timestamps[-1]),
            "aux_triggers": {name: [float(t) for t in times] for name, times in self.aux_triggers.items()},
            "pixel_size_um": None if self.pixel_size_um is None else list(self.pixel_size_um),
            "field_of_view_um": None if self.field_of_view_um is None else list(self.field_of_view_um),
            "zoom": self.zoom,
            "laser_power": self.laser_power,
            "start_datetime": None if self.start_datetime is None else self.start_datetime.isoformat(),
            "raw_header_chars": len(self.raw_header),
            "extra_headers": sorted(self.extra_headers),
        }
