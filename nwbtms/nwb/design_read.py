"""Read the study design of NWB files with h5py alone (no object construction): subject, session, condition
factors, effectors with their ligands, ligand injections and the cell types imaged; select files by them.

The layout read is the one :mod:`nwbtms.nwb.design` writes (``/general/study_design``), the manipulations
``EventsTable`` of :mod:`nwbtms.nwb.session` and ndx-tms's ``CellTypesTable`` wherever it is kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import h5py

from nwbtms.io.h5read import find_typed, text

DESIGN_PATH = "general/study_design"
LIGAND_INJECTION = "chemogenetic_ligand_injection"


@dataclass(frozen=True)
class DesignFacts:
    """What one file says about its subject's design."""

    path: str
    subject_id: str
    session_id: str
    #: factor -> level, from ``experimental_condition``
    condition: dict[str, str] = field(default_factory=dict)
    #: effector name -> ligand ('' for an effector without one)
    effectors: dict[str, str] = field(default_factory=dict)
    #: substances of the ``chemogenetic_ligand_injection`` manipulations
    ligand_injections: tuple[str, ...] = ()
    #: projection classes (IT, PT/ET, ...) and labels of the file's CellTypesTable
    cell_types: frozenset[str] = frozenset()


def _column(group: h5py.Group, name: str) -> list[str]:
    return [text(v) for v in group[name][()]] if name in group else []


def read_condition(h5: h5py.File) -> dict[str, str]:
    """Factor -> level of an open file's ``experimental_condition`` (empty when it has none)."""
    table = h5.get(f"{DESIGN_PATH}/experimental_condition")
    if not isinstance(table, h5py.Group):
        return {}
    return dict(zip(_column(table, "factor"), _column(table, "level"), strict=True))


def read_design(path: str | os.PathLike) -> DesignFacts:
    """The :class:`DesignFacts` of one NWB file (empty condition and effectors when it has no design)."""
    with h5py.File(path, "r") as h5:
        subject_id = text(h5["general/subject/subject_id"][()]) if "general/subject/subject_id" in h5 else ""
        session_id = text(h5["general/session_id"][()]) if "general/session_id" in h5 else ""
        condition = read_condition(h5)
        effectors: dict[str, str] = {}
        if DESIGN_PATH in h5:
            design = h5[DESIGN_PATH]
            for name, child in design.items():
                if text(child.attrs.get("neurodata_type", "")) in ("Effector", "ChemogeneticEffector"):
                    effectors[name] = text(child.attrs.get("ligand", ""))
        ligands: list[str] = []
        for table in find_typed(h5, "EventsTable"):
            if table.name.rsplit("/", 1)[-1] == "manipulations" and "manipulation_type" in table:
                kinds = _column(table, "manipulation_type")
                ligands += [s for s, k in zip(_column(table, "substance"), kinds, strict=True)
                            if k == LIGAND_INJECTION]
        cell_types: set[str] = set()
        for table in find_typed(h5, "CellTypesTable"):
            cell_types.update(_column(table, "projection_class"))
            cell_types.update(_column(table, "label"))
    return DesignFacts(path=str(path), subject_id=subject_id, session_id=session_id, condition=condition,
                       effectors=effectors, ligand_injections=tuple(ligands), cell_types=frozenset(cell_types))


def select(paths: Iterable[str | os.PathLike], *, cell_type: str | None = None, **levels: str) -> list[DesignFacts]:
    """Files whose condition has every ``factor=level`` given (and ``cell_type`` among its cell types).

    >>> select(sorted(Path("dandiset").rglob("*.nwb")), cell_type="IT", stress="yes", stimulation="aiTBS",
    ...        ligand="DCZ")  # doctest: +SKIP
    """
    chosen = []
    for path in paths:
        facts = read_design(path)
        if all(facts.condition.get(factor) == str(level) for factor, level in levels.items()) \
                and (cell_type is None or cell_type in facts.cell_types):
            chosen.append(facts)
    return chosen


__all__ = ["DesignFacts", "read_condition", "read_design", "select"]
