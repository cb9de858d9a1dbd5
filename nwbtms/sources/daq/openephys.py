"""Open Ephys binary format: ``structure.oebin`` + ``continuous.dat`` (memory-mapped) + TTL arrays.

One continuous stream (``continuous/<folder_name>/continuous.dat``: interleaved int16,
``num_channels`` columns; physical value = count * ``bit_volts`` in the channel's ``units``) is
read per :class:`OpenEphysRecording`; pick it with ``stream=`` (folder name, source processor
name or index; default the first). Each ``recordingN`` folder is a segment starting at its first
sample number / rate, the Open Ephys acquisition clock the TTL arrays use too.

TTL event folders become digital lines named ``<event folder>/line<N>`` (N 1-based), one per line
of ``num_channels``; their state per sample is rebuilt from the edges:

- GUI 0.5: ``timestamps.npy`` (int64 sample numbers), ``channels.npy`` (1-based line),
  ``channel_states.npy`` (+1 rising / -1 falling; sign of the value).
- GUI 0.6+: ``sample_numbers.npy``, ``states.npy`` (+line rising, -line falling).

A line's level before its first event is the opposite of that event's new level. Event folders
whose ``sample_rate`` differs from the stream's are skipped. ``.npy`` files are opened with
``allow_pickle=False`` and memory-mapped.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.daq.base import ChannelInfo, Recording, Segment, check_sample_rate, int16_lookup_table

OEBIN = "structure.oebin"


def find_recording_folders(path: Path) -> list[Path]:
    """``recordingN`` folders (those holding ``structure.oebin``) for a file or folder ``path``."""
    if path.is_file():
        if path.name == OEBIN:
            return [path.parent]
        raise SourceError("not a structure.oebin file", file=path, hint="give the recording folder")
    if (path / OEBIN).is_file():
        return [path]
    direct = sorted((p.parent for p in path.glob(f"recording*/{OEBIN}")), key=_numbered)
    if direct:
        return direct
    experiments = sorted({p.parent.parent for p in path.glob(f"*/recording*/{OEBIN}")}, key=_numbered)
    if len(experiments) == 1:
        return find_recording_folders(experiments[0])
    if len(experiments) > 1:
        raise SourceError(
            f"{len(experiments)} experiments in this folder",
            file=path,
            hint="open one experiment folder: " + ", ".join(e.name for e in experiments),
        )
    nodes = sorted({p.parent.parent.parent for p in path.glob(f"*/*/recording*/{OEBIN}")})
    if len(nodes) == 1:
        return find_recording_folders(nodes[0])
    raise SourceError(
        "no structure.oebin found (looked up to three folders deep)"
        if not nodes
        else f"{len(nodes)} record nodes in this folder",
        file=path,
        hint="give an Open Ephys recording, experiment or record node folder",
    )


def _numbered(path: Path) -> tuple[int, str]:
    digits = "".join(ch for ch in path.name if ch.isdigit())
    return (int(digits) if digits else 0, path.name)


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot read array: {exc}", file=path, hint="file truncated?") from exc


class _Line:
    """Edges of one TTL line within one recording: sample positions and the level after each."""

    def __init__(self, positions: np.ndarray, levels: np.ndarray) -> None:
        order = np.argsort(positions, kind="stable")
        self.positions = positions[order]
        self.levels = levels[order]
        self.initial = bool(not self.levels[0]) if self.levels.size else False

    def read(self, start: int, stop: int) -> np.ndarray:
        first = np.searchsorted(self.positions, start, side="right")
        last = np.searchsorted(self.positions, stop - 1, side="right")
        level = bool(self.levels[first - 1]) if first > 0 else self.initial
        # runs between edges: level before the first edge, then each edge's new level until the next
        bounds = np.concatenate(([start], self.positions[first:last], [stop])) - start
        values = np.concatenate(([level], self.levels[first:last])).astype(bool)
        return np.repeat(values, np.diff(bounds))


class OpenEphysRecording(Recording):
    """One continuous stream of an Open Ephys binary recording (or of every recording of an experiment)."""

    name = "openephys"
    display_name = "Open Ephys (binary format)"
    suffixes = (".oebin", ".dat")
    folder = True
    info = "Open Ephys GUI recordings in the binary format: a structure.oebin and continuous/<stream>/ data."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A recording folder holding ``structure.oebin``, that file itself, or a stream's ``continuous.dat``."""
        if path.is_dir():
            return (path / "structure.oebin").is_file()
        if path.name == "continuous.dat":  # continuous/<stream>/continuous.dat inside a recording folder
            return (path.parent.parent.parent / "structure.oebin").is_file()
        return path.name == "structure.oebin"

    @classmethod
    def source_path(cls, folder: Path) -> Path:
        return folder / "structure.oebin"

    def __init__(self, path: str | Path, *, stream: str | int | None = None) -> None:
        path = Path(path)
        folders = find_recording_folders(path)
        self._maps: list[np.memmap] = []
        self._lines: list[dict[str, _Line]] = []
        channels: list[ChannelInfo] = []
        segments: list[Segment] = []
        rate = None
        self._bit_volts: list[float] = []
        stream_folder = None
        all_streams: list[str] = []
        for folder in folders:
            oebin_path = folder / OEBIN
            try:
                structure = json.loads(oebin_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SourceError(f"cannot parse structure.oebin: {exc}", file=oebin_path) from exc
            continuous = structure.get("continuous") or []
            if not continuous:
                raise SourceError("no continuous stream", file=oebin_path, field="continuous")
            info = self._pick_stream(continuous, stream, oebin_path)
            all_streams += [c.get("folder_name", "").strip("/") for c in continuous
                            if c.get("folder_name", "").strip("/") not in all_streams]
            if stream_folder is None:
                stream_folder = info["folder_name"]
            elif info["folder_name"] != stream_folder:
                raise SourceError(f"stream {stream_folder!r} missing", file=oebin_path, field="continuous")
            this_rate = check_sample_rate(info.get("sample_rate"), file=oebin_path, field="continuous/sample_rate")
            if rate is None:
                rate = this_rate
                for ch in info.get("channels", []):
                    channels.append(
                        ChannelInfo(str(ch.get("channel_name")), "analog", str(ch.get("units", "")), len(channels))
                    )
                    self._bit_volts.append(float(ch.get("bit_volts", 1.0)))
                num_channels = int(info.get("num_channels", len(channels)))
                if num_channels != len(channels) or num_channels < 1:
                    raise SourceError(
                        f"num_channels {num_channels} but {len(channels)} channel entries",
                        file=oebin_path,
                        field="continuous/num_channels",
                    )
            elif this_rate != rate:
                raise SourceError(
                    "sample rate differs between recordings", file=oebin_path, field="continuous/sample_rate"
                )
            stream_dir = folder / "continuous" / info["folder_name"].strip("/")
            dat = stream_dir / "continuous.dat"
            if not dat.is_file():
                raise SourceError("continuous.dat missing", file=dat)
            size = dat.stat().st_size
            frame = 2 * len(channels)
            if size % frame:
                raise SourceError(
                    f"{size} bytes is not a whole number of {len(channels)}-channel int16 frames (truncated?)",
                    file=dat,
                    hint="copy the recording again",
                )
            n = size // frame
            self._maps.append(
                np.memmap(dat, dtype="<i2", mode="r", shape=(n, len(channels)))
                if n
                else np.zeros((0, len(channels)), "<i2")
            )
            first_sample = 0
            for name in ("sample_numbers.npy", "timestamps.npy"):
                candidate = stream_dir / name
                if candidate.is_file():
                    numbers = _load_npy(candidate)
                    if numbers.size and np.issubdtype(numbers.dtype, np.integer):
                        first_sample = int(numbers[0])
                        break
            segments.append(Segment(len(segments), first_sample / rate, n))
            self._lines.append(self._read_ttl(folder, structure, rate, first_sample, info))
        # Digital lines: union over recordings, in first-seen order.
        line_names: list[str] = []
        for lines in self._lines:
            line_names += [name for name in lines if name not in line_names]
        names_taken = {c.name for c in channels}
        for name in line_names:
            if name in names_taken:
                continue
            channels.append(ChannelInfo(name, "digital", "", len(channels)))
        self._analog_count = len(self._bit_volts)
        super().__init__(
            path=path,
            format="openephys",
            sample_rate_hz=rate,
            channels=channels,
            segments=segments,
            start_datetime=None,
            metadata={"stream": stream_folder, "recordings": [str(f) for f in folders],
                      # every continuous stream, so a summary can name the ones not read (pick with stream=)
                      "streams": all_streams},
        )

    @staticmethod
    def _pick_stream(continuous: list[dict], stream, oebin_path: Path) -> dict:
        if stream is None:
            return continuous[0]
        if isinstance(stream, int) or (isinstance(stream, str) and stream.isdigit()):
            index = int(stream)
            if 0 <= index < len(continuous):
                return continuous[index]
        else:
            for info in continuous:
                names = {
                    info.get("folder_name", "").strip("/"),
                    info.get("stream_name"),
                    info.get("source_processor_name"),
                }
                if stream in names:
                    return info
        names = ", ".join(repr(c.get("folder_name", "").strip("/")) for c in continuous)
        raise InputError(f"no continuous stream {stream!r}; streams: {names}", file=oebin_path, field="stream")

    @staticmethod
    def _read_ttl(folder: Path, structure: dict, rate: float, first_sample: int, stream: dict) -> dict[str, _Line]:
        lines: dict[str, _Line] = {}
        for event in structure.get("events") or []:
            folder_name = str(event.get("folder_name", "")).strip("/")
            event_dir = folder / "events" / folder_name
            new_layout = (event_dir / "states.npy").is_file()
            old_layout = (event_dir / "channel_states.npy").is_file()
            if not (new_layout or old_layout):
                continue
            if float(event.get("sample_rate", rate)) != rate:
                continue
            if event.get("stream_name") and stream.get("stream_name") and event["stream_name"] != stream["stream_name"]:
                continue
            if new_layout:
                numbers = np.asarray(_load_npy(event_dir / "sample_numbers.npy"), dtype=np.int64)
                states = np.asarray(_load_npy(event_dir / "states.npy"), dtype=np.int64)
                line_of = np.abs(states)
                rising = states > 0
            else:
                numbers = np.asarray(_load_npy(event_dir / "timestamps.npy"), dtype=np.int64)
                states = np.asarray(_load_npy(event_dir / "channel_states.npy"), dtype=np.int64)
                line_of = np.asarray(_load_npy(event_dir / "channels.npy"), dtype=np.int64)
                rising = states > 0
            if not (numbers.shape == states.shape == line_of.shape):
                raise SourceError(
                    "TTL arrays differ in length",
                    file=event_dir,
                    hint="sample numbers, states and channels must have one entry per event",
                )
            count = int(event.get("num_channels", 0) or 0)
            count = max(count, int(line_of.max()) if line_of.size else 0)
            positions = numbers - first_sample
            for line in range(1, count + 1):
                mask = line_of == line
                lines[f"{folder_name}/line{line}"] = _Line(positions[mask], rising[mask])
        return lines

    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        info = self.channel(channel_name)
        if info.kind != "analog":
            return None
        bit_volts = self._bit_volts[info.index]
        return int16_lookup_table(lambda c: c * bit_volts)

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        if info.kind == "analog":
            return np.array(self._maps[segment][start:stop, info.index])
        return self._read(info, segment, start, stop)

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        if info.kind == "analog":
            return self._read_raw(info, segment, start, stop) * self._bit_volts[info.index]
        line = self._lines[segment].get(info.name)
        if line is None:
            return np.zeros(stop - start, dtype=bool)
        return line.read(start, stop)

    def close(self) -> None:
        self._maps = []
