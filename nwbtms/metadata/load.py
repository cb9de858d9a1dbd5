"""Load a session metadata file and validate it completely before anything is converted.

Every problem is collected and reported at once, each with the YAML file, line and JSON path:
placeholders left by ``nwbtms init``, JSON Schema violations (``schemas/session.schema.json``:
wrong types, missing fields, unknown keys), dangling keys, and unsafe source paths.

Source paths are relative to the metadata file's folder. They may not be absolute or leave that folder
(``..``, or a symlink pointing out) unless the file sets ``allow_absolute_paths: true``: a metadata file
received from someone else then cannot make nwbtms read arbitrary files of the machine it runs on.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from nwbtms.errors import MetadataError, Problem
from nwbtms.io.yaml_loader import LineMap, load_schema, load_yaml_with_lines, validate_against_schema
from nwbtms.metadata.keys import find_dangling_keys
from nwbtms.metadata.model import Session, Source, parse_datetime
from nwbtms.metadata.placeholders import find_placeholders, is_placeholder

SCHEMA_NAME = "session"
#: Keys of a ``reader: neuroconv`` source besides ``path`` and ``options`` (kept in ``Source.neuroconv``).
NEUROCONV_FIELDS = ("interface", "metadata", "conversion_options", "starting_time_s")

LineOf = Callable[[str], "int | None"]


def _normalise(value: Any) -> Any:
    """YAML timestamps to ISO strings (the schema checks strings), recursively."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def read_metadata(path: str | os.PathLike) -> tuple[dict, LineMap]:
    """Read a metadata YAML file (safe loader) with the line of every key and item."""
    path = Path(path)
    if not path.is_file():
        raise MetadataError("metadata file not found", file=path,
                            hint="give the session.yaml written by 'nwbtms init'")
    data, line_map = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise MetadataError("metadata file must be a YAML mapping (key: value) at the top", file=path, line=1)
    return _normalise(data), line_map


def _schema_problems(data: dict, file: str | None, line_map: LineMap) -> list[Problem]:
    """Every JSON Schema violation of ``data``, located."""
    return validate_against_schema(data, load_schema(SCHEMA_NAME), file=file, line_map=line_map)


def _resolve_path(folder: Path, text: str, allow_absolute: bool) -> tuple[Path | None, str | None]:
    """Resolve a source path; (path, None) or (None, why it is refused)."""
    if "\x00" in text:
        return None, "contains a NUL character"
    if "\\" in text:
        return None, "uses backslashes; write paths with '/' separators"
    raw = Path(text).expanduser() if allow_absolute else Path(text)
    if raw.is_absolute():
        if not allow_absolute:
            return None, ("is absolute; give a path relative to the metadata file "
                          "(or set allow_absolute_paths)")
        return raw.resolve(), None
    if not allow_absolute and ".." in PurePosixPath(text).parts:
        return None, "leaves the session folder ('..'); set allow_absolute_paths: true to allow it"
    resolved = (folder / raw).resolve()
    if not allow_absolute:
        try:
            resolved.relative_to(folder.resolve())
        except ValueError:
            return None, "resolves outside the session folder (symlink); set allow_absolute_paths to allow it"
    return resolved, None


#: Largest |stimulation.daq_start_offset_s|, s (100 days): a DAQ and a session further apart are not one
#: recording session, and so large an offset is a unit or date mistake.
MAX_DAQ_START_OFFSET_S = 100 * 86400.0


def _non_finite(node, pointer: str = "") -> list[str]:
    """JSON pointers of NaN or infinite numbers (``.nan``, ``.inf``): no metadata field means them."""
    if isinstance(node, float) and not math.isfinite(node):
        return [pointer]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _non_finite(v, f"{pointer}/{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _non_finite(v, f"{pointer}/{i}")]
    return []


def _photometry_problems(data: dict, file: str | None, line_of: LineOf) -> list[Problem]:
    """A fiber's indicator names an entry of ``photometry.indicators`` (a key inside the section, which the keyed
    references of :mod:`nwbtms.metadata.keys` do not cover)."""
    section = data.get("photometry") if isinstance(data.get("photometry"), dict) else {}
    indicators = section.get("indicators") if isinstance(section.get("indicators"), dict) else {}
    problems = []
    for key, fiber in (section.get("fibers") or {}).items() if isinstance(section.get("fibers"), dict) else ():
        name = fiber.get("indicator") if isinstance(fiber, dict) else None
        if isinstance(name, str) and not is_placeholder(name) and name not in indicators:
            pointer = f"/photometry/fibers/{key}/indicator"
            problems.append(Problem(
                f"dangling key {name!r}: there is no entry {name!r} in 'photometry.indicators'", file=file,
                line=line_of(pointer), field=pointer,
                hint=f"use one of {', '.join(sorted(indicators)) or 'none'} or add it to photometry.indicators"))
    return problems


def _semantic_problems(data: dict, file: str | None, line_of: LineOf) -> list[Problem]:
    """Rules a schema cannot express simply: relative intensity needs a threshold, sham needs sham_type, numbers
    are finite, the artifact window is ordered, the DAQ offset is plausible, presets exist."""
    from nwbtms.protocols.presets import PRESETS

    problems = [Problem("not a finite number", file=file, line=line_of(p), field=p,
                        hint="give a number (.nan and .inf are not values nwbtms can store here)")
                for p in _non_finite(data)]
    stim = data.get("stimulation") if isinstance(data.get("stimulation"), dict) else {}
    window = stim.get("artifact_window_s")
    if (isinstance(window, list) and len(window) == 2 and all(isinstance(v, int | float) for v in window)
            and window[0] > window[1]):
        problems.append(Problem(f"artifact_window_s starts after it stops: {window}", file=file,
                                line=line_of("/stimulation/artifact_window_s"), field="/stimulation/artifact_window_s",
                                hint="write [start, stop] relative to each pulse, e.g. [-0.001, 0.025]"))
    offset = stim.get("daq_start_offset_s")
    if isinstance(offset, int | float) and not isinstance(offset, bool) and math.isfinite(offset) \
            and abs(offset) > MAX_DAQ_START_OFFSET_S:
        problems.append(Problem(f"daq_start_offset_s {offset:g} s is more than 100 days from session_start_time",
                                file=file, line=line_of("/stimulation/daq_start_offset_s"),
                                field="/stimulation/daq_start_offset_s",
                                hint="give the DAQ start in seconds after session_start_time (or from_recording)"))
    problems.extend(_photometry_problems(data, file, line_of))
    for key, protocol in (data.get("protocols") or {}).items():
        if not isinstance(protocol, dict):
            continue
        pointer = f"/protocols/{key}"
        preset = protocol.get("preset")
        if isinstance(preset, str) and not is_placeholder(preset) and preset not in PRESETS:
            problems.append(Problem(f"unknown preset {preset!r}", file=file, line=line_of(f"{pointer}/preset"),
                                    field=f"{pointer}/preset",
                                    hint=f"use one of {', '.join(sorted(PRESETS))} ('nwbtms protocol list')"))
        intensity = protocol.get("intensity") or {}
        if intensity.get("reference") == "percent_threshold" and not intensity.get("threshold"):
            problems.append(Problem(
                "intensity relative to a threshold needs the threshold's key", file=file,
                line=line_of(f"{pointer}/intensity"), field=f"{pointer}/intensity/threshold",
                hint="add 'threshold: <key in thresholds>'"))
        if protocol.get("sham") and not protocol.get("sham_type"):
            problems.append(Problem(
                "a sham protocol needs sham_type", file=file, line=line_of(f"{pointer}/sham"),
                field=f"{pointer}/sham_type", hint="e.g. sham_type: coil_away"))
        if protocol.get("sham_type") and not protocol.get("sham"):
            problems.append(Problem(
                "sham_type is set but sham is not true", file=file, line=line_of(f"{pointer}/sham_type"),
                field=f"{pointer}/sham", hint="set sham: true or remove sham_type"))
    seen: dict[str, str] = {}
    for section in ("viral_vectors", "injections", "effectors"):  # one group of /general/study_design each
        for key in (data.get(section) or {}) if isinstance(data.get(section), dict) else ():
            if key in seen:
                pointer = f"/{section}/{key}"
                problems.append(Problem(f"key {key!r} is also used in {seen[key]}", file=file, line=line_of(pointer),
                                        field=pointer, hint="viral vectors, injections and effectors are stored "
                                        "side by side: give each its own key (e.g. hm4di_aav, hm4di)"))
            seen.setdefault(key, section)
    for key, entry in (data.get("interventions") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("start_date"), str) \
                and isinstance(entry.get("end_date"), str) and not is_placeholder(entry["start_date"]) \
                and entry["end_date"][:10] < entry["start_date"][:10]:
            pointer = f"/interventions/{key}/end_date"
            problems.append(Problem(f"end_date {entry['end_date'][:10]} is before start_date "
                                    f"{entry['start_date'][:10]}", file=file, line=line_of(pointer),
                                    field=pointer, hint="give the intervention's first and last day in order"))
    start = (data.get("nwbfile") or {}).get("session_start_time")
    if isinstance(start, str) and not is_placeholder(start):
        try:
            parse_datetime(start)
        except ValueError as exc:
            problems.append(Problem(f"session_start_time: {exc}", file=file,
                                    line=line_of("/nwbfile/session_start_time"),
                                    field="/nwbfile/session_start_time",
                                    hint="ISO 8601 with a UTC offset, e.g. 2026-03-02T09:30:00+01:00"))
    return problems


def check_metadata(
    metadata: dict | str | os.PathLike, *, base_dir: str | os.PathLike | None = None,
    lines_out: dict | None = None,
) -> tuple[dict, Path | None, Path, dict[str, Source], list[Problem]]:
    """Validate metadata without raising: ``(data, file, folder, sources, problems)``; ``lines_out`` (optional)
    receives the line of every JSON pointer."""
    if isinstance(metadata, dict):
        data, file, line_map = _normalise(copy.deepcopy(metadata)), None, LineMap()
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        file = Path(metadata)
        data, line_map = read_metadata(file)
        folder = Path(base_dir) if base_dir is not None else file.resolve().parent
    file_text = None if file is None else str(file)
    line_of = line_map.line_for
    if lines_out is not None:
        lines_out.update(line_map.lines)

    problems: list[Problem] = []
    placeholder_pointers = set()
    for pointer, text in find_placeholders(data):
        placeholder_pointers.add(pointer)
        problems.append(Problem(f"placeholder left: {text}", file=file_text, line=line_of(pointer),
                                field=pointer, hint="replace it with the real value"))

    def under_placeholder(pointer: str | None) -> bool:
        return bool(pointer) and any(pointer == p or pointer.startswith(p + "/")
                                     for p in placeholder_pointers)

    for problem in _schema_problems(data, file_text, line_map):
        if not under_placeholder(problem.field):
            problems.append(problem)
    problems.extend(find_dangling_keys(data, file=file_text, line_of=line_of))
    problems.extend(_semantic_problems(data, file_text, line_of))

    sources: dict[str, Source] = {}
    allow_absolute = data.get("allow_absolute_paths") is True
    for key, entry in (data.get("sources") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        pointer = f"/sources/{key}/path"
        if under_placeholder(pointer):
            continue
        resolved, why = _resolve_path(folder, entry["path"], allow_absolute)
        if why:
            problems.append(Problem(f"source path {entry['path']!r} {why}", file=file_text,
                                    line=line_of(pointer), field=pointer))
            continue
        neuroconv = None
        if entry.get("reader") == "neuroconv":
            neuroconv = {name: copy.deepcopy(entry[name]) for name in NEUROCONV_FIELDS if name in entry}
        sources[key] = Source(key=key, reader=str(entry.get("reader")), path=resolved,
                              options=dict(entry.get("options") or {}), neuroconv=neuroconv)
    for key, protocol in (data.get("protocols") or {}).items():
        if isinstance(protocol, dict) and isinstance(protocol.get("file"), str):
            pointer = f"/protocols/{key}/file"
            resolved, why = _resolve_path(folder, protocol["file"], allow_absolute)
            if why:
                problems.append(Problem(f"protocol file {protocol['file']!r} {why}", file=file_text,
                                        line=line_of(pointer), field=pointer))
            else:
                protocol["file"] = str(resolved)
    problems.sort(key=lambda p: (p.line is None, p.line or 0, p.field or ""))
    return data, file, folder, sources, problems


def load_session(metadata: dict | str | os.PathLike, *, base_dir: str | os.PathLike | None = None) -> Session:
    """Load and validate session metadata (a YAML file or a dict) into a :class:`Session`.

    Parameters
    ----------
    metadata : dict or path
        The metadata file, or the same content as a dict.
    base_dir : path, optional
        Folder source paths are relative to (default: the file's folder, or the working folder for a dict).

    Raises
    ------
    MetadataError
        With one located :class:`~nwbtms.errors.Problem` per placeholder, schema violation, dangling key or
        refused path, all at once.
    """
    lines: dict[str, int] = {}
    data, file, folder, sources, problems = check_metadata(metadata, base_dir=base_dir, lines_out=lines)
    if problems:
        placeholders = sum(p.message.startswith("placeholder left") for p in problems)
        summary = f"{len(problems)} problem(s) in the session metadata"
        if placeholders:
            summary += f", {placeholders} placeholder(s) left by 'nwbtms init'"
        raise MetadataError(summary, file=file, problems=problems,
                            hint="fix each line listed below, then run the command again")
    return Session(data=data, metadata_file=file, folder=folder, sources=sources, lines=lines)
