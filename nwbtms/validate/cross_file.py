"""Checks across the files validated together (a folder): one subject, one meaning per ROI key.

The runner calls :func:`cross_file_hits` once after every file was validated, with the :func:`file_facts` each
worker read beside validating its file. Each finding is attached
to one file and its message names the other (:mod:`nwbtms.spines.consistency` finds the problems by reading
only the identity columns and session facts with h5py). Two files with one identifier are
``dandi.identifier_unique`` (the runner's).
"""

from __future__ import annotations

from collections.abc import Iterable

from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import CheckInfo, Hit, define

E, V = Severity.ERROR, Severity.BEST_PRACTICE_VIOLATION

ROI_KIND_CONSISTENT = define(
    "data.rois.kind_consistent", E, 7, "One ROI key has one kind (soma, dendrite, spine) in all files of a subject.",
    "Rename one of the ROIs: a key names the same structure on every day.")
ROI_PARENT_CONSISTENT = define(
    "data.rois.parent_consistent", E, 7, "One ROI key has one parent in all files of a subject.",
    "Attach the spine to the same dendrite key on every day (or give the new structure a new key).")
ROI_CELL_TYPE_CONSISTENT = define(
    "data.rois.cell_type_consistent", E, 7, "One ROI key has one cell type in all files of a subject.",
    "Label the ROI with the same cell type (CellTypesTable label) in every session.")
ROI_KEY_UNIQUE = define(
    "data.rois.key_unique", E, 7, "A ROI key is listed once per file.",
    "Give each annotated structure its own key.")
SPINE_DENDRITE_PRESENT = define(
    "data.rois.spine_dendrite_present", V, 7, "A spine's dendrite is annotated in the same session.",
    "Annotate (trace) the dendrite in this session too, or drop the spine: turnover counts spines per dendrite.")
SUBJECT_CONSISTENT = define(
    "dandi.subject_consistent", V, 5,
    "species, sex, genotype and date of birth agree between a subject's sessions.",
    "Correct the subject metadata of the odd file (one subject, one set of facts).")
SESSION_ORDER = define(
    "dandi.session_order", V, 5, "Session start times are in the order of the session IDs of a subject.",
    "Correct session_start_time or the session_id (IDs compared in natural order: day2 before day11).")

CONDITION_CONSISTENT = define(
    "dandi.condition_consistent", V, 5,
    "A subject's experimental condition (each factor's level) is the same in all its sessions.",
    "Correct the 'condition' of the odd session's metadata: one subject, one condition.")
CONDITION_FACTORS = define(
    "dandi.condition_factors", V, 5,
    "Every file of a dataset names the same condition factors (experimental_condition).",
    "Use the same factor names (e.g. stress, stimulation, ligand) in the 'condition' of every session.")

KIND_TO_CHECK: dict[str, CheckInfo] = {
    "key_kind": ROI_KIND_CONSISTENT, "key_parent": ROI_PARENT_CONSISTENT, "key_cell_type": ROI_CELL_TYPE_CONSISTENT,
    "duplicate_key": ROI_KEY_UNIQUE, "spine_without_dendrite": SPINE_DENDRITE_PRESENT,
    "subject_metadata": SUBJECT_CONSISTENT, "session_order": SESSION_ORDER,
}


def file_facts(path: str) -> dict:
    """What the cross-file checks compare of one file, JSON-ready and small: its session facts and keyed ROIs
    (``rois``) and its design facts (``design``), each None when unreadable (reported per file). Read by the
    worker that validated the file, so a folder's files are read in parallel, not one after the other at the end.
    """
    from nwbtms.errors import NwbtmsError
    from nwbtms.nwb.design_read import read_design
    from nwbtms.spines.read import read_session_rois

    facts: dict = {"rois": None, "design": None}
    try:
        facts["rois"] = read_session_rois(path).as_dict()
    except (NwbtmsError, OSError, KeyError, ValueError):
        pass  # reported per file (file.readable, nwb.open)
    try:
        design = read_design(path)
        facts["design"] = {"path": design.path, "subject_id": design.subject_id,
                           "condition": dict(design.condition)}
    except (OSError, KeyError, ValueError):
        pass
    return facts


def cross_file_hits(paths: Iterable[str], facts: dict[str, dict | None] | None = None) -> list[tuple[str, Hit]]:
    """``(file, hit)`` for every cross-file problem among ``paths``; unreadable files are left out.

    ``facts``: :func:`file_facts` of the files already read (by the workers that validated them); the others
    are read here.
    """
    from nwbtms.spines.consistency import find_inconsistencies
    from nwbtms.spines.read import SessionRois

    facts = dict(facts or {})
    read = [facts.get(path) or file_facts(path) for path in paths]
    sessions = [SessionRois.from_dict(f["rois"]) for f in read if f["rois"] is not None]
    hits = [(problem.path, KIND_TO_CHECK[problem.kind].hit(problem.message, location=problem.location))
            for problem in find_inconsistencies(sessions)]
    return hits + _design_hits([f["design"] for f in read if f["design"] is not None])


def design_hits(paths: Iterable[str]) -> list[tuple[str, Hit]]:
    """Condition factors: one level per factor across a subject's files, one set of factor names per dataset."""
    return _design_hits([f["design"] for f in map(file_facts, paths) if f["design"] is not None])


def _design_hits(facts: list[dict]) -> list[tuple[str, Hit]]:
    """:func:`design_hits` of the files' design facts (``path``, ``subject_id``, ``condition``)."""
    from collections import Counter

    if not any(f["condition"] for f in facts):
        return []
    hits: list[tuple[str, Hit]] = []
    location = "/general/study_design/experimental_condition"
    usual, _ = Counter(tuple(sorted(f["condition"])) for f in facts).most_common(1)[0]
    for f in facts:
        names = tuple(sorted(f["condition"]))
        if names != usual:
            hits.append((f["path"], CONDITION_FACTORS.hit(
                f"condition factors {list(names)} differ from the dataset's {list(usual)} "
                f"(missing {sorted(set(usual) - set(names))}, extra {sorted(set(names) - set(usual))})",
                location=location)))
    first_of: dict[str, dict] = {}
    for f in facts:
        first = first_of.setdefault(f["subject_id"], f)
        if first is f:
            continue
        mine, theirs = f["condition"], first["condition"]
        differing = sorted(k for k in set(theirs) & set(mine) if theirs[k] != mine[k])
        if differing:
            text = ", ".join(f"{k}: {mine[k]!r} here, {theirs[k]!r} there" for k in differing)
            hits.append((f["path"], CONDITION_CONSISTENT.hit(
                f"subject {f['subject_id']}: condition differs from {first['path']} ({text})", location=location)))
    return hits


__all__ = ["KIND_TO_CHECK", "cross_file_hits", "design_hits", "file_facts"]
