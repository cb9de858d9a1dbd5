"""Read Localite TMS Navigator trigger markers (``TMSTrigger/TriggerMarkers_Coil<N>_<timestamp>.xml``).

Layout (Localite TMS Navigator manual; checked against Localite TMS Navigator 2024 files): the root
``TriggerMarkerList`` has ``coordinateSpace`` (``RAS``, ``LPS``; ``MNI`` when the navigator exports in MNI
space, which is RAS-oriented), ``startTime`` (wall-clock time of day the list started) and
``isOnlineReading``. Each ``TriggerMarker`` is one pulse with ``recordingTime`` (ms since ``startTime``),
``ResponseValues/Value`` entries keyed ``amplitudeA`` (%MSO) and ``valueA`` (dI/dt, A/us), optional MEP keys,
and a ``Matrix4D`` with attributes ``data00``..``data33`` (``data<row><column>``).

Decisions, each from the real files:

- ``amplitudeA == 0`` and ``valueA`` NaN or 0 mean the stimulator did not report (no pulse is delivered at
  0 %MSO or 0 A/us); both become NaN.
- The pose is converted to the SimNIBS *matsimnibs* axes: Localite's coil x axis points into the head and
  its y axis is opposite to SimNIBS's handle axis, so ``pose = recorded @ LOCALITE_TO_MATSIMNIBS_AXES``
  (the mapping SimNIBS uses in ``simnibs/utils/nnav.py``, Numssen 2022; checked on the real files, where
  the converted z axis points from the scalp towards the brain). Translations stay in the recorded
  ``coordinateSpace`` (no LPS/RAS flip is applied); ``pose_recorded`` keeps the file's matrix.
- TMS Navigator writes an untracked marker (coil not seen by the camera) as the identity ``Matrix4D``;
  SimNIBS (``localite.read``) skips markers whose recorded matrix is the identity. Exports in ``MNI`` space
  hold the identity mapped into MNI: the rotation is exactly the identity and the translation a constant
  offset (in the real 2024 files every such marker also has ``set="false"``). So a marker is untracked when
  its recorded rotation block and last row are exactly the identity, whatever the translation (a tracked coil
  never lands on an exact identity rotation); it gets an all-NaN pose, is counted in ``problems``, and a
  file where every marker is untracked says so. The comparison is on the recorded matrix, before mapping.
- ``startTime`` writes milliseconds without zero padding (``17:08:18.82`` in a file saved at 17:08:18.097
  means 18.082 s); it is parsed as integer milliseconds.
- ``TriggerData*.xml`` (display colour tables) and ``InstrumentMarker*.xml`` (saved instrument positions,
  not pulses) are refused with a message naming the file to read instead.
- Localite saves the same list several times (near-duplicate files 20-70 ms apart, differing only in the
  ``selected`` flag); :func:`select_trigger_marker_files` keeps the last save of each recording.

The XML is parsed with ``xml.etree.ElementTree.iterparse`` (streamed, each marker freed after use); a
document type declaration or entity in the prolog is refused before parsing (no external entities, no
entity expansion).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

import numpy as np

from nwbtms.errors import NwbtmsError, SourceError
from nwbtms.sources.navigation.navigator_pulses import NavigatorPulses, drop_invalid_poses, pose_problems
from nwbtms.sources.registry import Reader, head_text

#: Localite coil axes -> SimNIBS matsimnibs axes (x <- z, y <- -y, z <- x); SimNIBS utils/nnav.py.
LOCALITE_TO_MATSIMNIBS_AXES = np.array(
    [[0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)
#: Recorded matrix Localite writes when the coil was not tracked (SimNIBS nnav.py skips it as "untracked").
UNTRACKED_MATRIX = np.eye(4)
MATRIX_KEYS = tuple(f"data{r}{c}" for r in range(4) for c in range(4))
TRIGGER_FILE_PATTERN = re.compile(r"^TriggerMarkers_Coil(\d+)_(\d+)\.xml$", re.IGNORECASE)
#: Largest prolog (declaration, comments) scanned before the root element.
MAX_PROLOG_BYTES = 1 << 20


def read_localite_triggers(path: str | PathLike) -> NavigatorPulses:
    """Read one Localite ``TriggerMarkers_Coil<N>_<timestamp>.xml`` file, streamed.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    NavigatorPulses
        One entry per ``TriggerMarker``; empty when the list has none (e.g. the unused coil's file).

    Raises
    ------
    SourceError
        Not a trigger-marker list (the message says what the file is and what to read instead), a DTD or
        entity in the file, malformed XML, or a marker without time or matrix.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("Localite file not found", file=path, hint="check the path")
    refuse_doctype(path)
    # compact typed buffers (8 bytes per number): memory stays proportional to the output arrays
    times_ms = array("d")
    matrices = array("d")
    amplitudes = array("d")
    di_dts = array("d")
    root = None
    space = ""
    start_time = ""
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if root is None:
                root = elem
                _check_root(path, elem)
                space = elem.get("coordinateSpace", "")
                start_time = elem.get("startTime", "")
                continue
            if event != "end" or elem.tag != "TriggerMarker":
                continue
            index = len(times_ms)
            times_ms.append(_recording_time_ms(path, elem, index))
            matrices.extend(_matrix(path, elem, index))
            amplitude, di_dt = _response_values(path, elem, index)
            amplitudes.append(amplitude)
            di_dts.append(di_dt)
            del root[:]  # free the markers already read: memory stays bounded
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise SourceError(f"malformed XML: {exc}", file=path, line=line,
                          hint="the file is truncated or not a Localite export") from None
    if root is None:
        raise SourceError("empty XML file", file=path, hint="re-export the trigger markers")
    if not space:
        raise SourceError("TriggerMarkerList has no coordinateSpace", file=path, field="coordinateSpace",
                          hint="export the trigger markers again from TMS Navigator")
    recorded = np.array(matrices, dtype=np.float64).reshape(-1, 4, 4)
    untracked = untracked_markers(recorded)
    pose = recorded @ LOCALITE_TO_MATSIMNIBS_AXES
    pose[untracked] = np.nan
    problems = pose_problems(pose, [f"marker {i + 1}" for i in range(len(pose))])
    pose = drop_invalid_poses(pose, problems, "marker")
    if untracked.all() and untracked.size:
        problems.append(f"every marker ({untracked.size}) has the coil not tracked (identity Matrix4D): "
                        "the file holds no coil pose")
    elif untracked.any():
        rows = np.flatnonzero(untracked)
        problems.append(f"{rows.size} of {untracked.size} marker(s) with the coil not tracked (identity "
                        f"Matrix4D, pose NaN): markers {(rows + 1)[:10].tolist()}{' ...' if rows.size > 10 else ''}")
    n = len(times_ms)
    start_s = _start_time_of_day_s(start_time)
    clock = ("ms since the marker list's startTime" + (f" {start_time} ({_format_tod(start_s)} of day)"
                                                        if start_time else ""))
    return NavigatorPulses(
        time_s=np.array(times_ms, dtype=np.float64) / 1000.0,
        pose=pose,
        amplitude_percent_mso=np.array(amplitudes, dtype=np.float64),
        di_dt_a_per_us=np.array(di_dts, dtype=np.float64),
        target_error_mm=np.full(n, np.nan),
        angular_error_deg=np.full(n, np.nan),
        twist_error_deg=np.full(n, np.nan),
        target_label=[""] * n,
        coordinate_space=space,
        path=path,
        pose_convention="matsimnibs axes (Localite coil axes mapped as SimNIBS nnav.py does: x <- z, "
                        "y <- -y, z <- x); translation in mm in the recorded coordinateSpace",
        pose_recorded=recorded,
        clock=clock,
        problems=problems,
    )


def untracked_markers(recorded: np.ndarray) -> np.ndarray:
    """Which recorded matrices are Localite's "coil not tracked" identity (translation may be offset).

    Parameters
    ----------
    recorded : ndarray, shape (n, 4, 4)
        Matrices as the file holds them (before any axis mapping).

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    recorded = np.asarray(recorded, dtype=np.float64).reshape(-1, 4, 4)
    rotation = np.all(recorded[:, :3, :3] == UNTRACKED_MATRIX[:3, :3], axis=(1, 2))
    last_row = np.all(recorded[:, 3, :] == UNTRACKED_MATRIX[3, :], axis=1)
    return rotation & last_row


def refuse_doctype(path: Path) -> None:
    """Raise if the XML prolog holds a document type declaration or an entity (never expanded here)."""
    with open(path, "rb") as handle:
        head = handle.read(MAX_PROLOG_BYTES)
    position = 0
    if head.startswith(b"\xef\xbb\xbf"):
        position = 3
    while True:
        while position < len(head) and head[position:position + 1].isspace():
            position += 1
        rest = head[position:]
        if rest.startswith(b"<?"):
            end, closing = rest.find(b"?>"), 2
        elif rest.startswith(b"<!--"):
            end, closing = rest.find(b"-->"), 3
        elif rest[:9].upper().startswith(b"<!DOCTYPE") or rest[:8].upper().startswith(b"<!ENTITY"):
            raise SourceError("XML with a document type declaration or entities is refused", file=path,
                              field="<!DOCTYPE>",
                              hint="Localite exports have none; remove the DOCTYPE or re-export the file")
        else:
            return
        if end < 0:
            if len(head) >= MAX_PROLOG_BYTES:
                raise SourceError("XML prolog is longer than 1 MiB", file=path,
                                  hint="not a Localite export; re-export the file")
            return  # truncated prolog: the parser reports it
        position += end + closing


def _check_root(path: Path, root: ET.Element) -> None:
    if root.tag == "TriggerMarkerList":
        return
    if root.tag == "LocTMSTriggerData":
        raise SourceError(
            "this is a Localite TriggerData file (display colour tables and a reference to a marker "
            "list), not the pulses", file=path, field=root.tag,
            hint="read the TriggerMarkers_Coil<N>_<same timestamp>.xml file beside it",
        )
    if root.tag == "InstrumentMarkerList":
        raise SourceError(
            "this is a Localite InstrumentMarker file (coil positions saved by hand), not per-pulse triggers",
            file=path, field=root.tag,
            hint="read TMSTrigger/TriggerMarkers_Coil<N>_<timestamp>.xml for the pulses",
        )
    raise SourceError(f"root element is <{root.tag}>, expected <TriggerMarkerList>", file=path,
                      field=root.tag, hint="read a Localite TriggerMarkers_Coil<N>_<timestamp>.xml file")


def _recording_time_ms(path: Path, marker: ET.Element, index: int) -> float:
    text = marker.get("recordingTime")
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise SourceError(f"recordingTime {text!r} is not a time in ms", file=path,
                          field=f"TriggerMarker[{index + 1}]/@recordingTime",
                          hint="the marker list is damaged; re-export it from TMS Navigator")
    return value


def _matrix(path: Path, marker: ET.Element, index: int) -> list[float]:
    matrix = marker.find("Matrix4D")
    if matrix is None:
        raise SourceError("TriggerMarker has no Matrix4D", file=path, field=f"TriggerMarker[{index + 1}]",
                          hint="the marker list is damaged; re-export it from TMS Navigator")
    values = []
    for key in MATRIX_KEYS:
        text = matrix.get(key)
        try:
            values.append(float(text))
        except (TypeError, ValueError):
            raise SourceError(f"Matrix4D {key} is {text!r}, not a number", file=path,
                              field=f"TriggerMarker[{index + 1}]/Matrix4D/@{key}",
                              hint="the marker list is damaged; re-export it from TMS Navigator") from None
    return values


def _response_values(path: Path, marker: ET.Element, index: int) -> tuple[float, float]:
    found = {"amplitudeA": math.nan, "valueA": math.nan}
    for value in marker.iter("Value"):
        key = value.get("key")
        if key not in found:
            continue
        text = value.get("response")
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise SourceError(f"{key} response {text!r} is not a number", file=path,
                              field=f"TriggerMarker[{index + 1}]/ResponseValues/{key}",
                              hint="the marker list is damaged; re-export it from TMS Navigator") from None
        # 0 means "stimulator not reporting" in the real files: no pulse is delivered at 0 %MSO or 0 A/us.
        found[key] = number if math.isfinite(number) and number != 0.0 else math.nan
    return found["amplitudeA"], found["valueA"]


def _start_time_of_day_s(text: str) -> float:
    """``HH:MM:SS.mmm`` (milliseconds written without zero padding) as seconds of the day; NaN if absent."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?\s*", text or "")
    if not match:
        return math.nan
    hours, minutes, seconds, millis = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis or 0) / 1000.0


def _format_tod(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown"
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{millis:03d}"


def _root_attributes(path: Path) -> dict[str, str]:
    refuse_doctype(path)
    try:
        for _, elem in ET.iterparse(path, events=("start",)):
            return {"tag": elem.tag, **elem.attrib}
    except ET.ParseError as exc:
        raise SourceError(f"malformed XML: {exc}", file=path, hint="the file is truncated") from None
    return {}


def _trigger_files(folder: Path, coil: int | None) -> Iterator[tuple[int, str, Path]]:
    for path in sorted(folder.iterdir()):
        match = TRIGGER_FILE_PATTERN.match(path.name)
        if match and (coil is None or int(match.group(1)) == coil):
            yield int(match.group(1)), match.group(2), path


def select_trigger_marker_files(folder: str | PathLike, *, coil: int | None = 0,
                                skip_empty: bool = True) -> list[Path]:
    """The last save of each recording among a folder's ``TriggerMarkers_Coil<N>_*.xml`` files.

    Localite rewrites the marker list of a recording several times (files 20-70 ms apart and later saves
    with the same ``startTime``); files of one coil with the same ``startTime`` are one recording, and the
    one with the latest timestamp in its name is kept.

    Parameters
    ----------
    folder : str or PathLike
        A ``TMSTrigger`` folder.
    coil : int or None
        Coil number ``N`` of the file names; None for every coil.
    skip_empty : bool
        Leave out recordings whose last save has no marker.

    Returns
    -------
    list of Path
        In time order.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError("Localite TMSTrigger folder not found", file=folder, hint="check the path")
    latest: dict[tuple[int, str], tuple[str, Path]] = {}
    for coil_number, stamp, path in _trigger_files(folder, coil):
        start = _root_attributes(path).get("startTime", stamp)
        key = (coil_number, start)
        if key not in latest or stamp > latest[key][0]:
            latest[key] = (stamp, path)
    chosen = sorted(latest.values())
    paths = [path for _, path in chosen]
    if skip_empty:
        paths = [p for p in paths if len(read_localite_triggers(p)) > 0]
    return paths


class LocaliteReader(Reader):
    """Localite TriggerMarkers exports as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "localite"
    kind = "navigator"
    display_name = "Localite TMS Navigator trigger markers"
    suffixes = (".xml",)
    info = "Localite TMS Navigator TriggerMarkers_Coil<N>_<timestamp>.xml (a TriggerMarkerList), never TriggerData."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return "<TriggerMarkerList" in head_text(path, 8192)

    @classmethod
    def select(cls, paths: list[Path]) -> list[Path]:
        """Of the marker files of one folder, the last save of each recording that holds markers (else the
        last file): Localite rewrites the whole file at every save."""
        if not paths:
            return []
        try:
            chosen = select_trigger_marker_files(paths[0].parent, coil=None, skip_empty=True)
            return chosen or select_trigger_marker_files(paths[0].parent, coil=None, skip_empty=False)[-1:]
        except NwbtmsError:
            return []

    @classmethod
    def open(cls, path: str | PathLike) -> NavigatorPulses:
        return read_localite_triggers(path)
