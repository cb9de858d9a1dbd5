"""Spine turnover between consecutive sessions, per dendrite and pooled per cell type.

For each subject and each pair of consecutive sessions (ordered by start time; sessions without an
annotated dendrite are left out), over every dendrite present in both sessions:

- ``n_start``, ``n_end``: spines on the dendrite in the earlier and the later session;
- ``gained``: keys present later and absent earlier; ``lost``: present earlier and absent later;
- ``formation_rate`` = gained / n_start; ``elimination_rate`` = lost / n_start;
- ``turnover_ratio`` = (gained + lost) / (n_start + n_end) (Holtmaat et al. 2009, Nat Protoc 4:1128,
  "turnover ratio" TOR);
- ``survival_fraction``: of the spines on the dendrite in the subject's first session, the fraction
  present in every session up to the later one (NaN when the dendrite was not imaged in the first
  session);
- ``density_end_per_um`` = n_end / the dendrite's traced length in the later session;
- ``interval_days``: start-time difference of the two sessions in days.

Pooled rows (``dendrite_key`` None) sum the counts (and the first-session spines and survivors, and the
lengths) over the subject's dendrites of one cell type and recompute the ratios. A spine belongs to the
dendrite its own record names as parent in that session. A ratio with a zero denominator is NaN (null in
JSON).

The group summary has one row per cell type x condition x session pair: the condition is the subject's
factor levels read from its files (:attr:`SubjectRegistry.condition`, e.g. ``stimulation=aiTBS,
stress=yes``; empty for files without a study design, which then group by cell type alone) and the
session pair names the day interval (``from_session`` -> ``to_session``, session IDs as the files give
them; ``interval_days`` is the members' mean). Each row sums the members' counts (``n_start``, ``n_end``,
``gained``, ``lost``) and gives the mean and SEM (standard deviation with ddof=1 over sqrt n; NaN for one
subject) of the per-subject pooled rates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nwbtms.spines.registry import Registry, SubjectRegistry

RATE_FIELDS = ("formation_rate", "elimination_rate", "turnover_ratio", "survival_fraction", "density_end_per_um")
ROW_FIELDS = ("subject_id", "cell_type", "dendrite_key", "from_session", "to_session", "n_start", "n_end",
              "gained", "lost", *RATE_FIELDS, "interval_days")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else math.nan


@dataclass
class _Counts:
    n_start: int = 0
    n_end: int = 0
    gained: int = 0
    lost: int = 0
    first: int = 0
    survivors: int = 0
    length_um: float = 0.0
    dendrites: int = 0

    def add(self, other: _Counts) -> None:
        for name in ("n_start", "n_end", "gained", "lost", "first", "survivors", "length_um", "dendrites"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class TurnoverRow:
    """One row: a dendrite (``dendrite_key``) or a subject's pooled cell type (``dendrite_key`` None)."""

    subject_id: str
    cell_type: str | None
    dendrite_key: str | None
    from_session: str
    to_session: str
    n_start: int
    n_end: int
    gained: int
    lost: int
    formation_rate: float
    elimination_rate: float
    turnover_ratio: float
    survival_fraction: float
    density_end_per_um: float
    interval_days: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


#: Summed counts of a group summary row.
COUNT_FIELDS = ("n_start", "n_end", "gained", "lost")


def condition_label(condition: dict[str, str]) -> str:
    """``factor=level`` pairs sorted by factor and joined by ``, `` (empty for no condition)."""
    return ", ".join(f"{factor}={condition[factor]}" for factor in sorted(condition))


@dataclass(frozen=True)
class SummaryRow:
    """One cell type x condition x session pair: summed counts, mean and SEM across subjects of the pooled
    rates."""

    cell_type: str | None
    from_session: str
    to_session: str
    n_subjects: int
    mean: dict[str, float]
    sem: dict[str, float]
    condition: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    interval_days: float | None = None
    subjects: tuple[str, ...] = ()

    @property
    def condition_label(self) -> str:
        """See :func:`condition_label`."""
        return condition_label(self.condition)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""
        def clean(values: dict[str, float]) -> dict[str, float | None]:
            return {k: (None if math.isnan(v) else v) for k, v in values.items()}

        return {"cell_type": self.cell_type, "condition": dict(self.condition), "from_session": self.from_session,
                "to_session": self.to_session, "interval_days": self.interval_days, "n_subjects": self.n_subjects,
                "subjects": list(self.subjects), **{name: self.counts.get(name, 0) for name in COUNT_FIELDS},
                "mean": clean(self.mean), "sem": clean(self.sem)}


@dataclass
class TurnoverResult:
    """Rows (per dendrite and pooled) and the group summary."""

    rows: list[TurnoverRow] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    #: subject -> its condition (factor -> level)
    conditions: dict[str, dict[str, str]] = field(default_factory=dict)

    def pooled(self) -> list[TurnoverRow]:
        """Only the pooled rows."""
        return [r for r in self.rows if r.dendrite_key is None]

    def as_dict(self) -> dict[str, Any]:
        """``{"conditions": {subject: {factor: level}}, "rows": [...], "summary": [...]}``."""
        return {"conditions": {k: dict(v) for k, v in self.conditions.items()},
                "rows": [r.as_dict() for r in self.rows], "summary": [s.as_dict() for s in self.summary]}


def _spines_by_dendrite(registry: SubjectRegistry, index: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for record in registry.sessions[index].rois:
        if record.kind == "spine" and record.parent_key:
            out.setdefault(record.parent_key, set()).add(record.key)
    return out


def _interval_days(registry: SubjectRegistry, a: int, b: int) -> float | None:
    start, end = registry.sessions[a].start_time, registry.sessions[b].start_time
    if start is None or end is None:
        return None
    try:
        return (end - start).total_seconds() / 86400.0
    except TypeError:  # one naive, one aware
        return None


def _row(subject: str, cell_type, dendrite, a_label, b_label, counts: _Counts, interval) -> TurnoverRow:
    return TurnoverRow(
        subject_id=subject, cell_type=cell_type, dendrite_key=dendrite, from_session=a_label,
        to_session=b_label, n_start=counts.n_start, n_end=counts.n_end, gained=counts.gained,
        lost=counts.lost, formation_rate=_ratio(counts.gained, counts.n_start),
        elimination_rate=_ratio(counts.lost, counts.n_start),
        turnover_ratio=_ratio(counts.gained + counts.lost, counts.n_start + counts.n_end),
        survival_fraction=_ratio(counts.survivors, counts.first),
        density_end_per_um=_ratio(counts.n_end, counts.length_um) if math.isfinite(counts.length_um) else math.nan,
        interval_days=interval,
    )


def subject_turnover(registry: SubjectRegistry) -> list[TurnoverRow]:
    """Per-dendrite and pooled rows of one subject (see the module docstring).

    Only sessions with at least one annotated dendrite take part (a stimulation day without structural
    imaging neither breaks nor starts the sequence).
    """
    scored = [i for i, s in enumerate(registry.sessions) if any(r.kind == "dendrite" for r in s.rois)]
    sessions = [registry.sessions[i] for i in scored]
    per_session = [_spines_by_dendrite(registry, i) for i in scored]
    dendrites = [{r.key: r for r in s.rois if r.kind == "dendrite"} for s in sessions]
    first_spines = per_session[0] if sessions else {}
    rows: list[TurnoverRow] = []
    for a in range(len(sessions) - 1):
        b = a + 1
        a_label, b_label = sessions[a].label, sessions[b].label
        interval = _interval_days(registry, scored[a], scored[b])
        pooled: dict[str | None, _Counts] = {}
        for key in sorted(set(dendrites[a]) & set(dendrites[b])):
            start, end = per_session[a].get(key, set()), per_session[b].get(key, set())
            first = first_spines.get(key, set()) if key in dendrites[0] else set()
            survivors = {s for s in first if all(s in per_session[i].get(key, set()) for i in range(b + 1))}
            record = dendrites[b][key]
            length = record.length_in_um if record.length_in_um > 0 else math.nan
            counts = _Counts(n_start=len(start), n_end=len(end), gained=len(end - start), lost=len(start - end),
                             first=len(first), survivors=len(survivors), length_um=length, dendrites=1)
            cell_type = record.cell_type or dendrites[a][key].cell_type
            rows.append(_row(registry.subject_id, cell_type, key, a_label, b_label, counts, interval))
            pooled.setdefault(cell_type, _Counts()).add(counts)
        for cell_type in sorted(pooled, key=lambda t: (t is None, t or "")):
            rows.append(_row(registry.subject_id, cell_type, None, a_label, b_label, pooled[cell_type], interval))
    return rows


def _mean_sem(values: list[float]) -> tuple[float, float]:
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if finite.size == 0:
        return math.nan, math.nan
    mean = float(finite.mean())
    sem = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else math.nan
    return mean, sem


def group_summary(rows: list[TurnoverRow], conditions: dict[str, dict[str, str]] | None = None) -> list[SummaryRow]:
    """One :class:`SummaryRow` per (cell type, condition, from_session, to_session) of the pooled rows.

    ``conditions`` maps a subject to its factor levels (none given: every subject in one condition). Rows are
    sorted by cell type and condition label; each group's session pairs keep the order they first appear in
    (subjects by ID, pairs by start time).
    """
    conditions = conditions or {}
    groups: dict[tuple, list[TurnoverRow]] = {}
    for row in rows:
        if row.dendrite_key is None:
            label = condition_label(conditions.get(row.subject_id, {}))
            groups.setdefault((row.cell_type, label, row.from_session, row.to_session), []).append(row)
    first_seen = {key: i for i, key in enumerate(groups)}
    out = []
    for key in sorted(groups, key=lambda g: (g[0] is None, g[0] or "", g[1], first_seen[g])):
        members = groups[key]
        cell_type, _, a, b = key
        mean, sem = {}, {}
        for name in RATE_FIELDS:
            mean[name], sem[name] = _mean_sem([getattr(r, name) for r in members])
        intervals = [r.interval_days for r in members if r.interval_days is not None]
        subjects = tuple(sorted({r.subject_id for r in members}))
        out.append(SummaryRow(
            cell_type, a, b, len(subjects), mean, sem, condition=dict(conditions.get(members[0].subject_id, {})),
            counts={name: int(sum(getattr(r, name) for r in members)) for name in COUNT_FIELDS},
            interval_days=float(np.mean(intervals)) if intervals else None, subjects=subjects))
    return out


def compute_turnover(registry: Registry) -> TurnoverResult:
    """Rows of every subject (subjects sorted by ID) and the group summary per cell type x condition."""
    rows = [row for subject in registry.subjects.values() for row in subject_turnover(subject)]
    conditions = {subject_id: subject.condition for subject_id, subject in registry.subjects.items()}
    return TurnoverResult(rows=rows, summary=group_summary(rows, conditions), conditions=conditions)


__all__ = ["COUNT_FIELDS", "RATE_FIELDS", "ROW_FIELDS", "SummaryRow", "TurnoverResult", "TurnoverRow",
           "compute_turnover", "condition_label", "group_summary", "subject_turnover"]
