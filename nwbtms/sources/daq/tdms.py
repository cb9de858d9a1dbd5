"""NI TDMS recordings (LabVIEW, DAQmx, SignalExpress) streamed with ``nptdms``.

``TdmsFile.open`` reads only the metadata; samples are read per chunk with
``channel.read_data(offset, length)``, which applies the file's scaling (DAQmx raw data included).

Channels: every channel holding data whose ``wf_increment`` (seconds per sample) matches the first
data channel's. SignalExpress decimated copies (groups with ``DecimationLevel`` > 0) are skipped.
A channel is named by its own name when that is unique in the file, else ``group/channel``.
Channels of boolean type or with a ``LineNumber`` property are digital lines (nonzero = high).
``start_datetime`` comes from ``wf_start_time`` (TDMS timestamps are UTC); a ``wf_start_time`` equal to
LabVIEW's epoch (1904-01-01T00:00:00 UTC, a zero timestamp) means a relative-time waveform with no
wall-clock start, so ``start_datetime`` is None and ``metadata["relative_time"]`` says so.
The rate is ``1 / wf_increment`` rounded to 12 significant digits: the increment is itself a rounded
float (1.9999999999999998e-05 s for 50 kHz), and the rounding removes that noise, not a real rate.
NUL bytes that LabVIEW leaves in fixed-width names are removed from channel and group names.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from nptdms import TdmsFile, types

from nwbtms.errors import SourceError
from nwbtms.sources.daq.base import ChannelInfo, Recording, Segment, check_sample_rate
from nwbtms.sources.registry import head_bytes

#: LabVIEW's timestamp epoch: a ``wf_start_time`` of exactly this is a zero (relative-time) timestamp.
LABVIEW_EPOCH = np.datetime64("1904-01-01T00:00:00", "us")
#: Significant digits kept of ``1 / wf_increment`` (float noise of the stored increment is ~1e-16).
RATE_SIGNIFICANT_DIGITS = 12


def _utc(value) -> datetime | None:
    if value is None:
        return None
    try:
        stamp64 = np.datetime64(value, "us")
    except (TypeError, ValueError):
        return None
    if stamp64 == LABVIEW_EPOCH:
        return None
    stamp = stamp64.astype(datetime)
    return stamp.replace(tzinfo=UTC) if isinstance(stamp, datetime) else None


def _is_relative_time(value) -> bool:
    try:
        return value is not None and np.datetime64(value, "us") == LABVIEW_EPOCH
    except (TypeError, ValueError):
        return False


def clean_name(name: str) -> str:
    """A TDMS object name without NUL bytes."""
    return str(name).replace("\x00", "")


class _NptdmsWarnings(logging.Handler):
    """Collects npTDMS's log warnings (a truncated file is read with a warning, not an error)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _NptdmsWarnings:
        logging.getLogger("nptdms").addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger("nptdms").removeHandler(self)


class TdmsRecording(Recording):
    """A TDMS file; one segment (TDMS channels are continuous)."""

    name = "tdms"
    display_name = "NI TDMS"
    suffixes = (".tdms",)
    info = "National Instruments TDMS files (LabVIEW, NI DAQmx logging), read with npTDMS."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return head_bytes(path, 4) == b"TDSm"  # the lead-in tag of every TDMS segment

    def __init__(self, path: str | Path, *, group: str | None = None) -> None:
        path = Path(path)
        warned = _NptdmsWarnings()
        try:
            with warned:
                self._file = TdmsFile.open(path)
        except Exception as exc:  # nptdms raises ValueError, struct.error, EOFError... on bad files
            raise SourceError(
                f"cannot read TDMS metadata (truncated or not a TDMS file): {exc}",
                file=path,
                hint="check the file was copied completely",
            ) from exc
        try:
            self._init(path, group)
        except Exception:
            self._file.close()
            raise
        if warned.messages:  # npTDMS reads a cut file with a warning only: say it (conversion summary)
            self.metadata["warnings"] = [f"{path.name} looks truncated (npTDMS: {m}); samples after the cut are "
                                         "missing" for m in warned.messages]

    def _init(self, path: Path, group_name: str | None) -> None:
        candidates = []
        for group in self._file.groups():
            if group_name is not None and group.name != group_name:
                continue
            if int(group.properties.get("DecimationLevel", 0) or 0) > 0:
                continue
            for channel in group.channels():
                if len(channel) > 0:
                    candidates.append((group, channel))
        if not candidates:
            groups = ", ".join(repr(g.name) for g in self._file.groups()) or "(none)"
            raise SourceError(
                "no channel with data" + (f" in group {group_name!r}" if group_name else ""),
                file=path,
                field=group_name,
                hint=f"groups in this file: {groups}",
            )
        increment = candidates[0][1].properties.get("wf_increment")
        if increment is None:
            raise SourceError(
                "channel has no wf_increment (seconds per sample)",
                file=path,
                field=candidates[0][1].path,
                hint="pass the rate through a generic reader instead",
            )
        try:
            rate = check_sample_rate(float(f"{1.0 / float(increment):.{RATE_SIGNIFICANT_DIGITS}g}"), file=path,
                                     field="wf_increment")
        except ZeroDivisionError:
            rate = check_sample_rate(0, file=path, field="wf_increment")
        chosen = [
            (g, c)
            for g, c in candidates
            if c.properties.get("wf_increment") is not None
            and np.isclose(float(c.properties["wf_increment"]), float(increment), rtol=1e-9)
        ]
        name_counts: dict[str, int] = {}
        for _, c in chosen:
            name_counts[clean_name(c.name)] = name_counts.get(clean_name(c.name), 0) + 1
        channels: list[ChannelInfo] = []
        self._tdms_channels = []
        lengths = []
        for g, c in chosen:
            name = clean_name(c.name)
            name = name if name_counts[name] == 1 else f"{clean_name(g.name)}/{name}"
            digital = c.data_type is types.Boolean or "LineNumber" in c.properties
            unit = "" if digital else str(c.properties.get("unit_string", "") or "")
            channels.append(ChannelInfo(name, "digital" if digital else "analog", unit, len(channels)))
            self._tdms_channels.append(c)
            lengths.append(len(c))
        num_samples = min(lengths)
        start_value = chosen[0][1].properties.get("wf_start_time")
        start = _utc(start_value)
        offset_s = float(chosen[0][1].properties.get("wf_start_offset", 0.0) or 0.0)
        super().__init__(
            path=path,
            format="tdms",
            sample_rate_hz=rate,
            channels=channels,
            segments=[Segment(0, offset_s, num_samples)],
            start_datetime=start,
            metadata={
                "groups": [g.name for g in self._file.groups()],
                "channel_lengths": dict(zip((c.name for c in channels), lengths, strict=True)),
                **({"relative_time": "wf_start_time is LabVIEW's epoch 1904-01-01T00:00:00: a relative-time "
                                     "recording without a wall-clock start"} if _is_relative_time(start_value)
                   else {}),
            },
        )

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        channel = self._tdms_channels[info.index]
        try:
            data = np.asarray(channel.read_data(offset=start, length=stop - start))
        except Exception as exc:
            raise SourceError(
                f"cannot read samples {start}:{stop} (file truncated?): {exc}",
                file=self.path,
                field=info.name,
            ) from exc
        if data.shape[0] != stop - start:
            raise SourceError(
                f"expected {stop - start} samples at {start}, got {data.shape[0]} (file truncated?)",
                file=self.path,
                field=info.name,
            )
        if info.kind == "digital":
            return data.astype(bool)
        return data.astype(np.float64, copy=False)

    def close(self) -> None:
        if getattr(self, "_file", None) is not None:
            self._file.close()
            self._file = None
