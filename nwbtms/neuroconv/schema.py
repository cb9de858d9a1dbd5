"""The ``TMS`` block of NeuroConv metadata, as a JSON Schema taken from ``schemas/session.schema.json``.

The sections are the metadata file's own (devices, coordinate spaces, thresholds, protocols, targets,
stimulation, cell types, manipulations, adverse events, sham and blinding descriptions), so a NeuroConv user
edits the same keyed mappings an ``nwbtms convert`` user writes. References are inlined, because NeuroConv
merges the schemas of several interfaces into one document. That merge (``neuroconv.utils.dict_deep_update``)
reads every list of several mappings as named entries, so ``allOf`` lists are nested one entry deep
(the same conditions) and the alternatives of ``anyOf``/``oneOf`` are left to nwbtms's own check, which runs
on the full schema when an interface adds its data (every problem at once, as for a metadata file). The
source keys of ``stimulation`` (``pulses_from``, ``stimulator_log``, ``navigator``) are left out: an
interface's source data gives them.
"""

from __future__ import annotations

import copy
from typing import Any

from nwbtms.io.yaml_loader import load_schema

#: Metadata-file sections a TMS interface takes from NeuroConv metadata ``TMS``.
TMS_SECTIONS = ("devices", "coordinate_spaces", "thresholds", "protocols", "targets", "stimulation", "cell_types",
                "manipulations", "adverse_events", "sham_description", "blinding_description")
#: ``stimulation`` keys naming sources; NeuroConv interfaces take them from their source data.
SOURCE_KEYS = ("pulses_from", "stimulator_log", "navigator")


def _inline(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    if depth > 50:
        raise ValueError("schemas/session.schema.json: $ref nesting deeper than 50 (a cycle?)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline(defs[ref.split("/")[-1]], defs, depth + 1)
            rest = {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$ref"}
            return {**target, **rest} if rest else target
        return {k: _inline(v, defs, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _mergeable(node: Any) -> Any:
    """No list holding several mappings (see the module docstring): ``allOf`` nested, alternatives left out."""
    if isinstance(node, list):
        return [_mergeable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        several = isinstance(value, list) and sum(isinstance(v, dict) for v in value) > 1
        if several and key == "allOf":
            nested: dict[str, Any] = _mergeable(value[-1])
            for entry in reversed(value[:-1]):
                # both must hold; "not not" keeps each list at one mapping when the entry has its own allOf
                nested = ({**_mergeable(entry), "allOf": [nested]} if "allOf" not in entry
                          else {"allOf": [_mergeable(entry)], "not": {"not": nested}})
            out["allOf"] = [nested]
        elif several and key in ("anyOf", "oneOf"):
            continue
        else:
            out[key] = _mergeable(value)
    return out


def tms_metadata_schema() -> dict[str, Any]:
    """JSON Schema (draft 7 compatible) of NeuroConv metadata ``TMS``."""
    session = load_schema("session")
    defs = session["$defs"]
    properties = {name: _inline(copy.deepcopy(session["properties"][name]), defs) for name in TMS_SECTIONS}
    stimulation = properties["stimulation"]
    for key in SOURCE_KEYS:
        stimulation["properties"].pop(key, None)
    stimulation["required"] = [key for key in stimulation.get("required", []) if key not in SOURCE_KEYS]
    return _mergeable({
        "type": "object",
        "additionalProperties": False,
        "description": "TMS metadata in the sections of an nwbtms metadata file (schemas/session.schema.json).",
        "properties": properties,
    })


__all__ = ["SOURCE_KEYS", "TMS_SECTIONS", "tms_metadata_schema"]
