"""Checks across the files validated together (a folder): one subject, one meaning per ROI key.

The runner calls :func:`cross_file_findings` once after every file was validated. Each finding is attached
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

KIND_TO_CHECK: dict[str, CheckInfo] = {
    "key_kind": ROI_KIND_CONSISTENT, "key_parent": ROI_PARENT_CONSISTENT, "key_cell_type": ROI_CELL_TYPE_CONSISTENT,
    "duplicate_key": ROI_KEY_UNIQUE, "spine_without_dendrite": SPINE_DENDRITE_PRESENT,
    "subject_metadata": SUBJECT_CONSISTENT, "session_order": SESSION_ORDER,
}


def cross_file_hits(paths: Iterable[str]) -> list[tuple[str, Hit]]:
    """``(file, hit)`` for every cross-file problem among ``paths``; unreadable files are left out."""
    from nwbtms.errors import NwbtmsError
    from nwbtms.spines.consistency import find_inconsistencies
    from nwbtms.spines.read import read_session_rois

    sessions = []
    for path in paths:
        try:
            sessions.append(read_session_rois(path))
        except (NwbtmsError, OSError, KeyError, ValueError):
            continue  # reported per file (file.readable, nwb.open)
    return [(problem.path, KIND_TO_CHECK[problem.kind].hit(problem.message, location=problem.location))
            for problem in find_inconsistencies(sessions)]


__all__ = ["KIND_TO_CHECK", "cross_file_hits"]
