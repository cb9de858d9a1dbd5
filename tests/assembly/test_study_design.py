"""The study design as data, end to end: metadata sections -> convert -> /general/study_design, a folder of
subjects queried by reading the files alone, and the validator's design warnings (per file and across files)."""

from __future__ import annotations

import copy

import pytest
from pynwb import NWBHDF5IO

from nwbtms import convert_session
from nwbtms.errors import MetadataError
from nwbtms.metadata.load import load_session
from nwbtms.nwb.design_read import select
from nwbtms.sources.behavior.testing import write_behavior_csv, write_ethovision
from nwbtms.validate import validate_paths
from nwbtms.validate.checks.design import check_ligand_has_effector
from nwbtms.validate.cross_file import design_hits

CELL_TYPES = {"IT": {"label": "IT", "cell_ontology_id": "CL:4023008", "projection_class": "IT",
                     "cre_line": "Tlx3-Cre"},
              "PT": {"label": "PT", "cell_ontology_id": "CL:4023009", "projection_class": "PT/ET",
                     "cre_line": "Sim1-Cre"}}
DREADD = {
    "viral_vectors": {"hm4di_aav": {"construct_name": "AAV8-hSyn-DIO-hM4D(Gi)-mCherry", "manufacturer": "Addgene",
                                    "titer_in_vg_per_ml": 2.1e13}},
    "injections": {"mos": {"viral_vector": "hm4di_aav", "volume_in_uL": 0.3, "date": "2026-01-05",
                           "anatomical_target": "secondary motor area (MOs)", "origin": "bregma", "orientation": "RAS",
                           "x_in_mm": 0.5, "y_in_mm": 1.9, "z_in_mm": -0.4}},
    "effectors": {"hm4di": {"label": "hM4D(Gi)", "ligand": "deschloroclozapine (DCZ)", "action": "inhibitory",
                            "injection": "mos"}},
}
CORT = {"cort": {"type": "chronic_corticosterone", "substance": "corticosterone", "dose": 35, "dose_unit": "ug/mL",
                 "vehicle": "1% ethanol in drinking water", "route": "oral", "start_date": "2026-01-10",
                 "end_date": "2026-01-30"}}
RESTRAINT = {"restraint": {"type": "chronic_restraint", "hours_per_day": 2, "days": 21, "start_date": "2026-01-10",
                           "end_date": "2026-01-30"}}
LIGAND = {"dcz": {"type": "chemogenetic_ligand_injection", "substance": "deschloroclozapine (DCZ)", "time_s": -1200,
                  "dose": 0.1, "dose_unit": "mg/kg", "route": "intraperitoneal"}}


def _metadata(subject: str, session: str, cell_type: str, condition: dict, **sections) -> dict:
    return {
        "format_version": 1,
        "nwbfile": {"session_description": "Study design test session.", "session_id": session,
                    "session_start_time": f"2026-02-0{1 + int(session[-1])}T09:30:00-08:00",
                    "experimenter": ["Doe, Jane"], "lab": "lab", "institution": "inst"},
        "subject": {"subject_id": subject, "species": "Mus musculus", "sex": "M", "age": "P91D"},
        "devices": {"microscope": {"type": "microscope", "description": "Two-photon microscope."}},
        "cell_types": {cell_type: CELL_TYPES[cell_type]},
        "condition": condition,
        "sources": {},
        **sections,
    }


#: subject -> (cell type, condition, extra sections): the study's groups in miniature
STUDY = {
    "M1": ("IT", {"stress": "yes", "stimulation": "aiTBS", "ligand": "DCZ"},
           {**DREADD, "interventions": CORT, "manipulations": LIGAND}),
    "M2": ("IT", {"stress": "yes", "stimulation": "aiTBS", "ligand": "vehicle"},
           {**DREADD, "interventions": RESTRAINT}),
    "M3": ("IT", {"stress": "yes", "stimulation": "sham", "ligand": "DCZ"},
           {**DREADD, "interventions": CORT, "manipulations": LIGAND}),
    "M4": ("PT", {"stress": "yes", "stimulation": "aiTBS", "ligand": "DCZ"},
           {**DREADD, "interventions": CORT, "manipulations": LIGAND}),
    "M5": ("IT", {"stress": "no", "stimulation": "aiTBS", "ligand": "DCZ"}, {**DREADD, "manipulations": LIGAND}),
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    write_behavior_csv(folder / "behaviour.csv")
    write_ethovision(folder / "Track-Arena 1-Subject 1.txt", start="02/10/2026 10:00:00.000")
    for subject, (cell_type, condition, sections) in STUDY.items():
        for session in (("day1", "day2") if subject == "M1" else ("day1",)):
            out = folder / f"sub-{subject}" / f"sub-{subject}_ses-{session}.nwb"
            out.parent.mkdir(exist_ok=True)
            metadata = _metadata(subject, session, cell_type, condition, **copy.deepcopy(sections))
            if subject == "M1":
                metadata["sources"]["behaviour"] = {"reader": "behavior_csv", "path": "behaviour.csv"}
                metadata["sources"]["open_field"] = {
                    "reader": "ethovision", "path": "Track-Arena 1-Subject 1.txt",
                    "options": {"session": "post", "test": "open_field_tracked", "utc_offset": "-08:00"}}
            convert_session(metadata, out, quiet=True, base_dir=folder, validate=False)
    return folder


def test_select_stressed_it_mice_with_aitbs_and_ligand(study):
    files = sorted(study.rglob("*.nwb"))
    chosen = select(files, cell_type="IT", stress="yes", stimulation="aiTBS", ligand="DCZ")
    assert {f.subject_id for f in chosen} == {"M1"} and len(chosen) == 2
    assert all(f.effectors == {"hm4di": "deschloroclozapine (DCZ)"} for f in chosen)
    assert {f.subject_id for f in select(files, stimulation="sham")} == {"M3"}


def test_design_in_the_file(study):
    with NWBHDF5IO(str(study / "sub-M1" / "sub-M1_ses-day1.nwb"), "r") as io:
        nwbfile = io.read()
        design = nwbfile.lab_meta_data["study_design"]
        assert design.effectors["hm4di"].viral_vector_injection.viral_vector.titer_in_vg_per_ml == 2.1e13
        cort = design.interventions.to_dataframe().iloc[0]
        assert (cort.intervention_type, cort.dose, cort.dose_unit) == ("chronic_corticosterone", 35, "ug/mL")
        # session day1 starts 2026-02-02 09:30-08:00; the last day (2026-01-30, local midnight) is before it
        assert cort.end_day_from_session == pytest.approx(-(3 + 9.5 / 24))


def test_behavior_scores_in_the_file(study):
    with NWBHDF5IO(str(study / "sub-M1" / "sub-M1_ses-day1.nwb"), "r") as io:
        behavior = io.read().intervals["behavior"].to_dataframe()
    assert list(behavior.test) == ["tail_suspension", "sucrose_preference", "open_field",  # M1's only
                                   "open_field_tracked"]  # from EthoVision
    assert list(behavior.behavior_session) == ["pre", "pre", "post", "post"]
    assert behavior.distance_moved_cm.iloc[3] == 75.0 and behavior.time_in_center_s.iloc[3] == 5.0
    assert behavior.immobility_s.iloc[0] == 142.5 and behavior.sucrose_preference_percent.iloc[1] == 61.0
    # tail suspension 2026-01-28 10:00 -08:00; session day1 2026-02-02 09:30 -08:00
    assert behavior.day_from_session.iloc[0] == pytest.approx(-(5 - 0.5 / 24))
    assert behavior.stop_time.iloc[1] - behavior.start_time.iloc[1] == 86400


def test_subject_validates_without_design_findings(study):
    report = validate_paths(sorted(str(p) for p in (study / "sub-M1").glob("*.nwb")), fast=True)
    ids = {f.check_id for f in report.findings}
    assert not ids & {"dandi.condition_consistent", "dandi.condition_factors", "data.design.ligand_has_effector",
                      "nwb.namespaces.unused"}, ids


def test_condition_differing_between_sessions_and_files(tmp_path):
    paths = []
    for session, condition in (("day1", {"stress": "yes", "ligand": "DCZ"}),
                               ("day2", {"stress": "no", "ligand": "DCZ"}),
                               ("day3", {"stress": "yes"})):
        out = tmp_path / f"{session}.nwb"
        convert_session(_metadata("M9", session, "IT", condition), out, quiet=True, base_dir=tmp_path,
                        validate=False)
        paths.append(str(out))
    hits = design_hits(paths)  # what the validator attaches to the files validated together
    differ = [(path, h) for path, h in hits if h.check.id == "dandi.condition_consistent"]
    assert len(differ) == 1 and differ[0][0] == paths[1]
    assert "stress: 'no' here, 'yes' there" in differ[0][1].message
    factors = [(path, h) for path, h in hits if h.check.id == "dandi.condition_factors"]
    assert len(factors) == 1 and factors[0][0] == paths[2] and "missing ['ligand']" in factors[0][1].message


def test_ligand_injection_without_effector_warns(tmp_path):
    out = tmp_path / "noeffector.nwb"
    convert_session(_metadata("M8", "day1", "IT", {"ligand": "DCZ"}, manipulations=LIGAND), out, quiet=True,
                    base_dir=tmp_path, validate=False)
    with NWBHDF5IO(str(out), "r") as io:
        [hit] = check_ligand_has_effector(io.read())
    assert "no effector" in hit.message


def test_metadata_problems_are_located(tmp_path):
    data = _metadata("M1", "day1", "IT", {"stress": "yes"}, **copy.deepcopy(DREADD),
                     interventions={"cort": {**CORT["cort"], "end_date": "2026-01-01"}})
    data["effectors"]["hm4di"]["injection"] = "nowhere"
    data["effectors"]["hm4di_aav"] = {"label": "clash"}
    with pytest.raises(MetadataError) as caught:
        load_session(data, base_dir=tmp_path)
    fields = {p.field for p in caught.value.problems}
    assert {"/interventions/cort/end_date", "/effectors/hm4di/injection", "/effectors/hm4di_aav"} <= fields
