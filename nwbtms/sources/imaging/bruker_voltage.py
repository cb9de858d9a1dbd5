"""Bruker PrairieView VoltageRecording: ``*_VoltageRecording_NNN.csv`` samples described by its ``.xml``.

PrairieView also writes a master ``<name>.xml`` (``PVScan`` root) for a voltage-recording-only acquisition:
``<Sequence type="VoltageRecording"><VoltageRecording configurationFile="..." dataFile="..."/>``. Opening
that master reads the pair it names (``dataFile`` is the CSV, ``configurationFile`` its description), not
``<name>.csv``; a master naming several recordings (cycles) is refused with their names.

The CSV's first column is time in ms; the others are the *enabled* signals of the XML's
``Experiment/SignalList/VRecSignal`` list, in that order (PrairieView: map columns by the
XML's enabled-signal order, not by the CSV header names, which users may rename). Values are returned
as written in the CSV, in each signal's ``Unit/UnitName``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.sources.daq.text_table import iter_numeric_blocks
from nwbtms.sources.imaging.bruker_xml import refuse_dtd

# PrairieView writes the time column in milliseconds (header "Time(ms)").
_MS_PER_S = 1000.0


@dataclass(frozen=True)
class VoltageSignal:
    """One enabled ``VRecSignal``: the name used here, its input channel and unit."""

    name: str
    channel: str
    unit: str
    multiplier: float
    divisor: float


@dataclass
class VoltageRecording:
    """A PrairieView voltage recording, read from its CSV in chunks.

    Attributes
    ----------
    csv_path, xml_path : Path
        The data and its description.
    sample_rate_hz : float
        ``Experiment/Rate``.
    signals : list of VoltageSignal
        Enabled signals in CSV column order.
    """

    csv_path: Path
    xml_path: Path
    sample_rate_hz: float
    signals: list[VoltageSignal]

    @property
    def channel_names(self) -> list[str]:
        """Names of the recorded channels, in column order."""
        return [s.name for s in self.signals]

    @property
    def units(self) -> dict[str, str]:
        """Unit of each channel."""
        return {s.name: s.unit for s in self.signals}

    def channel_index(self, name: str) -> int:
        """Column (after time) of channel ``name``."""
        if name not in self.channel_names:
            raise ChannelNotFoundError(
                f"channel {name!r} not found; channels: {', '.join(self.channel_names)}",
                file=self.xml_path, field="SignalList")
        return self.channel_names.index(name)

    def iter_chunks(self, samples_per_chunk: int = 262_144) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(time_s, values)`` chunks; ``values`` is ``(k, num_channels)`` float64."""
        with open(self.csv_path, encoding="utf-8-sig") as fh:
            fh.readline()  # header names are not trusted; columns follow the XML
            for _, block in iter_numeric_blocks(fh, path=self.csv_path, delimiter=",", width=len(self.signals) + 1,
                                                first_line=2, block_rows=samples_per_chunk):
                yield block[:, 0] / _MS_PER_S, block[:, 1:]

    def read(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The whole recording: ``(time_s, {channel name: values})`` (for recordings that fit in memory)."""
        times, columns = [], []
        for time_s, values in self.iter_chunks():
            times.append(time_s)
            columns.append(values.astype(np.float32))
        time_all = np.concatenate(times) if times else np.empty(0)
        values_all = np.concatenate(columns) if columns else np.empty((0, len(self.signals)), np.float32)
        return time_all, {name: values_all[:, i].copy() for i, name in enumerate(self.channel_names)}

    def read_channel(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(time_s, values)`` of one channel, read in chunks (float32 values)."""
        column = self.channel_index(name)
        times, values = [], []
        for time_s, block in self.iter_chunks():
            times.append(time_s)
            values.append(block[:, column].astype(np.float32))
        if not times:
            return np.empty(0), np.empty(0, np.float32)
        return np.concatenate(times), np.concatenate(values)


def _text(elem: object, tag: str, default: str = "") -> str:
    child = elem.find(tag)  # type: ignore[attr-defined]
    return default if child is None or child.text is None else child.text.strip()


#: Bytes of an XML's head searched for the master's markers.
MASTER_HEAD_BYTES = 1 << 16


def is_voltage_recording_master(path: str | Path) -> bool:
    """Whether ``path`` is a PrairieView master XML of a voltage recording (``Sequence type="VoltageRecording"``)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(MASTER_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    return "<PVScan" in head and 'type="VoltageRecording"' in head


def _master_pair(path: Path) -> tuple[Path, Path]:
    """(configuration XML, data CSV) named by a master XML."""
    import xml.etree.ElementTree as ET  # noqa: N817 - DTD refused by refuse_dtd first

    refuse_dtd(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SourceError(f"malformed XML: {exc}", file=path, line=exc.position[0]) from exc
    entries = [e for seq in root.iterfind("Sequence") if seq.get("type") == "VoltageRecording"
               for e in seq.iterfind("VoltageRecording")]
    if not entries:
        raise SourceError("the master XML's VoltageRecording sequence names no recording", file=path,
                          field="Sequence/VoltageRecording",
                          hint="open the *_VoltageRecording_NNN.csv beside it directly")
    if len(entries) > 1:
        names = [e.get("dataFile", "?") for e in entries]
        raise SourceError(f"the master XML names {len(entries)} voltage recordings ({', '.join(names)})",
                          file=path, field="Sequence/VoltageRecording",
                          hint="open one of the named *_VoltageRecording_NNN.csv files")
    entry = entries[0]
    config, data = entry.get("configurationFile"), entry.get("dataFile")
    if not config and not data:
        raise SourceError("VoltageRecording has neither configurationFile nor dataFile", file=path,
                          field="Sequence/VoltageRecording/@dataFile")
    config_path = path.parent / Path(config or data).with_suffix(".xml").name
    data_path = path.parent / Path(data or config).with_suffix(".csv").name
    return config_path, data_path


def read_voltage_recording(path: str | Path) -> VoltageRecording:
    """Open a VoltageRecording from its ``.xml`` or ``.csv`` (the other file must sit beside it).

    Raises
    ------
    SourceError
        A file is missing, the XML has no rate or no enabled signal, or the CSV header has a column count
        other than 1 + the number of enabled signals.
    """
    import xml.etree.ElementTree as ET  # noqa: N817 - DTD refused by refuse_dtd first

    path = Path(path)
    if path.suffix.lower() == ".xml" and is_voltage_recording_master(path):
        xml_path, csv_path = _master_pair(path)
    else:
        xml_path, csv_path = path.with_suffix(".xml"), path.with_suffix(".csv")
    for needed in (xml_path, csv_path):
        if not needed.is_file():
            raise SourceError("VoltageRecording file not found", file=needed,
                              hint="the .csv and its .xml description must be in the same folder")
    refuse_dtd(xml_path)
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as exc:
        raise SourceError(f"malformed XML: {exc}", file=xml_path, line=exc.position[0]) from exc
    experiment = root.find("Experiment")
    if experiment is None:
        raise SourceError("no <Experiment> element", file=xml_path, field="Experiment",
                          hint="this is not a PrairieView VoltageRecording XML")
    try:
        rate = float(_text(experiment, "Rate"))
    except ValueError:
        raise SourceError("no sample rate", file=xml_path, field="Experiment/Rate") from None
    if not rate > 0:
        raise SourceError(f"sample rate must be positive, got {rate}", file=xml_path, field="Experiment/Rate")
    signals = []
    for signal in experiment.iterfind("SignalList/VRecSignal"):
        if _text(signal, "Enabled").lower() != "true":
            continue
        signals.append(VoltageSignal(
            name=_text(signal, "Name") or f"Input {_text(signal, 'Channel')}",
            channel=_text(signal, "Channel"),
            unit=_text(signal, "Unit/UnitName", "V"),
            multiplier=float(_text(signal, "Unit/Multiplier", "1") or 1),
            divisor=float(_text(signal, "Unit/Divisor", "1") or 1),
        ))
    if not signals:
        raise SourceError("no enabled signal", file=xml_path, field="Experiment/SignalList")
    names = [s.name for s in signals]
    if len(set(names)) != len(names):
        raise SourceError(f"enabled signals share names: {names}", file=xml_path, field="SignalList/Name")
    with open(csv_path, encoding="utf-8-sig") as fh:
        header = fh.readline().strip()
    columns = [c.strip() for c in header.split(",")] if header else []
    if len(columns) != len(signals) + 1:
        raise SourceError(
            f"CSV header has {len(columns)} columns ({header!r}); the XML enables {len(signals)} signals "
            f"({', '.join(names)}) plus the time column", file=csv_path, line=1,
            hint=f"the CSV and {xml_path.name} do not belong together",
        )
    return VoltageRecording(csv_path=csv_path, xml_path=xml_path, sample_rate_hz=rate, signals=signals)
