"""The study in miniature (``make demo``): a reduced study through the demo's own steps (generate, ``nwbtms batch``
on local dask, ``nwbtms validate`` of the folder, ``nwbtms spines turnover``), then the files read alone: the
selection the issue asks for, and every element of the study present as data."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse import demo  # noqa: E402
from examples.aitbs_mouse.generator import ExampleParameters  # noqa: E402
from examples.aitbs_mouse.study import DAYS, FACTORS, MICE, StudyParameters, spine_schedule  # noqa: E402
from nwbtms.nwb.design_read import read_design, select  # noqa: E402

#: Four of the mice (IT and PT, aiTBS and sham, the DREADD with DCZ and with its vehicle, stressed and the
#: unstressed control: what the selection must tell apart), the baseline and a short stimulation day: eight small
#: files (more frames than pixels a side, or the NWB Inspector takes time for a short axis and blocks).
MINI = StudyParameters(mice=tuple(m for m in MICE if m.subject_id in ("M02", "M03", "M05", "M06")), days=DAYS[:2],
                       stimulation_day=ExampleParameters(sessions=1, num_frames=70, frame_size=64))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The demo run once on the reduced study (no study page: its own tests cover it)."""
    folder = tmp_path_factory.mktemp("study")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        outcome = demo.run(folder, MINI, workers=2, study_page=False)
    return outcome, sorted(outcome.dandiset.rglob("*.nwb")), stdout.getvalue(), stderr.getvalue()


def test_demo_converts_and_the_folder_validates(study):
    outcome, files, stdout, stderr = study
    assert outcome.exit_codes == {"batch": 0, "validate": 0, "turnover": 0}, stderr
    assert len(files) == len(MINI.mice) * len(MINI.days) == len(outcome.metadata)
    assert [p.relative_to(outcome.dandiset).as_posix() for p in files][:2] == [
        "sub-M02/sub-M02_ses-day0-baseline.nwb", "sub-M02/sub-M02_ses-day1-stimulation.nwb"]
    # the folder's validation (cross-file checks included) found nothing blocking and no design warning
    report = outcome.validation.read_text()
    assert report.rstrip().splitlines()[-1].startswith(f"OK: {len(files)} file(s)")
    for check in ("dandi.condition_consistent", "dandi.condition_factors", "data.design.ligand_has_effector",
                  "data.rois.", "dandi.session_order", "dandi.subject_consistent"):
        assert check not in report, check
    assert stdout.splitlines()[-1] == f"spine turnover:   {demo._shown(outcome.turnover)}"


def test_select_stressed_it_mice_with_aitbs_and_ligand(study):
    _, files, _, _ = study
    chosen = select(files, cell_type="IT", stress="yes", stimulation="aiTBS", ligand="DCZ")
    assert {f.subject_id for f in chosen} == {"M05"} and len(chosen) == len(MINI.days)
    assert all(f.effectors == {"hm4di": "deschloroclozapine (DCZ)"} for f in chosen)
    assert {f.subject_id for f in select(files, cell_type="IT", stress="yes")} == {"M02", "M05"}
    assert {f.subject_id for f in select(files, cell_type="PT")} == {"M03"}
    assert {f.subject_id for f in select(files, stress="no")} == {"M06"}


def _rows(h5: h5py.File, table: str, column: str) -> list:
    return [v.decode() if isinstance(v, bytes) else v for v in h5[f"{table}/{column}"][()]]


def test_every_element_of_the_study_is_data_in_the_files(study):
    _, files, _, _ = study
    facts = [read_design(f) for f in files]
    # the same factor names in every file, and their levels
    assert {tuple(sorted(f.condition)) for f in facts} == {tuple(sorted(FACTORS))}
    levels = {factor: {f.condition[factor] for f in facts} for factor in FACTORS}
    assert levels == {"stress": {"yes", "no"}, "stimulation": {"aiTBS", "sham"}, "ligand": {"DCZ", "vehicle", "none"}}
    assert set().union(*(f.cell_types for f in facts)) >= {"IT", "PT"}
    stimulation = {f.subject_id: f for f in facts if f.session_id == DAYS[1].session_id}
    assert stimulation["M05"].ligand_injections == ("deschloroclozapine (DCZ)",)
    by_subject = {p.parent.name[4:]: p for p in files if DAYS[1].session_id in p.name}
    with h5py.File(by_subject["M05"], "r") as h5:
        design = h5["general/study_design"]
        # the DREADD: vector with its titer, the injection with coordinates, volume and date, the effector
        vector, = [g for g in design.values() if g.attrs.get("neurodata_type") == "ViralVector"]
        assert vector.attrs["titer_in_vg_per_ml"] > 0 and "hM4D" in str(vector.attrs["construct_name"])
        injection, = [g for g in design.values() if g.attrs.get("neurodata_type") == "ViralVectorInjection"]
        assert injection.attrs["volume_in_uL"] == 0.3 and str(injection.attrs["injection_date"]) == "2026-01-05"
        coordinates = [injection.attrs[f"{axis}_in_mm"] for axis in ("ap", "ml", "dv")]
        assert coordinates == [1.9, -0.4, -0.6] and injection.attrs["reference"] == "bregma"
        # chronic corticosterone: dose, vehicle and dates relative to the session
        assert _rows(h5, "general/study_design/interventions", "intervention_type") == ["chronic_corticosterone"]
        assert _rows(h5, "general/study_design/interventions", "dose") == [35.0]
        assert "cyclodextrin" in _rows(h5, "general/study_design/interventions", "vehicle")[0]
        assert _rows(h5, "general/study_design/interventions", "end_day_from_session")[0] < 0
    with h5py.File(by_subject["M02"], "r") as h5:  # the DREADD's control: the vehicle, before sham
        assert _rows(h5, "events/manipulations", "substance") == ["vehicle (saline with 1% DMSO)"]
        assert all(_rows(h5, "intervals/tms_sessions", "sham"))
    with h5py.File(by_subject["M06"], "r") as h5:  # the unstressed control drank the vehicle
        assert "vehicle" in _rows(h5, "general/study_design/interventions", "substance")[0]
    for subject, path in by_subject.items():
        with h5py.File(path, "r") as h5:
            # aiTBS or sham pulses, photometry of the mouse's Cre+ neurons, behaviour before and after
            assert len(h5["events/tms_pulses/timestamp"]) > 0, subject
            assert any(name.startswith("photometry_") and name.endswith("_470nm") for name in h5["acquisition"])
            fibers = h5["general/fiber_photometry/fiber_photometry_table"] if "general/fiber_photometry" in h5 \
                else None
            assert fibers is not None, subject
            tests = set(zip(_rows(h5, "intervals/behavior", "test"), _rows(h5, "intervals/behavior",
                                                                            "behavior_session"), strict=True))
            assert {(t, s) for t in ("tail_suspension", "sucrose_preference", "open_field")
                    for s in ("pre", "post")} <= tests, subject


def test_photometry_responds_by_cell_type_and_condition(study):
    from nwbtms.photometry import read_pulse_aligned_responses

    _, files, _, _ = study
    peak = {}
    for path in files:
        for response in read_pulse_aligned_responses(path, window_s=(-0.5, 1.5), baseline_s=(-0.5, 0.0)):
            if response.excitation_wavelength_in_nm == 470:
                after = (response.time_s > 0.2) & (response.time_s < 1.0)
                peak[path.parent.name[4:]] = float(np.nanmax(response.mean[after]))
    # planted: PT neurons respond to aiTBS, IT neurons silenced by hM4Di + DCZ less, sham pulses not at all
    assert peak["M03"] > peak["M05"] > 5 * max(abs(peak["M02"]), abs(peak["M06"]))


def test_spines_followed_across_days_with_the_planted_turnover(study):
    outcome, _, _, stderr = study
    import json

    summary = json.loads(outcome.turnover.read_text())["summary"]
    assert "spine turnover per cell type x condition" in stderr
    by_subject = {row["subjects"][0]: row for row in summary if row["n_subjects"] == 1}
    for mouse in MINI.mice:  # baseline -> stimulation day, as planted
        row = by_subject[mouse.subject_id]
        before, after = (set(s) for s in spine_schedule(mouse)[:2])
        assert (row["n_start"], row["gained"], row["lost"]) == (len(before), len(after - before),
                                                                 len(before - after)), mouse.subject_id
