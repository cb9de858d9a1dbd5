"""Bruker PrairieView XML: the master ``PVScan`` file of any scan type, parsed incrementally.

Handles PrairieView 4.x (``<Key key= value=>`` state, frames labelled with ``label=``) and 5.x
(``<PVStateValue>`` with ``IndexedValue``/``SubindexedValue`` children, ``parameterSet=``), files that
start with a UTF-8 byte-order mark, and refuses documents that declare a DTD or entities.
"""

from __future__ import annotations

import datetime as _dt
import re
import xml.etree.ElementTree as ET  # noqa: N817 - DTDs and entities are refused before parsing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbtms.errors import SourceError

# Bytes read to find the root element; a DOCTYPE may only appear before it (XML 1.0, section 2.8).
_PROLOG_BYTES = 65536
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def refuse_dtd(path: Path) -> None:
    """Raise :class:`SourceError` when the XML prolog declares a DTD or entities (XXE, entity bombs)."""
    with open(path, "rb") as fh:
        head = fh.read(_PROLOG_BYTES)
    match = _ROOT_START.search(head)
    prolog = head if match is None else head[: match.start()]
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise SourceError("XML declares a DTD or entities, which nwbtms refuses to read", file=path,
                          hint="PrairieView never writes a DTD; this file was altered")


@dataclass
class PVFile:
    """One ``<File>`` of a frame: a channel's image file (and page, for multi-page TIFFs)."""

    channel: int
    channel_name: str
    filename: str
    page: int | None = None


@dataclass
class PVFrame:
    """One ``<Frame>``: times (s) relative to its sequence and to the scan start, files, state overrides."""

    index: int
    relative_time_s: float
    absolute_time_s: float
    files: list[PVFile]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class PVSequence:
    """One ``<Sequence>`` (a cycle): its type, frames, and any voltage recordings it references."""

    type: str
    cycle: int
    frames: list[PVFrame] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    voltage_recordings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class PrairieViewScan:
    """What a PrairieView master XML holds."""

    path: Path
    version: str
    date: _dt.datetime | None
    state: dict[str, Any]
    sequences: list[PVSequence]

    @property
    def sequence_types(self) -> list[str]:
        """Distinct sequence types in file order (``TSeries Timed Element``, ``ZSeries``, ``Linescan``...)."""
        seen: list[str] = []
        for seq in self.sequences:
            if seq.type not in seen:
                seen.append(seq.type)
        return seen

    def state_value(self, key: str, index: str | None = None, *, frame: PVFrame | None = None) -> Any:
        """A state value, preferring the frame's overrides, then the sequence's, then the scan's.

        ``index`` selects an ``IndexedValue`` (5.x) or the ``key_index`` form (4.x ``micronsPerPixel_XAxis``).
        """
        scopes = [frame.state] if frame is not None else []
        scopes += [self.sequences[0].state] if self.sequences else []
        scopes += [self.state]
        if frame is None and self.sequences and self.sequences[0].frames:
            scopes.append(self.sequences[0].frames[0].state)  # 4.x keeps all state on the frames
        for scope in scopes:
            value = scope.get(key)
            if index is None and value is not None:
                return value
            if index is not None:
                if isinstance(value, dict) and index in value:
                    return value[index]
                if f"{key}_{index}" in scope:
                    return scope[f"{key}_{index}"]
        return None


def _parse_shard(shard: ET.Element) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for item in shard:
        key = item.get("key")
        if key is None:
            continue
        if item.tag == "Key" or "value" in item.attrib:
            state[key] = item.get("value")
            continue
        values: dict[str, Any] = {}
        for child in item:
            if child.tag == "IndexedValue":
                values[child.get("index", "")] = child.get("value")
            elif child.tag == "SubindexedValues":
                values[child.get("index", "")] = {
                    sub.get("subindex", ""): sub.get("value") for sub in child if sub.tag == "SubindexedValue"
                }
        state[key] = values
    return state


def _float(value: str | None, path: Path, what: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SourceError(f"{what} is {value!r}, not a number", file=path, field=what) from None


def _pv_date(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"):
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def read_prairieview_xml(path: str | Path) -> PrairieViewScan:
    """Parse a PrairieView master XML (T-series, Z-series, line scan...) with ``iterparse``.

    Raises
    ------
    SourceError
        The file is missing, malformed, declares a DTD, or its root is not ``PVScan``.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("PrairieView XML not found", file=path,
                          hint="point at the T-series folder or its <name>.xml master file")
    refuse_dtd(path)
    state: dict[str, Any] = {}
    sequences: list[PVSequence] = []
    stack: list[str] = []
    version, date = "", None
    current: PVSequence | None = None
    frame_state: dict[str, Any] = {}
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                if not stack and elem.tag != "PVScan":
                    raise SourceError(f"root element is <{elem.tag}>, not <PVScan>", file=path,
                                      hint="this is not a PrairieView master XML")
                if elem.tag == "PVScan":
                    version, date = elem.get("version", ""), _pv_date(elem.get("date"))
                elif elem.tag == "Sequence":
                    current = PVSequence(type=elem.get("type", ""), cycle=int(elem.get("cycle", "1")))
                stack.append(elem.tag)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if elem.tag == "PVStateShard":
                shard = _parse_shard(elem)
                if parent == "PVScan":
                    state.update(shard)
                elif parent == "Frame":
                    frame_state = shard
                elif parent == "Sequence" and current is not None:
                    current.state.update(shard)
                elem.clear()
            elif elem.tag == "VoltageRecording" and parent == "Sequence" and current is not None:
                current.voltage_recordings.append(dict(elem.attrib))
            elif elem.tag == "Frame" and current is not None:
                files = [
                    PVFile(int(f.get("channel", "1")), f.get("channelName", f"Ch{f.get('channel', '1')}"),
                           f.get("filename", ""), int(f.get("page")) if f.get("page") else None)
                    for f in elem.iter("File")
                ]
                current.frames.append(PVFrame(
                    index=int(elem.get("index", len(current.frames) + 1)),
                    relative_time_s=_float(elem.get("relativeTime"), path, "Frame/@relativeTime"),
                    absolute_time_s=_float(elem.get("absoluteTime"), path, "Frame/@absoluteTime"),
                    files=files, state=frame_state,
                ))
                frame_state = {}
                elem.clear()
            elif elem.tag == "Sequence" and current is not None:
                sequences.append(current)
                current = None
                elem.clear()
    except ET.ParseError as exc:
        raise SourceError(f"malformed XML: {exc}", file=path, line=exc.position[0],
                          hint="the file is truncated or corrupted; copy it again") from exc
    return PrairieViewScan(path=path, version=version, date=date, state=state, sequences=sequences)
