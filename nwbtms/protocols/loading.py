"""Protocol files (YAML or JSON, ``schemas/protocol.schema.json``) to and from :class:`Protocol`.

A file lists levels innermost first; each gives ``count`` and one of ``interval_s`` (onset to onset),
``gap_s`` (nominal end of one unit to the next onset) or ``gap_after_last_pulse_s`` (last pulse of one unit to
the first of the next, MagVenture MagPro's inter-train interval); see :mod:`nwbtms.protocols.model`::

    name: snt_day
    levels:
      - {name: pulse, count: 3, interval_s: 0.02}
      - {name: burst, count: 10, interval_s: 0.2}
      - {name: train, count: 60, interval_s: 10}
      - {name: session, count: 10, gap_s: 3000}   # "50 min between sessions", read as a gap
    waveform: biphasic
    intensity_value: 90
    intensity_reference: percent_threshold
    threshold_type: rmt
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from nwbtms.errors import Problem, ProtocolError
from nwbtms.io.yaml_loader import LineMap, load_schema, load_yaml_with_lines, validate_against_schema
from nwbtms.protocols.model import Jitter, Level, Protocol, Ramp, interval_from_stated_us, seconds_to_us

#: File key of each interval convention (model.INTERVAL_CONVENTIONS).
CONVENTION_KEYS = {"interval_s": "onset_to_onset", "gap_s": "gap_after_end",
                   "gap_after_last_pulse_s": "gap_after_last_pulse"}
KEY_OF_CONVENTION = {convention: key for key, convention in CONVENTION_KEYS.items()}

_PLAIN_FIELDS = (
    "name",
    "intensity_value",
    "intensity_reference",
    "threshold_type",
    "waveform",
    "pulse_width_us",
    "conditioning_intensity_value",
    "conditioning_intensity_reference",
    "conditioning_threshold_type",
    "coil_current_direction",
    "induced_current_direction",
    "sham",
    "sham_type",
    "description",
    "reference",
)


def _levels_from_dicts(
    raw_levels: list[dict], pulse_width_us: float | None, problems: list[Problem]
) -> tuple[Level, ...]:
    """Levels with onset-to-onset intervals in integer us; gaps converted with the inner levels' durations."""
    levels: list[Level] = []
    for i, raw in enumerate(raw_levels):
        key = next((k for k in CONVENTION_KEYS if k in raw), "interval_s")
        convention = CONVENTION_KEYS[key]
        try:
            value_us = seconds_to_us(raw[key], what=key)
        except ValueError as exc:
            problems.append(Problem(f"level {raw['name']!r}: {exc}", field=f"/levels/{i}/{key}"))
            value_us = 0
        if i == 0 and convention != "onset_to_onset":
            problems.append(Problem("level 'pulse' has no gap; give interval_s", field=f"/levels/0/{key}"))
            convention = "onset_to_onset"
        interval_us = interval_from_stated_us(levels, i, value_us, convention, pulse_width_us)
        levels.append(Level(raw["name"], raw["count"], interval_us, stated_as=convention))
    return tuple(levels)


def _name_level(problem: Problem, data: dict[str, Any]) -> Problem:
    """``problem`` with the level's name in front when it concerns ``/levels/<i>`` of a named level."""
    match = re.match(r"^/levels/(\d+)(/|$)", problem.field or "")
    levels = data.get("levels")
    if not match or not isinstance(levels, list) or int(match.group(1)) >= len(levels):
        return problem
    level = levels[int(match.group(1))]
    level_name = level.get("name") if isinstance(level, dict) else None
    if not isinstance(level_name, str):
        return problem
    return replace(problem, message=f"level {level_name!r}: {problem.message}")


def protocol_from_dict(
    data: dict[str, Any], *, file: str | os.PathLike | None = None, line_map: LineMap | None = None
) -> Protocol:
    """Validate ``data`` against the protocol schema and build the :class:`Protocol`.

    Raises
    ------
    ProtocolError
        Listing every schema violation at once (with lines when ``line_map`` is given), or every
        physical inconsistency (naming the level and why).
    """
    name = None if file is None else str(file)
    line_map = line_map or LineMap()
    problems = validate_against_schema(data, load_schema("protocol"), file=name, line_map=line_map)
    problems = [_name_level(p, data) for p in problems]
    if problems:
        raise ProtocolError(
            f"protocol file does not follow protocol.schema.json ({len(problems)} problem(s))",
            file=name,
            problems=problems,
            hint="fix every listed field",
        )
    conversion: list[Problem] = []
    levels = _levels_from_dicts(data["levels"], data.get("pulse_width_us"), conversion)
    values = {key: data[key] for key in _PLAIN_FIELDS if key in data}
    if "ramp" in data:
        values["ramp"] = Ramp(
            data["ramp"]["level"], data["ramp"]["count"], float(data["ramp"]["start_fraction"])
        )
    if "jitter" in data:
        try:
            max_us = seconds_to_us(data["jitter"]["max_s"], what="jitter max_s")
        except ValueError as exc:
            conversion.append(Problem(str(exc), field="/jitter/max_s"))
            max_us = 0
        values["jitter"] = Jitter(data["jitter"]["level"], max_us)
    for key in ("intensity_value", "conditioning_intensity_value", "pulse_width_us"):
        if values.get(key) is not None:
            values[key] = float(values[key])
    try:
        if conversion:
            raise ProtocolError("protocol has invalid values", problems=conversion)
        return Protocol(levels=levels, **values)
    except ProtocolError as exc:
        located = [
            Problem(p.message, name, line_map.line_for(p.field or ""), p.field, p.hint)
            for p in [*conversion, *exc.problems]
            if p.message != "protocol has invalid values"
        ]
        raise ProtocolError(
            f"protocol {data.get('name')!r} is physically inconsistent ({len(located)} problem(s))",
            file=name,
            problems=located,
            hint="fix the listed levels or fields",
        ) from None


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """The file form of ``protocol`` (inverse of :func:`protocol_from_dict`); each level in its convention."""
    levels = []
    for i, lvl in enumerate(protocol.levels):
        key = KEY_OF_CONVENTION[lvl.stated_as] if i > 0 else "interval_s"
        levels.append({"name": lvl.name, "count": lvl.count, key: protocol.stated_interval_us(i) / 1e6})
    data: dict[str, Any] = {"name": protocol.name}
    if protocol.description:
        data["description"] = protocol.description
    if protocol.reference:
        data["reference"] = protocol.reference
    data["levels"] = levels
    data["waveform"] = protocol.waveform
    if protocol.pulse_width_us is not None:
        data["pulse_width_us"] = protocol.pulse_width_us
    data["intensity_value"] = protocol.intensity_value
    data["intensity_reference"] = protocol.intensity_reference
    if protocol.threshold_type:
        data["threshold_type"] = protocol.threshold_type
    if protocol.conditioning_intensity_value is not None:
        data["conditioning_intensity_value"] = protocol.conditioning_intensity_value
        data["conditioning_intensity_reference"] = protocol.conditioning_intensity_reference
        if protocol.conditioning_threshold_type:
            data["conditioning_threshold_type"] = protocol.conditioning_threshold_type
    data["coil_current_direction"] = protocol.coil_current_direction
    data["induced_current_direction"] = protocol.induced_current_direction
    data["sham"] = protocol.sham
    if protocol.sham_type:
        data["sham_type"] = protocol.sham_type
    if protocol.ramp:
        data["ramp"] = {
            "level": protocol.ramp.level,
            "count": protocol.ramp.count,
            "start_fraction": protocol.ramp.start_fraction,
        }
    if protocol.jitter:
        data["jitter"] = {"level": protocol.jitter.level, "max_s": protocol.jitter.max_us / 1e6}
    return data


def load_protocol(source: str | os.PathLike | dict | Protocol) -> Protocol:
    """A :class:`Protocol` from a preset name, a YAML/JSON file, a dict in file form, or a Protocol.

    A string that names an existing file is read as a file; otherwise it must be a preset name.

    Raises
    ------
    ProtocolError
        Unknown preset or missing file; schema violations (all at once, with lines); physically
        inconsistent levels.
    """
    from nwbtms.protocols.presets import PRESETS, get_preset

    if isinstance(source, Protocol):
        return source
    if isinstance(source, dict):
        return protocol_from_dict(source)
    path = Path(source)
    if not path.is_file():
        if isinstance(source, str) and source in PRESETS:
            return get_preset(source)
        if path.suffix.lower() in (".yaml", ".yml", ".json") or os.sep in str(source):
            raise ProtocolError("protocol file not found", file=path, hint="check the path")
        return get_preset(str(source))
    from nwbtms.errors import MetadataError

    try:
        data, line_map = load_yaml_with_lines(path)
    except MetadataError as exc:
        raise ProtocolError(
            exc.message, file=exc.file, line=exc.line, field=exc.field, hint=exc.hint, problems=exc.problems
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError(
            "a protocol file must be a mapping of fields (name, levels, ...)",
            file=path,
            line=1,
            hint="see schemas/protocol.schema.json",
        )
    return protocol_from_dict(data, file=path, line_map=line_map)
