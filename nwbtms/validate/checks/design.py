"""Step 7, study design: a chemogenetic ligand injection needs the effector (receptor) it acts on.

The cross-file design checks (a condition factor differing between a subject's sessions, factor names differing
between files) are in :mod:`nwbtms.validate.cross_file`.
"""

from __future__ import annotations

from collections.abc import Iterator

from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

LIGAND_EFFECTOR = define(
    "data.design.ligand_has_effector", Severity.BEST_PRACTICE_SUGGESTION, 7,
    "A chemogenetic ligand injection has the effector (receptor) it acts on in the study design.",
    "Add the receptor to the metadata's 'effectors' (label, ligand, injection), so /general/study_design says "
    "which neurons the ligand acts on.")

LIGAND_INJECTION = "chemogenetic_ligand_injection"


def _ligand_rows(nwbfile) -> list[tuple[int, str]]:
    events = getattr(nwbfile, "events", None) or {}
    table = events.get("manipulations") if hasattr(events, "get") else None
    if table is None or "manipulation_type" not in table.colnames:
        return []
    kinds = list(table["manipulation_type"].data[:])
    substances = list(table["substance"].data[:]) if "substance" in table.colnames else [""] * len(kinds)
    return [(i, str(s)) for i, (k, s) in enumerate(zip(kinds, substances, strict=True)) if k == LIGAND_INJECTION]


def _effectors(nwbfile) -> list:
    design = nwbfile.lab_meta_data.get("study_design") if nwbfile.lab_meta_data else None
    return list(getattr(design, "effectors", {}).values()) if design is not None else []


@register_check(LIGAND_EFFECTOR, neurodata_type="NWBFile")
def check_ligand_has_effector(nwbfile) -> Iterator[Hit]:
    """Every ``chemogenetic_ligand_injection`` manipulation, when the file's study design has no effector."""
    rows = _ligand_rows(nwbfile)
    if rows and not _effectors(nwbfile):
        first, substance = rows[0]
        yield LIGAND_EFFECTOR.hit(
            f"{len(rows)} chemogenetic ligand injection(s) ({substance} first, row {first}) but no effector in "
            "/general/study_design", location="/events/manipulations", index=first, count=len(rows))
