"""Recordings whose layout comes from the caller: raw interleaved binary, and CSV with a header row.

Raw binary (``.bin``/``.dat``): samples of ``dtype`` interleaved (frame after frame, one value per
channel), after ``header_bytes``; memory-mapped. Physical value = raw * ``scale`` + ``offset``
(scalars or one per channel). ``digital_channels`` names channels read as lines (nonzero = high).

CSV (``.csv``, ``.tsv``, ``.txt``): a header row of channel names, then one row per sample. The
rate is ``sample_rate_hz``, or comes from a time column (``time_s``, ``time``, ``t``) whose steps
must be uniform. The file is streamed row by row (never loaded whole); a row that does not parse
raises :class:`SourceError` naming its line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.daq.base import (
    ChannelInfo,
    Recording,
    Segment,
    SequentialRecording,
    check_sample_rate,
    int16_lookup_table,
)
from nwbtms.sources.daq.text_table import iter_numeric_blocks

TIME_COLUMNS = ("time_s", "time", "t", "timestamp_s")
#: Rows parsed at a time (numpy.loadtxt per block of lines; about 1 MB of work memory).
CSV_BLOCK_ROWS = 1 << 12


def _per_channel(value, count: int, name: str, path: Path) -> list[float]:
    values = list(np.atleast_1d(np.asarray(value, dtype=float)))
    if len(values) == 1:
        values = values * count
    if len(values) != count:
        raise InputError(f"{name} has {len(values)} values for {count} channels", file=path, field=name)
    return [float(v) for v in values]


def _channel_names(names: Sequence[str] | str | None, count: int, path: Path) -> list[str]:
    if names is None:
        return [f"ch{i}" for i in range(count)]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    names = [str(n) for n in names]
    if len(names) != count or len(set(names)) != len(names):
        raise InputError(
            f"channel_names must be {count} unique names, got {names}",
            file=path,
            field="channel_names",
        )
    return names


def _channel_infos(
    names: Sequence[str], digital_channels: Sequence[str] | str, unit: str, path: Path
) -> list[ChannelInfo]:
    """Channels in ``names`` order: those in ``digital_channels`` (a list or "a,b") are lines, the rest analog."""
    if isinstance(digital_channels, str):
        digital_channels = [d.strip() for d in digital_channels.split(",") if d.strip()]
    digital = set(digital_channels)
    unknown = sorted(digital - set(names))
    if unknown:
        raise InputError(
            f"digital_channels not among the channels {list(names)}: {unknown}", file=path, field="digital_channels"
        )
    return [
        ChannelInfo(name, "digital" if name in digital else "analog", "" if name in digital else unit, i)
        for i, name in enumerate(names)
    ]


class BinaryRecording(Recording):
    """Raw interleaved samples described by the caller."""

    name = "binary"
    display_name = "Raw binary"
    suffixes = (".bin", ".dat")
    info = "Headerless interleaved or planar samples (dtype, channel count and rate given as options)."

    def __init__(
        self,
        path: str | Path,
        *,
        dtype: str | np.dtype | None = None,
        num_channels: int | None = None,
        sample_rate_hz: float | None = None,
        channel_names: Sequence[str] | str | None = None,
        scale: float | Sequence[float] = 1.0,
        offset: float | Sequence[float] = 0.0,
        unit: str = "V",
        layout: str = "interleaved",
        header_bytes: int = 0,
        digital_channels: Sequence[str] | str = (),
    ) -> None:
        path = Path(path)
        missing = [
            k
            for k, v in (("dtype", dtype), ("num_channels", num_channels), ("sample_rate_hz", sample_rate_hz))
            if v is None
        ]
        if missing:
            raise InputError(
                f"raw binary needs {', '.join(missing)}",
                file=path,
                field=missing[0],
                hint="e.g. dtype=int16 num_channels=8 sample_rate_hz=20000",
            )
        if layout != "interleaved":
            raise InputError(
                f"layout {layout!r} is not supported",
                file=path,
                field="layout",
                hint="only 'interleaved' (frame after frame) is read",
            )
        try:
            dtype = np.dtype(dtype)
        except TypeError as exc:
            raise InputError(f"unknown dtype {dtype!r}", file=path, field="dtype") from exc
        if dtype.kind not in "iuf":
            raise InputError(f"dtype {dtype} is not numeric", file=path, field="dtype")
        num_channels = int(num_channels)
        if num_channels < 1:
            raise InputError("num_channels must be >= 1", file=path, field="num_channels")
        rate = check_sample_rate(sample_rate_hz, file=path, field="sample_rate_hz")
        names = _channel_names(channel_names, num_channels, path)
        channels = _channel_infos(names, digital_channels, unit, path)
        self._scale = _per_channel(scale, num_channels, "scale", path)
        self._offset = _per_channel(offset, num_channels, "offset", path)
        try:
            size = path.stat().st_size - int(header_bytes)
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc}", file=path) from exc
        frame = dtype.itemsize * num_channels
        if size < 0 or size % frame:
            raise SourceError(
                f"{max(size, 0)} data bytes is not a whole number of {num_channels}-channel {dtype} frames "
                "(truncated, or wrong dtype/num_channels/header_bytes?)",
                file=path,
                field="num_channels",
            )
        n = size // frame
        self._map = (
            np.memmap(path, dtype=dtype, mode="r", offset=int(header_bytes), shape=(n, num_channels))
            if n
            else np.zeros((0, num_channels), dtype)
        )
        super().__init__(
            path=path,
            format="binary",
            sample_rate_hz=rate,
            channels=channels,
            segments=[Segment(0, 0.0, n)],
            metadata={"dtype": str(dtype)},
        )

    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        info = self.channel(channel_name)
        if info.kind != "analog" or self._map.dtype != np.int16:
            return None
        scale, offset = self._scale[info.index], self._offset[info.index]
        return int16_lookup_table(lambda c: c * scale + offset)

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        if info.kind == "analog" and self._map.dtype == np.int16:
            return np.array(self._map[start:stop, info.index])
        return self._read(info, segment, start, stop)

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        raw = np.asarray(self._map[start:stop, info.index])
        if info.kind == "digital":
            return raw != 0
        return raw.astype(np.float64) * self._scale[info.index] + self._offset[info.index]

    def close(self) -> None:
        self._map = np.zeros((0, len(self.channels)))


class CsvRecording(SequentialRecording):
    """A CSV/TSV table: header row of channel names, one row per sample; streamed."""

    name = "csv"
    display_name = "Delimited text"
    suffixes = (".csv", ".tsv", ".txt")
    info = "Samples as CSV/TSV text: a time column or a rate given as an option, one column per channel."

    def __init__(
        self,
        path: str | Path,
        *,
        sample_rate_hz: float | None = None,
        delimiter: str | None = None,
        unit: str = "V",
        digital_channels: Sequence[str] | str = (),
        time_column: str | None = None,
    ) -> None:
        path = Path(path)
        self._delimiter = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
        try:
            handle = open(path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise SourceError(f"cannot open: {exc}", file=path) from exc
        with handle:
            header = next(csv.reader([handle.readline()], delimiter=self._delimiter), None)
            if not header or not any(h.strip() for h in header):
                raise SourceError("empty file: expected a header row of channel names", file=path, line=1)
            header = [h.strip() for h in header]
            if len(set(header)) != len(header) or "" in header:
                raise SourceError(f"header names must be unique and non-empty: {header}", file=path, line=1)
            time_name = time_column or next((h for h in header if h.lower() in TIME_COLUMNS), None)
            if time_column and time_column not in header:
                raise SourceError(
                    f"no time column {time_column!r}; columns: {header}", file=path, line=1, field=time_column
                )
            times: list[float] = []
            num_rows = 0
            if time_name is not None:  # the first rows give the start time (and the rate when not given)
                first_rows = self._numeric_blocks(handle, path, len(header), block_rows=16)
                for _, values in first_rows:
                    times = values[:2, header.index(time_name)].tolist()
                    num_rows = values.shape[0]
                    break
                first_rows.close()
            num_rows += sum(1 for text in handle if text.strip())
        self._header = header
        self._time_name = time_name
        if sample_rate_hz is None:
            if time_name is None or len(times) < 2:
                raise InputError(
                    "CSV needs sample_rate_hz (no time column, or fewer than two rows)",
                    file=path,
                    field="sample_rate_hz",
                    hint="pass sample_rate_hz, or add a time_s column",
                )
            step = times[1] - times[0]
            sample_rate_hz = 1.0 / step if step > 0 else 0.0
        rate = check_sample_rate(sample_rate_hz, file=path, field="sample_rate_hz")
        self._t0 = times[0] if times else 0.0
        channels = _channel_infos([h for h in header if h != time_name], digital_channels, unit, path)
        super().__init__(
            path=path,
            format="csv",
            sample_rate_hz=rate,
            channels=channels,
            segments=[Segment(0, float(self._t0), num_rows)],
            metadata={"time_column": time_name},
        )

    def _numeric_blocks(self, handle, path: Path, width: int, block_rows: int = 0):
        return iter_numeric_blocks(
            handle, path=path, delimiter=self._delimiter, width=width, first_line=2,
            block_rows=block_rows or CSV_BLOCK_ROWS,
        )

    def _blocks(self, info: ChannelInfo) -> Iterator[np.ndarray]:
        """The column of ``info``, block by block; a time column must step by one sample period."""
        column = self._header.index(info.name)
        time_index = self._header.index(self._time_name) if self._time_name else None
        period = 1.0 / self.sample_rate_hz
        sample = 0
        with open(self.path, encoding="utf-8-sig", newline="") as handle:
            handle.readline()
            for lines, values in self._numeric_blocks(handle, self.path, len(self._header)):
                if time_index is not None:
                    expected = self._t0 + (sample + np.arange(values.shape[0])) * period
                    off = np.flatnonzero(np.abs(values[:, time_index] - expected) > 0.5 * period)
                    if off.size:
                        k = int(off[0])
                        raise SourceError(
                            f"time {values[k, time_index]!r} s but uniform sampling expects {expected[k]:.9g} s "
                            "(gap or jitter)",
                            file=self.path,
                            line=int(lines[k]),
                            field=self._time_name,
                            hint="split the file at the gap or resample it",
                        )
                sample += values.shape[0]
                yield values[:, column].copy()
