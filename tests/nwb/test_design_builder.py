"""The study design builder: ndx-ophys-devices vectors, injections and effectors, interventions with days
relative to the session, and the condition factors, written with pynwb and read back (and with h5py alone)."""

from __future__ import annotations

import datetime as dt

import pytest
from pynwb import NWBHDF5IO, NWBFile

from nwbtms.assembly.entries import study_design_entry
from nwbtms.nwb.design import build_study_design, days_from
from nwbtms.nwb.design_read import read_design

START = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)

SECTIONS = {
    "viral_vectors": {"hm4di_aav": {"construct_name": "AAV8-hSyn-DIO-hM4D(Gi)-mCherry", "manufacturer": "Addgene",
                                "titer_in_vg_per_ml": 2.1e13}},
    "injections": {"mos_left": {"viral_vector": "hm4di_aav", "volume_in_uL": 0.3, "date": "2026-01-05",
                                "anatomical_target": "secondary motor area (MOs)", "origin": "bregma",
                                "orientation": "RAS", "x_in_mm": -0.5, "y_in_mm": 1.9, "z_in_mm": -0.4}},
    "effectors": {"hm4di": {"label": "hM4D(Gi)", "ligand": "deschloroclozapine (DCZ)", "action": "inhibitory",
                            "injection": "mos_left"}},
    "interventions": {
        "cort": {"type": "chronic_corticosterone", "substance": "corticosterone", "dose": 35, "dose_unit": "ug/mL",
                 "vehicle": "1% ethanol in drinking water", "route": "oral", "start_date": "2026-01-10",
                 "end_date": "2026-01-30"},
        "restraint": {"type": "chronic_restraint", "hours_per_day": 2, "days": 14, "start_date": "2026-01-15",
                      "end_date": "2026-01-28"}},
    "condition": {"stress": "yes", "stimulation": "aiTBS", "ligand": "DCZ"},
}


def _write(path, sections=SECTIONS):
    nwbfile = NWBFile(session_description="design", identifier="design-1", session_start_time=START,
                      session_id="day1")
    from pynwb.file import Subject

    nwbfile.subject = Subject(subject_id="M001", species="Mus musculus", sex="F", age="P90D")
    nwbfile.add_lab_meta_data(build_study_design(study_design_entry(sections), session_start_time=START))
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)


def test_days_from_session():
    assert days_from("2026-01-30", START) == pytest.approx(-2 - 9 / 24)
    assert days_from("2026-02-03T09:00:00+00:00", START) == pytest.approx(2.0)


def test_round_trip(tmp_path):
    path = tmp_path / "design.nwb"
    _write(path)
    with NWBHDF5IO(path, "r") as io:
        design = io.read().lab_meta_data["study_design"]
        vector = design.viral_vectors["hm4di_aav"]
        assert vector.titer_in_vg_per_ml == 2.1e13
        injection = design.viral_vector_injections["mos_left"]
        assert injection.viral_vector.construct_name == "AAV8-hSyn-DIO-hM4D(Gi)-mCherry"
        assert injection.volume_in_uL == 0.3 and injection.injection_date == "2026-01-05"
        assert injection.ap_in_mm == 1.9 and injection.ml_in_mm == -0.5 and injection.dv_in_mm == -0.4
        assert injection.hemisphere == "left" and injection.location == "secondary motor area (MOs)"
        effector = design.effectors["hm4di"]
        assert type(effector).__name__ == "ChemogeneticEffector"
        assert effector.ligand == "deschloroclozapine (DCZ)" and effector.viral_vector_injection is injection
        rows = design.interventions.to_dataframe().set_index("intervention_key")
        assert rows.loc["cort", "dose"] == 35 and rows.loc["restraint", "hours_per_day"] == 2
        assert rows.loc["restraint", "days"] == 14
        assert rows.loc["cort", "end_day_from_session"] == pytest.approx(-2 - 9 / 24)
        condition = design.experimental_condition.to_dataframe()
        assert dict(zip(condition.factor, condition.level, strict=True)) == SECTIONS["condition"]
    facts = read_design(path)
    assert facts.subject_id == "M001" and facts.condition == SECTIONS["condition"]
    assert facts.effectors == {"hm4di": "deschloroclozapine (DCZ)"}


def test_plain_effector_without_ligand(tmp_path):
    path = tmp_path / "plain.nwb"
    _write(path, {"effectors": {"chr2": {"label": "hChR2(H134R)"}}})
    with NWBHDF5IO(path, "r") as io:
        effector = io.read().lab_meta_data["study_design"].effectors["chr2"]
        assert type(effector).__name__ == "Effector"
    assert read_design(path).effectors == {"chr2": ""}
