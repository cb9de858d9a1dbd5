"""One identity per ROI across a subject's files: the key x session presence table.

Files are grouped by ``subject_id`` and each subject's sessions ordered by ``session_start_time`` (then
session ID, then path). A key is *present* in a session when a PlaneSegmentation of that file lists it.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nwbtms.spines.read import RoiRecord, SessionRois, find_nwb_files, read_sessions

#: Subject ID of the group of files that carry none.
NO_SUBJECT = "(no subject_id)"
_EPOCH = _dt.datetime.min.replace(tzinfo=_dt.UTC)


def _order_key(session: SessionRois) -> tuple:
    start = session.start_time
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=_dt.UTC)
    return (start or _EPOCH, session.session_id, str(session.path))


@dataclass
class SubjectRegistry:
    """One subject's sessions (in time order) and, per key, its record in each session holding it."""

    subject_id: str
    sessions: list[SessionRois]
    keys: dict[str, dict[int, RoiRecord]] = field(default_factory=dict)

    def present(self, key: str, session_index: int) -> bool:
        """Whether ``key`` is listed in session ``session_index``."""
        return session_index in self.keys.get(key, {})

    def record(self, key: str) -> RoiRecord:
        """The first record of ``key`` (its kind, parent and cell type as first seen)."""
        by_session = self.keys[key]
        return by_session[min(by_session)]

    @property
    def condition(self) -> dict[str, str]:
        """The subject's condition: each factor's level over its files (sorted by factor name).

        Files without a design add nothing; a factor recorded with different levels in different files
        (which the validator reports as ``dandi.condition_consistent``) gets its levels joined by ``|``.
        """
        levels: dict[str, list[str]] = {}
        for session in self.sessions:
            for factor, level in session.condition.items():
                if level not in levels.setdefault(factor, []):
                    levels[factor].append(level)
        return {factor: "|".join(sorted(levels[factor])) for factor in sorted(levels)}

    def rows(self) -> list[dict[str, Any]]:
        """One row per key: kind, parent, cell type and presence (session label -> bool)."""
        labels = [s.label for s in self.sessions]
        out = []
        for key in sorted(self.keys, key=_key_order(self)):
            record = self.record(key)
            out.append({
                "subject_id": self.subject_id, "roi_key": key, "roi_kind": record.kind,
                "parent_key": record.parent_key, "cell_type": record.cell_type,
                "presence": {label: self.present(key, i) for i, label in enumerate(labels)},
            })
        return out


def _key_order(registry: SubjectRegistry):
    kind_rank = {"soma": 0, "dendrite": 1, "spine": 2}

    def order(key: str) -> tuple:
        record = registry.record(key)
        return (kind_rank.get(record.kind, 3), record.parent_key or "", key)

    return order


@dataclass
class Registry:
    """Every subject's registry, plus the files read."""

    subjects: dict[str, SubjectRegistry]
    files: list[SessionRois]

    def rows(self) -> list[dict[str, Any]]:
        """Rows of every subject (see :meth:`SubjectRegistry.rows`)."""
        return [row for subject in self.subjects.values() for row in subject.rows()]


def build_registry(sessions: Iterable[SessionRois]) -> Registry:
    """Group sessions by subject, order them by start time, and index every key's records."""
    files = list(sessions)
    grouped: dict[str, list[SessionRois]] = {}
    for session in files:
        grouped.setdefault(session.subject_id or NO_SUBJECT, []).append(session)
    subjects = {}
    for subject_id in sorted(grouped):
        ordered = sorted(grouped[subject_id], key=_order_key)
        registry = SubjectRegistry(subject_id=subject_id, sessions=ordered)
        for index, session in enumerate(ordered):
            for record in session.rois:
                registry.keys.setdefault(record.key, {})[index] = record
        subjects[subject_id] = registry
    return Registry(subjects=subjects, files=files)


def read_registry(paths: Iterable[str | os.PathLike] | str | os.PathLike, *, jobs: int = 1,
                  scheduler: str | None = None, ledger: str | os.PathLike | None = None) -> Registry:
    """:func:`build_registry` over every NWB file of ``paths`` (files or folders), one read task per file
    (:func:`nwbtms.spines.read.read_sessions`: ``jobs`` local workers or a dask ``scheduler``; ``ledger`` a
    folder to resume from)."""
    return build_registry(read_sessions(find_nwb_files(paths), jobs=jobs, scheduler=scheduler, ledger=ledger))


__all__ = ["NO_SUBJECT", "Registry", "SubjectRegistry", "build_registry", "read_registry"]
