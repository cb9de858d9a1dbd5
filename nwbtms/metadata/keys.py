"""Keyed references between sections of a session metadata file, and the dangling ones.

Sections are mappings from a key to an entry (``devices: {coil: {...}}``); entries refer to each
other by key (``coil.stimulator: stimulator``). :func:`references` lists every field that holds a key,
the section it points into and, where it matters, the kind of entry it must point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from nwbtms.errors import Problem
from nwbtms.metadata.placeholders import is_placeholder


@dataclass(frozen=True)
class Reference:
    """A field holding a key: ``section/*/field`` (``*`` = every entry) or a fixed path."""

    path: tuple[str, ...]
    target_section: str
    #: (field of the target entry, accepted values) the target must satisfy, e.g. ("type", {"tms_coil"}).
    target_kind: tuple[str, frozenset[str]] | None = None


def _kind(field: str, *values: str) -> tuple[str, frozenset[str]]:
    return field, frozenset(values)


def _readers(*kinds: str) -> tuple[str, frozenset[str]]:
    """``reader`` must name a reader of one of ``kinds`` (:mod:`nwbtms.sources.registry`)."""
    from nwbtms.sources.registry import reader_names

    return _kind("reader", *(name for kind in kinds for name in reader_names(kind)))


@cache
def references() -> tuple[Reference, ...]:
    """Every field that holds a key (the source kinds from the reader registry, resolved on first use)."""
    return (
        Reference(("devices", "*", "stimulator"), "devices", _kind("type", "tms_stimulator")),
        Reference(("protocols", "*", "intensity", "threshold"), "thresholds"),
        Reference(("targets", "*", "coordinate_space"), "coordinate_spaces"),
        Reference(("registrations", "*", "coordinate_space"), "coordinate_spaces"),
        Reference(("registrations", "*", "navigation_system"), "devices", _kind("type", "navigation_system")),
        Reference(("protocols", "*", "conditioning_intensity", "threshold"), "thresholds"),
        Reference(("stimulation", "pulses_from"), "sources", _readers("daq", "stimulator_log", "navigator")),
        Reference(("stimulation", "stimulator_log"), "sources", _readers("stimulator_log")),
        Reference(("stimulation", "navigator"), "sources", _readers("navigator")),
        Reference(("stimulation", "protocol"), "protocols"),
        Reference(("stimulation", "course_protocol"), "protocols"),
        Reference(("stimulation", "target"), "targets"),
        Reference(("stimulation", "coil"), "devices", _kind("type", "tms_coil")),
        Reference(("imaging_planes", "*", "device"), "devices", _kind("type", "microscope")),
        Reference(("imaging_planes", "*", "imaging"), "sources", _readers("imaging")),
        Reference(("imaging_planes", "*", "segmentation"), "sources", _readers("segmentation")),
        Reference(("imaging_planes", "*", "roi_labels"), "sources", _readers("roi_labels")),
        Reference(("imaging_planes", "*", "annotations"), "sources", _readers("annotations")),
        Reference(("imaging_planes", "*", "cell_type"), "cell_types"),
        Reference(("manipulations", "*", "target_cell_type"), "cell_types"),
        Reference(("injections", "*", "viral_vector"), "viral_vectors"),
        Reference(("effectors", "*", "injection"), "injections"),
        Reference(("photometry", "source"), "sources", _readers("photometry")),
        Reference(("photometry", "fibers", "*", "cell_type"), "cell_types"),
        Reference(("photometry", "indicators", "*", "injection"), "injections"),
    )


def _walk(data: Any, path: tuple[str, ...], pointer: str):
    """Yield ``(pointer, value)`` for every value at ``path`` (``*`` expands mapping entries)."""
    if not path:
        yield pointer, data
        return
    if not isinstance(data, dict):
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for key, value in data.items():
            yield from _walk(value, rest, f"{pointer}/{key}")
    elif head in data:
        yield from _walk(data[head], rest, f"{pointer}/{head}")


def find_dangling_keys(data: dict, *, file: str | None = None, line_of=None) -> list[Problem]:
    """Every reference whose key names no entry (or an entry of the wrong kind), located.

    Parameters
    ----------
    data : dict
        The metadata (already schema-valid, or at least a mapping).
    file : str, optional
        The metadata file, for the problems' locations.
    line_of : callable, optional
        ``line_of(json_pointer) -> int | None``.
    """
    problems = []
    for ref in references():
        section = data.get(ref.target_section) or {}
        if not isinstance(section, dict):
            continue
        for pointer, key in _walk(data, ref.path, ""):
            if not isinstance(key, str) or is_placeholder(key):
                continue
            line = line_of(pointer) if line_of else None
            if key not in section:
                known = ", ".join(sorted(map(str, section))) or "none"
                problems.append(Problem(
                    f"dangling key {key!r}: there is no entry {key!r} in '{ref.target_section}'",
                    file=file, line=line, field=pointer,
                    hint=f"use one of the keys of '{ref.target_section}' ({known}) or add an entry {key!r}",
                ))
                continue
            if ref.target_kind:
                field, accepted = ref.target_kind
                entry = section[key]
                actual = entry.get(field) if isinstance(entry, dict) else None
                if actual not in accepted:
                    problems.append(Problem(
                        f"key {key!r} points at a '{ref.target_section}' entry with {field} {actual!r}; "
                        f"expected {field} in {sorted(accepted)}",
                        file=file, line=line, field=pointer,
                        hint=f"point at an entry of '{ref.target_section}' whose {field} is one of "
                             f"{sorted(accepted)}",
                    ))
    return problems
