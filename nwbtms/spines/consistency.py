"""Cross-file consistency of a subject's sessions: what one file says must agree with the others.

Each problem names both files (``path`` and ``other``):

- ``key_kind``, ``key_parent``, ``key_cell_type``: one ROI key with a different kind, parent or cell type
  in two files of a subject (each differing file is compared with the first file holding the key);
- ``spine_without_dendrite``: a spine whose dendrite (its parent key, in this file or in another file of
  the subject) is not annotated in that session (``other``: a file where the dendrite is);
- ``subject_metadata``: species, sex, genotype or date of birth differing between a subject's sessions;
- ``session_order``: session start times out of order with the session IDs (IDs compared in natural
  order: ``day2`` before ``day11``);
- ``duplicate_key``: a key listed twice in one file (``other`` is the same file).

Two files with one identifier are reported by the validator's ``dandi.identifier_unique``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nwbtms.spines.read import SUBJECT_FIELDS, SessionRois
from nwbtms.spines.registry import NO_SUBJECT, build_registry


@dataclass(frozen=True)
class Inconsistency:
    """One cross-file problem, reported on ``path`` and naming ``other``."""

    kind: str
    path: str
    other: str
    message: str
    location: str | None = None


def natural_key(text: str) -> tuple:
    """``day2`` < ``day11``: digit runs compared as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _roi_conflicts(subject) -> list[Inconsistency]:
    out = []
    for key, by_session in subject.keys.items():
        indices = sorted(by_session)
        first_index = indices[0]
        first = by_session[first_index]
        first_path = str(subject.sessions[first_index].path)
        for index in indices[1:]:
            record = by_session[index]
            path = str(subject.sessions[index].path)
            for kind, name in (("key_kind", "kind"), ("key_parent", "parent_key"), ("key_cell_type", "cell_type")):
                a, b = getattr(first, name), getattr(record, name)
                if a != b:
                    out.append(Inconsistency(
                        kind, path, first_path,
                        f"ROI {key!r} has {name.replace('_key', '')} {b!r} here but {a!r} in {first_path}",
                        location=record.table))
    return out


def _orphans(subject) -> list[Inconsistency]:
    out = []
    parent_of: dict[str, str] = {}
    for key, by_session in subject.keys.items():
        for record in by_session.values():
            if record.kind == "spine" and record.parent_key:
                parent_of.setdefault(key, record.parent_key)
    for index, session in enumerate(subject.sessions):
        present = {r.key for r in session.rois}
        for record in session.rois:
            if record.kind != "spine":
                continue
            parent = record.parent_key or parent_of.get(record.key)
            if parent is None or parent in present:
                continue
            elsewhere = [subject.sessions[i].path for i in sorted(subject.keys.get(parent, {})) if i != index]
            other = str(elsewhere[0]) if elsewhere else str(session.path)
            where = f"; it is annotated in {other}" if elsewhere else ""
            out.append(Inconsistency(
                "spine_without_dendrite", str(session.path), other,
                f"spine {record.key!r} names dendrite {parent!r}, which is not annotated in this session{where}",
                location=record.table))
    return out


def _subject_metadata(subject) -> list[Inconsistency]:
    out = []
    if not subject.sessions:
        return out
    first = subject.sessions[0]
    for session in subject.sessions[1:]:
        for name in SUBJECT_FIELDS:
            a, b = first.subject.get(name), session.subject.get(name)
            if a != b:
                out.append(Inconsistency(
                    "subject_metadata", str(session.path), str(first.path),
                    f"subject {subject.subject_id!r}: {name} is {b!r} here but {a!r} in {first.path}",
                    location=f"/general/subject/{name}"))
    return out


def _session_order(subject) -> list[Inconsistency]:
    out = []
    timed = [s for s in subject.sessions if s.start_time is not None and s.session_id]
    for a, b in zip(timed, timed[1:], strict=False):
        if natural_key(a.session_id) > natural_key(b.session_id):
            out.append(Inconsistency(
                "session_order", str(b.path), str(a.path),
                f"session {b.session_id!r} starts at {b.start_time.isoformat()}, after session {a.session_id!r} "
                f"({a.path}, {a.start_time.isoformat()}), but its ID sorts before it",
                location="/session_start_time"))
    return out


def find_inconsistencies(sessions: Iterable[SessionRois]) -> list[Inconsistency]:
    """Every cross-file problem among ``sessions`` (grouped by subject), in a stable order."""
    sessions = list(sessions)
    out: list[Inconsistency] = []
    for session in sessions:
        for key, tables in session.duplicate_keys.items():
            out.append(Inconsistency("duplicate_key", str(session.path), str(session.path),
                                     f"ROI key {key!r} is listed more than once ({', '.join(tables)})",
                                     location=tables[-1]))
    for subject_id, subject in build_registry(sessions).subjects.items():
        out += _roi_conflicts(subject) + _orphans(subject)
        if subject_id == NO_SUBJECT:
            continue  # files without a subject_id are not one subject's sessions
        out += _subject_metadata(subject) + _session_order(subject)
    return out


__all__ = ["Inconsistency", "find_inconsistencies", "natural_key"]
