"""Axon ABF1/ABF2 recordings: header by ``pyabf``, samples memory-mapped.

``pyabf.ABF(path)`` reads the whole data section into a float32 array (twice the file size in
memory). To keep memory bounded, the header is parsed by ``pyabf.ABF(path, loadData=False)`` and
the samples are memory-mapped from ``dataByteStart`` and scaled per channel exactly as pyabf does
(``value = count * gain + offset`` for int16 files, float32 files as stored). The gain and offset
come from pyabf's ``_dataGain`` / ``_dataOffset`` (private attributes; the real-file tests compare
the result with pyabf's own fully loaded data, so a pyabf change that breaks this is caught).

Episodic files: each sweep is a segment starting at ``sweep * sweepIntervalSec``; gap-free files
have one segment. Channel names and units lose the NUL bytes padding their fixed-width fields; a name
that is only NUL bytes (pyabf's own ABF1 writer leaves it so) becomes ``channel <index>``.

Event-driven variable-length files (``nOperationMode`` 1) store each sweep's start and length in the
ABF2 synch array section (``lStart``, ``lLength`` in multiplexed samples), as pyabf
reads them: each entry is a segment of ``lLength // channelCount`` samples starting at ``lStart``
``fSynchTimeUnit`` microseconds (in samples when ``fSynchTimeUnit`` is 0, as pyabf always assumes).
ABF1 event-driven files are refused: pyabf does not read their synch array, so sweep boundaries are
unknown. Channels are the ADC inputs (``adcNames``, ``adcUnits``); ABF has no digital
input channels (digital outputs and tags are not samples).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

with np.printoptions():  # importing pyabf sets numpy's global print options (threshold=5); keep the user's
    import pyabf

from nwbtms.errors import SourceError
from nwbtms.sources.daq.base import ChannelInfo, Recording, Segment, check_sample_rate, int16_lookup_table
from nwbtms.sources.registry import head_bytes


class AbfRecording(Recording):
    """An ABF file; sweeps are segments."""

    name = "abf"
    display_name = "Axon ABF"
    suffixes = (".abf",)
    info = "Axon Binary Format 1 and 2 (pCLAMP, Clampex), read with pyABF."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return head_bytes(path, 4) in (b"ABF ", b"ABF2")  # ABF1 and ABF2 file signatures

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        try:
            abf = pyabf.ABF(str(path), loadData=False)
        except Exception as exc:  # pyabf raises bare Exceptions, struct.error, ValueError on bad headers
            raise SourceError(
                f"cannot read ABF header (truncated or not an ABF file): {exc}",
                file=path,
                hint="check the file was copied completely",
            ) from exc
        rate = check_sample_rate(abf.dataRate, file=path, field="dataRate")
        channel_count = int(abf.channelCount)
        dtype = np.dtype(np.int16) if int(abf._nDataFormat) == 0 else np.dtype(np.float32)
        if channel_count < 1:
            raise SourceError("the file declares no input channels", file=path, field="channelCount")
        needed = int(abf.dataByteStart) + int(abf.dataPointCount) * dtype.itemsize
        size = path.stat().st_size
        if size < needed:
            raise SourceError(
                f"file is {size} bytes but the header promises {needed} (truncated)",
                file=path,
                field="dataPointCount",
                hint="copy the file again from the acquisition computer",
            )
        points_per_channel = int(abf.dataPointCount) // channel_count
        sweep_points = int(abf.sweepPointCount)
        sweep_count = int(abf.sweepCount)
        variable = _variable_sweeps(abf, path, channel_count, rate, points_per_channel)
        if variable is None and (sweep_points * sweep_count > points_per_channel or sweep_points <= 0):
            raise SourceError(
                f"{sweep_count} sweeps of {sweep_points} points do not fit {points_per_channel} points",
                file=path,
                field="sweepPointCount",
            )
        self._data = np.memmap(
            path,
            dtype=dtype,
            mode="r",
            offset=int(abf.dataByteStart),
            shape=(points_per_channel, channel_count),
        )
        if variable is None:
            interval_s = float(abf.sweepIntervalSec or abf.sweepLengthSec)
            segments = [Segment(i, i * interval_s, sweep_points) for i in range(sweep_count)]
            self._bases = [i * sweep_points for i in range(sweep_count)]
        else:
            segments, self._bases = variable
        self._gain = [float(g) for g in abf._dataGain]
        self._offset = [float(o) for o in abf._dataOffset]
        self._int16 = dtype == np.int16
        channels = [
            ChannelInfo(_clean(name) or f"channel {i}", "analog", _clean(unit), i)
            for i, (name, unit) in enumerate(zip(abf.adcNames, abf.adcUnits, strict=False))
        ]
        start = abf.abfDateTime if getattr(abf.abfDateTime, "tzinfo", None) else None
        super().__init__(
            path=path,
            format="abf",
            sample_rate_hz=rate,
            channels=channels,
            segments=segments,
            start_datetime=start,
            metadata={
                "version": abf.abfVersionString,
                "operation_mode": int(abf.nOperationMode),
                "abf_datetime_local": str(abf.abfDateTime),
                "protocol": getattr(abf, "protocol", ""),
                "tag_times_s": list(getattr(abf, "tagTimesSec", []) or []),
                "tag_comments": list(getattr(abf, "tagComments", []) or []),
            },
        )

    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        info = self.channel(channel_name)
        if not self._int16:
            return None
        gain, offset = self._gain[info.index], self._offset[info.index]
        # pyabf scales in float32; do the same so both readers agree to the last bit.
        return int16_lookup_table(
            lambda c: (c.astype(np.float32) * np.float32(gain) + np.float32(offset)).astype(np.float64)
        )

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        base = self._bases[segment]
        return np.array(self._data[base + start : base + stop, info.index])

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        raw = self._read_raw(info, segment, start, stop)
        if not self._int16:
            return raw.astype(np.float64)
        scaled = raw.astype(np.float32) * np.float32(self._gain[info.index]) + np.float32(self._offset[info.index])
        return scaled.astype(np.float64)

    def close(self) -> None:
        self._data = None  # the memory map closes when the last view goes


def _clean(text) -> str:
    """A header string without the NUL bytes that pad fixed-width ABF fields (all-NUL: empty)."""
    return str(text).replace("\x00", "").strip()


#: ``nOperationMode`` of event-driven acquisition with variable-length sweeps (ABF file format docs).
EVENT_DRIVEN_VARIABLE_LENGTH = 1


def _variable_sweeps(abf, path: Path, channel_count: int, rate: float,
                     points_per_channel: int) -> tuple[list[Segment], list[int]] | None:
    """Segments and data offsets (samples per channel) of a variable-length file; None for fixed sweeps."""
    mode = int(abf.nOperationMode)
    synch = getattr(abf, "_synchArraySection", None)
    if synch is None:  # ABF1: pyabf does not read the synch array
        if mode == EVENT_DRIVEN_VARIABLE_LENGTH:
            raise SourceError(
                "ABF1 event-driven recording with variable-length sweeps: the sweep boundaries are in the "
                "ABF1 synch array, which is not read, so samples cannot be assigned to sweeps",
                file=path, field="nOperationMode",
                hint="convert the file to ABF2 in Clampfit (File > Save As) and read that file",
            )
        return None
    lengths = [int(n) for n in synch.lLength]
    if mode != EVENT_DRIVEN_VARIABLE_LENGTH and (int(abf.sweepCount) <= 1 or len(set(lengths)) <= 1):
        return None
    if not lengths:
        raise SourceError("event-driven recording without a synch array (sweep starts and lengths)",
                          file=path, field="SynchArraySection",
                          hint="the header is damaged; re-export the file from Clampex/Clampfit")
    if any(n <= 0 or n % channel_count for n in lengths) or sum(lengths) != points_per_channel * channel_count:
        raise SourceError(
            f"synch array lengths (sum {sum(lengths)}) do not split the {points_per_channel * channel_count} "
            f"stored points into sweeps of whole multiplexed samples", file=path, field="SynchArraySection/lLength",
            hint="the file is damaged or truncated; copy it again from the acquisition computer",
        )
    unit_us = float(abf._protocolSection.fSynchTimeUnit or 0.0)
    segments, bases, base = [], [], 0
    for i, (start, length) in enumerate(zip(synch.lStart, lengths, strict=True)):
        start_s = int(start) * unit_us * 1e-6 if unit_us > 0 else int(start) / rate
        segments.append(Segment(i, start_s, length // channel_count))
        bases.append(base)
        base += length // channel_count
    return segments, bases
