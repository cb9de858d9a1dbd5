"""Write small multi-day NWB studies with planted spines, for tests, the benchmark and the example.

Each session file is a real NWB file written by pynwb through the annotation builder
(:func:`nwbtms.nwb.segmentation.add_annotation_segmentation`), with the ndx-tms CellTypesTable (IT and PT)
in ``/general/tms`` and no stimulation (an imaging-only day). With ``study_specs(with_design=True)`` each file
also carries its subject's condition factors (:data:`CONDITIONS`, ``/general/study_design`` by
:func:`nwbtms.nwb.design.build_study_design`) and scored behaviour (:data:`BEHAVIOR`, ``intervals/behavior`` by
:func:`nwbtms.nwb.behavior.build_behavior_intervals`), as a converted study has them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.sources.annotations.model import Annotation, AnnotationSet

DEFAULT_SUBJECT = {"species": "Mus musculus", "sex": "M", "genotype": "Tlx3-Cre_PL56;Ai148",
                   "date_of_birth": _dt.datetime(2025, 12, 1, tzinfo=_dt.UTC)}


@dataclass
class DendriteDay:
    """One dendrite on one day: its key, cell type, traced length and the spine keys present."""

    key: str
    cell_type: str
    length_in_um: float
    spines: Iterable[str]
    soma: str | None = None


@dataclass
class SessionSpec:
    """One session file to write."""

    subject_id: str
    session_id: str
    start: _dt.datetime
    dendrites: list[DendriteDay]
    identifier: str | None = None
    subject: Mapping[str, Any] = field(default_factory=dict)
    #: spines written with this parent key although the dendrite is not in the file
    orphan_spines: Mapping[str, str] = field(default_factory=dict)
    #: key -> kind override (to plant a kind conflict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    #: the subject's condition factors (factor -> level), written as the study design
    condition: Mapping[str, str] = field(default_factory=dict)
    #: scored behaviour tests of the subject: (behaviour session, test, day from T0, {measure: value})
    behavior: list[tuple[str, str, float, dict[str, float]]] = field(default_factory=list)


def annotation_set(spec: SessionSpec) -> AnnotationSet:
    """The annotations of ``spec``, each with its cell type label."""
    items: list[Annotation] = []
    somata: set[str] = set()
    for d_index, dendrite in enumerate(spec.dendrites):
        if dendrite.soma and dendrite.soma not in somata:
            somata.add(dendrite.soma)
            items.append(Annotation(dendrite.soma, spec.kinds.get(dendrite.soma, "soma"), None,
                                    5.0, 5.0 + 10 * d_index, 2.0, shape="csv", cell_type=dendrite.cell_type))
        y = 10.0 + 20 * d_index
        items.append(Annotation(dendrite.key, spec.kinds.get(dendrite.key, "dendrite"), dendrite.soma, 10.0, y, 3.0,
                                length_in_um=dendrite.length_in_um, shape="polyline",
                                vertices_um=np.array([[10.0, y, 3.0], [10.0 + dendrite.length_in_um, y, 3.0]]),
                                cell_type=dendrite.cell_type))
        for s_index, spine in enumerate(sorted(dendrite.spines)):
            items.append(Annotation(spine, spec.kinds.get(spine, "spine"), dendrite.key,
                                    11.0 + s_index % 40, y + 1.0, 3.0, shape="point",
                                    cell_type=dendrite.cell_type))
    for spine, parent in spec.orphan_spines.items():
        cell_type = spec.dendrites[0].cell_type if spec.dendrites else "IT"
        items.append(Annotation(spine, "spine", parent, 2.0, 2.0, 1.0, shape="point", cell_type=cell_type))
    return AnnotationSet(path=Path(f"{spec.session_id}.csv"), reader="annotation_csv", annotations=items)


def write_session(path: str | Path, spec: SessionSpec) -> Path:
    """Write one session's NWB file (annotations on a small imaging plane, cell types in ndx-tms)."""
    from ndx_tms import TMSExperimentMetadata, TMSProtocolsTable
    from ndx_tms import __version__ as ndx_tms_version
    from ndx_tms.testing import mock_CellTypesTable
    from pynwb import NWBFile
    from pynwb.file import Subject
    from pynwb.ophys import OpticalChannel

    from nwbtms.io.nwb_write import write_nwbfile
    from nwbtms.nwb.segmentation import add_annotation_segmentation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subject = {**DEFAULT_SUBJECT, **spec.subject}
    nwbfile = NWBFile(
        session_description=f"Structural imaging of dendritic spines, {spec.session_id}.",
        identifier=spec.identifier or f"{spec.subject_id}-{spec.session_id}",
        session_start_time=spec.start, session_id=spec.session_id, lab="nwbtms tests",
        institution="nwbtms", experimenter=["Tester, A."],
        subject=Subject(subject_id=spec.subject_id, age="P84D", description="synthetic", **subject),
    )
    cell_types = mock_CellTypesTable()
    protocols = TMSProtocolsTable(description="No stimulation on this imaging-only day.")
    nwbfile.add_lab_meta_data(TMSExperimentMetadata(cell_types=cell_types, protocols=protocols,
                                                    ndx_tms_version=ndx_tms_version, tms_coordinate_spaces=[]))
    device = nwbfile.create_device(name="Microscope", description="Two-photon microscope.")
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=OpticalChannel(name="green", description="GCaMP",
                                                            emission_lambda=510.0),
        description="Apical tuft dendrites, layer 1.", device=device, excitation_lambda=920.0,
        indicator="GCaMP6f", location="MOs", grid_spacing=[0.5e-6, 0.5e-6, 1e-6], grid_spacing_unit="meters")
    annotations = annotation_set(spec)
    if annotations.annotations:  # a day without structural imaging has no annotations
        add_annotation_segmentation(nwbfile, annotations, imaging_plane=plane, voxel_size_um=(0.5, 0.5, 1.0),
                                    cell_types=cell_types, name="PlaneSegmentation_stack")
    if spec.condition:
        from nwbtms.nwb.design import build_study_design
        from nwbtms.nwb.entries import StudyDesignEntry

        design = StudyDesignEntry(condition=tuple(spec.condition.items()))
        nwbfile.add_lab_meta_data(build_study_design(design, session_start_time=spec.start))
    if spec.behavior:
        from nwbtms.nwb.behavior import ScoredTest, build_behavior_intervals

        tests = [ScoredTest(test, session, T0 + _dt.timedelta(days=day), 360.0, dict(values))
                 for session, test, day, values in spec.behavior]
        measures = {name: ("percent" if name.endswith("_percent") else "s") for t in tests for name in t.values}
        nwbfile.add_time_intervals(build_behavior_intervals(tests, measures, session_start_time=spec.start,
                                                            source="nwbtms.spines.testing"))
    return write_nwbfile(nwbfile, path, overwrite=True)  # the project's writer: only the namespaces used


#: Start of the synthetic study (day 0).
T0 = _dt.datetime(2026, 1, 5, 9, 0, tzinfo=_dt.UTC)
DAYS = {"day0": 0, "day2": 2, "day4": 4, "day11": 11}


def _spines(prefix: str, numbers) -> set[str]:
    return {f"{prefix}{n:02d}" for n in numbers}


#: subject -> dendrite -> (cell type, soma, length, spines per day). Gains and losses planted by hand.
PLANTED = {
    "M1": {"n1:d1": ("IT", "n1", 50.0, {
        "day0": _spines("a", range(1, 11)),
        "day2": _spines("a", range(3, 14)),                                  # lose a01 a02, gain a11-a13
        "day4": _spines("a", range(4, 15)),                                  # lose a03, gain a14
        "day11": _spines("a", [*range(4, 11), 12, 13, 14])})},               # lose a11
    "M2": {"n2:d1": ("PT", "n2", 40.0, {
        "day0": _spines("b", range(1, 9)),
        "day2": _spines("b", range(2, 10)),                                  # lose b01, gain b09
        "day4": _spines("b", range(4, 10)),                                  # lose b02 b03
        "day11": _spines("b", [*range(5, 10), 10, 11])})},                   # lose b04, gain b10 b11
    "M3": {
        "n3:d1": ("IT", "n3", 30.0, {
            "day0": _spines("c", range(1, 6)), "day2": _spines("c", range(1, 7)),
            "day4": _spines("c", range(2, 7)), "day11": _spines("c", range(2, 7))}),
        "n3:d2": ("IT", "n3", 25.0, {
            "day0": _spines("e", range(1, 5)), "day2": _spines("e", [1, 2]),
            "day4": _spines("e", [1, 2, 5]), "day11": _spines("e", [1, 2, 5])}),
        "n4:d1": ("PT", "n4", 20.0, {
            "day0": _spines("f", range(1, 7)), "day2": _spines("f", range(1, 7)),
            "day4": _spines("f", range(1, 7)), "day11": _spines("f", [1, 2, 3])}),
    },
}


#: subject -> condition factors of :func:`study_specs` ``(with_design=True)``.
CONDITIONS = {
    "M1": {"stress": "yes", "stimulation": "aiTBS"},
    "M2": {"stress": "yes", "stimulation": "sham"},
    "M3": {"stress": "yes", "stimulation": "aiTBS"},
}
#: subject -> (behaviour session, test, day from T0, scores) of :func:`study_specs` ``(with_design=True)``.
BEHAVIOR = {
    "M1": [("pre", "tail_suspension", -3, {"immobility_s": 150.0}),
           ("post", "tail_suspension", 1, {"immobility_s": 90.0}),
           ("pre", "sucrose_preference", -2, {"sucrose_preference_percent": 60.0}),
           ("post", "sucrose_preference", 2, {"sucrose_preference_percent": 80.0})],
    "M2": [("pre", "tail_suspension", -3, {"immobility_s": 140.0}),
           ("post", "tail_suspension", 1, {"immobility_s": 145.0}),
           ("pre", "sucrose_preference", -2, {"sucrose_preference_percent": 62.0}),
           ("post", "sucrose_preference", 2, {"sucrose_preference_percent": 61.0})],
    "M3": [("pre", "tail_suspension", -3, {"immobility_s": 160.0}),
           ("post", "tail_suspension", 1, {"immobility_s": 110.0}),
           ("pre", "sucrose_preference", -2, {"sucrose_preference_percent": 58.0}),
           ("post", "sucrose_preference", 2, {"sucrose_preference_percent": 76.0})],
}


def study_specs(*, with_design: bool = False) -> list[SessionSpec]:
    """Every session of :data:`PLANTED` (subjects M1 IT, M2 PT, M3 both); with ``with_design`` each file also
    has its subject's :data:`CONDITIONS` and :data:`BEHAVIOR`."""
    specs = []
    for subject, dendrites in PLANTED.items():
        for day, offset in DAYS.items():
            specs.append(SessionSpec(
                subject_id=subject, session_id=day, start=T0 + _dt.timedelta(days=offset, minutes=7 * offset),
                dendrites=[DendriteDay(key, cell_type, length, spines[day], soma=soma)
                           for key, (cell_type, soma, length, spines) in dendrites.items()],
                condition=CONDITIONS[subject] if with_design else {},
                behavior=BEHAVIOR[subject] if with_design else []))
    return specs



def dandi_path(root: str | Path, subject_id: str, session_id: str) -> Path:
    """``root/sub-<id>/sub-<id>_ses-<id>.nwb``."""
    return Path(root) / f"sub-{subject_id}" / f"sub-{subject_id}_ses-{session_id}.nwb"


def write_study(root: str | Path, specs: Iterable[SessionSpec]) -> list[Path]:
    """Write every session in DANDI layout under ``root``; returns the paths."""
    return [write_session(dandi_path(root, s.subject_id, s.session_id), s) for s in specs]


__all__ = ["BEHAVIOR", "CONDITIONS",
           "DAYS", "DEFAULT_SUBJECT", "PLANTED", "T0", "DendriteDay", "SessionSpec", "annotation_set", "dandi_path",
           "study_specs", "write_session", "write_study"]
