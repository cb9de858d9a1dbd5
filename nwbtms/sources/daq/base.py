"""The ``Recording`` interface every DAQ reader implements: channels, rate, segments, chunked reads.

A reader opens a file, checks its header, and hands out samples lazily, one bounded chunk at a
time, in physical units (float64) for analog channels and ``bool`` for digital lines. Readers are
pure: no pynwb here.

Time on the recording clock: sample ``k`` of segment ``s`` is at
``segments[s].start_time_s + k / sample_rate_hz``.

Readers whose analog samples are 16-bit integers also expose :meth:`Recording.raw_lookup_table`
and :meth:`Recording.iter_raw_chunks`, so detection can compare raw counts against thresholds
converted once, and scale only the few samples it reports (see ``nwbtms.pulses.detect``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nwbtms.errors import ChannelNotFoundError, InputError, SourceError
from nwbtms.sources.registry import Reader

#: Samples per chunk unless the caller asks otherwise: 1 Mi samples = 8 MiB as float64.
DEFAULT_CHUNK_SAMPLES = 1 << 20

#: Highest sample rate any reader accepts. Commercial DAQ boards top out in the low MHz
#: (e.g. NI PXIe-6124 at 4 MS/s); 100 MHz leaves ample room and still rejects garbage headers.
MAX_SAMPLE_RATE_HZ = 1e8

ChannelKind = Literal["analog", "digital"]


@dataclass(frozen=True)
class ChannelInfo:
    """One recorded channel.

    Attributes
    ----------
    name : str
        Name as the acquisition software wrote it (unique within the recording).
    kind : {"analog", "digital"}
        Analog channels read as float64 in ``unit``; digital lines read as bool.
    unit : str
        Physical unit of analog samples ("V", "mV", "pA"...); "" for digital lines.
    index : int
        Position in :attr:`Recording.channels`.
    """

    name: str
    kind: ChannelKind
    unit: str
    index: int


@dataclass(frozen=True)
class Segment:
    """A stretch of contiguous samples: a sweep, an Open Ephys recording, or a whole file.

    Attributes
    ----------
    index : int
        Position in :attr:`Recording.segments`.
    start_time_s : float
        Time of the segment's first sample on the recording clock.
    num_samples : int
        Samples per channel in the segment.
    """

    index: int
    start_time_s: float
    num_samples: int


@dataclass(frozen=True)
class Chunk:
    """Consecutive samples of one channel within one segment.

    Attributes
    ----------
    segment : int
        Segment index.
    start_sample : int
        Index of ``data[0]`` within the segment.
    data : numpy.ndarray
        float64 physical values (analog), bool (digital), or raw counts from
        :meth:`Recording.iter_raw_chunks`.
    """

    segment: int
    start_sample: int
    data: np.ndarray


def check_sample_rate(rate_hz: Any, *, file: str | Path, field: str) -> float:
    """Return ``rate_hz`` as float, or raise :class:`SourceError` when it is not a usable rate."""
    try:
        rate = float(np.asarray(rate_hz, dtype=float).reshape(-1)[0])
    except (TypeError, ValueError, IndexError) as exc:
        raise SourceError(
            f"sample rate is not a number: {rate_hz!r}",
            file=file,
            field=field,
            hint="check the file header or pass sample_rate_hz",
        ) from exc
    if not math.isfinite(rate) or rate <= 0 or rate > MAX_SAMPLE_RATE_HZ:
        raise SourceError(
            f"impossible sample rate {rate!r} Hz (must be > 0 and <= {MAX_SAMPLE_RATE_HZ:g})",
            file=file,
            field=field,
            hint="check the file header or pass the true sample_rate_hz",
        )
    return rate


def checked_chunk_samples(chunk_samples: int) -> int:
    """``chunk_samples`` as int; :class:`InputError` when it is below 1."""
    chunk_samples = int(chunk_samples)
    if chunk_samples < 1:
        raise InputError(f"chunk_samples must be >= 1, got {chunk_samples}", field="chunk_samples")
    return chunk_samples


def int16_lookup_table(to_physical) -> np.ndarray:
    """Physical value of every int16 count, indexed by the count viewed as uint16 (65536 float64)."""
    counts = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.float64)
    return np.asarray(to_physical(counts), dtype=np.float64)


@dataclass
class Recording(Reader, ABC):
    """A DAQ recording opened for lazy, chunked reading (a :class:`~nwbtms.sources.registry.Reader` of kind
    ``daq``: each format's subclass declares its name, suffixes and sniff).

    Attributes
    ----------
    path : Path
        The file (or folder, for Open Ephys) that was opened.
    format : str
        Reader name: "wavesurfer", "tdms", "abf", "openephys", "binary", "csv" or "concatenated".
    sample_rate_hz : float
        Samples per second per channel (the same for every channel of a recording).
    channels : list of ChannelInfo
    segments : list of Segment
    start_datetime : datetime or None
        Wall-clock time of the recording clock's zero, timezone-aware, or None when the file does
        not say (naive clocks are kept in ``metadata`` instead of being guessed).
    metadata : dict
        Format-specific extras (version, naive clock, groups...), for display only.
    """

    path: Path
    format: str
    sample_rate_hz: float
    channels: list[ChannelInfo]
    segments: list[Segment]
    start_datetime: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    kind = "daq"

    #: Whether ``_read(info, segment, start, stop)`` is cheap anywhere in the file (False: streamed only).
    random_access = True

    # ----------------------------------------------------------------------------- lookup
    def channel(self, name: str) -> ChannelInfo:
        """The channel called ``name``; :class:`ChannelNotFoundError` lists the existing ones."""
        for info in self.channels:
            if info.name == name:
                return info
        names = ", ".join(repr(c.name) for c in self.channels) or "(none)"
        raise ChannelNotFoundError(
            f"no channel {name!r}; channels in this file: {names}",
            file=self.path,
            field=str(name),
            hint="pick one of the channels listed",
        )

    @property
    def channel_names(self) -> list[str]:
        """Names of all channels, in file order."""
        return [c.name for c in self.channels]

    @property
    def num_samples(self) -> int:
        """Samples per channel over all segments."""
        return sum(s.num_samples for s in self.segments)

    def segments_for(self, segment: int | Sequence[int] | None) -> list[Segment]:
        """The segments selected by ``segment`` (None: all; an int or a list of ints)."""
        if segment is None:
            return list(self.segments)
        wanted = [segment] if isinstance(segment, int | np.integer) else list(segment)
        out = []
        for index in wanted:
            if not 0 <= int(index) < len(self.segments):
                raise InputError(
                    f"segment {index} does not exist; the file has {len(self.segments)} segment(s)",
                    file=self.path,
                    field="segment",
                    hint=f"use 0..{len(self.segments) - 1}",
                )
            out.append(self.segments[int(index)])
        return out

    # ----------------------------------------------------------------------------- reading
    def iter_chunks(
        self,
        channel_name: str,
        *,
        segment: int | Sequence[int] | None = None,
        chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
    ) -> Iterator[Chunk]:
        """Yield the channel's samples in chunks of at most ``chunk_samples``, segment by segment.

        Analog data come as float64 in :attr:`ChannelInfo.unit`; digital lines as bool.
        """
        info = self.channel(channel_name)
        yield from self._iter(info, segment, chunk_samples, self._read)

    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        """For int16-backed analog channels: the 65536-entry count->physical table, else None.

        ``table[raw.view(np.uint16)]`` equals what :meth:`iter_chunks` yields for those counts.
        """
        return None

    def iter_raw_chunks(
        self,
        channel_name: str,
        *,
        segment: int | Sequence[int] | None = None,
        chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
    ) -> Iterator[Chunk]:
        """Like :meth:`iter_chunks` but unscaled (int16 counts where :meth:`raw_lookup_table` exists)."""
        info = self.channel(channel_name)
        yield from self._iter(info, segment, chunk_samples, self._read_raw)

    def _iter(self, info: ChannelInfo, segment, chunk_samples: int, reader) -> Iterator[Chunk]:
        chunk_samples = checked_chunk_samples(chunk_samples)
        for seg in self.segments_for(segment):
            for start in range(0, seg.num_samples, chunk_samples):
                stop = min(start + chunk_samples, seg.num_samples)
                yield Chunk(seg.index, start, reader(info, seg.index, start, stop))

    @abstractmethod
    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` of one channel in one segment, physical float64 or bool."""

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        """Unscaled samples; defaults to the physical ones."""
        return self._read(info, segment, start, stop)

    def read(self, channel_name: str, *, segment: int = 0, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples ``start:stop`` of one segment in one array (for small reads and tests)."""
        info = self.channel(channel_name)
        seg = self.segments_for(segment)[0]
        stop = seg.num_samples if stop is None else min(int(stop), seg.num_samples)
        start = max(0, int(start))
        if stop <= start:
            return np.empty(0, dtype=bool if info.kind == "digital" else np.float64)
        return self._read(info, seg.index, start, stop)

    # ----------------------------------------------------------------------------- lifetime
    def close(self) -> None:  # noqa: B027 - readers without handles need no cleanup
        """Release file handles (idempotent)."""

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """One line per channel, for messages."""
        lines = [f"{self.path} ({self.format}, {self.sample_rate_hz:g} Hz, {len(self.segments)} segment(s))"]
        lines += [f"  {c.name} [{c.kind}{', ' + c.unit if c.unit else ''}]" for c in self.channels]
        return "\n".join(lines)


class SequentialRecording(Recording):
    """A one-segment recording that can only be read front to back (text tables such as CSV).

    Subclasses yield a channel's physical values in blocks of any size from :meth:`_blocks`; this
    class re-cuts them into chunks of the requested size (memory: one block plus one chunk) and
    serves :meth:`Recording.read` by scanning from the start (cost grows with ``stop``).
    """

    random_access = False

    @abstractmethod
    def _blocks(self, info: ChannelInfo) -> Iterator[np.ndarray]:
        """Consecutive float64 values of one channel, from the first sample, in blocks of any size."""

    @staticmethod
    def _convert(info: ChannelInfo, data: np.ndarray) -> np.ndarray:
        return data != 0 if info.kind == "digital" else data

    def _iter(self, info: ChannelInfo, segment, chunk_samples: int, reader) -> Iterator[Chunk]:
        chunk_samples = checked_chunk_samples(chunk_samples)
        self.segments_for(segment)  # validates the selection; there is one segment
        pending: list[np.ndarray] = []
        filled = start = 0
        for block in self._blocks(info):
            while block.size:
                take = min(chunk_samples - filled, block.size)
                pending.append(block[:take])
                filled += take
                block = block[take:]
                if filled == chunk_samples:
                    yield Chunk(0, start, self._convert(info, np.concatenate(pending)))
                    start += filled
                    pending, filled = [], 0
        if filled:
            yield Chunk(0, start, self._convert(info, np.concatenate(pending)))

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        parts: list[np.ndarray] = []
        position = 0
        blocks = self._blocks(info)
        try:
            for block in blocks:
                end = position + block.size
                if end > start:
                    parts.append(block[max(0, start - position) : stop - position])
                position = end
                if position >= stop:
                    break
        finally:
            blocks.close()  # type: ignore[attr-defined] - generators release their file here
        data = np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
        return self._convert(info, data)
