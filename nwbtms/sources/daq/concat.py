"""Several recordings read as one: the segments of each file, in order, on one clock.

Files are placed by their ``start_datetime`` when every file has one; otherwise end to end (each
file starting one sample after the previous one ends), which is what acquisition software that
splits a continuous run into files produces. Channels must match by name, kind and rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.daq.base import ChannelInfo, Recording, Segment


class ConcatenatedRecording(Recording):
    """Recordings of the same channels one after the other; segment ``i`` maps to one file's segment."""

    def __init__(self, recordings: Sequence[Recording]) -> None:
        recordings = list(recordings)
        if not recordings:
            raise SourceError("no recordings to join")
        first = recordings[0]
        for other in recordings[1:]:
            if other.sample_rate_hz != first.sample_rate_hz:
                raise SourceError(
                    f"sample rate {other.sample_rate_hz:g} Hz differs from {first.sample_rate_hz:g} Hz of {first.path}",
                    file=other.path,
                    field="sample_rate_hz",
                )
            mine = [(c.name, c.kind) for c in first.channels]
            theirs = [(c.name, c.kind) for c in other.channels]
            if mine != theirs:
                raise SourceError(
                    f"channels {[n for n, _ in theirs]} differ from {[n for n, _ in mine]} of {first.path}",
                    file=other.path,
                    hint="join only files of the same acquisition",
                )
        self._parts = recordings
        self._map: list[tuple[int, int]] = []
        segments: list[Segment] = []
        by_clock = all(r.start_datetime is not None for r in recordings)
        offset_s = 0.0
        for part_index, rec in enumerate(recordings):
            if by_clock:
                offset_s = (rec.start_datetime - first.start_datetime).total_seconds()
            elif part_index:
                prev = segments[-1]
                end_s = prev.start_time_s + prev.num_samples / first.sample_rate_hz
                offset_s = end_s - rec.segments[0].start_time_s
            for seg in rec.segments:
                segments.append(Segment(len(segments), offset_s + seg.start_time_s, seg.num_samples))
                self._map.append((part_index, seg.index))
        channels = [ChannelInfo(c.name, c.kind, c.unit, c.index) for c in first.channels]
        super().__init__(
            path=first.path,
            format="concatenated",
            sample_rate_hz=first.sample_rate_hz,
            channels=channels,
            segments=segments,
            start_datetime=first.start_datetime,
            metadata={
                "files": [str(r.path) for r in recordings],
                "placed_by": "clock" if by_clock else "end-to-end",
            },
        )

    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        tables = [r.raw_lookup_table(channel_name) for r in self._parts]
        if any(t is None for t in tables) or any(not np.array_equal(tables[0], t) for t in tables[1:]):
            return None
        return tables[0]

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        part, seg = self._map[segment]
        rec = self._parts[part]
        return rec._read(rec.channel(info.name), seg, start, stop)

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        part, seg = self._map[segment]
        rec = self._parts[part]
        return rec._read_raw(rec.channel(info.name), seg, start, stop)

    def close(self) -> None:
        for rec in self._parts:
            rec.close()
