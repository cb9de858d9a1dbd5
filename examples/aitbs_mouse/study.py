"""Write the study in miniature: six mice (five chronically stressed), four imaging days each, behaviour before/after.

The study (Gongwer et al., Cell 2026, doi:10.1016/j.cell.2025.12.040) asks which prefrontal neurons carry the
effect of accelerated iTBS (aiTBS) in chronically stressed mice. Its elements, each written here as data in the
instruments' own formats and in the session metadata files nwbtms converts:

- **stress and its control**: five mice drank corticosterone for four weeks before imaging (``interventions``:
  dose, vehicle, route, start and end date), the unstressed control drank the vehicle over the same weeks;
- **cell types**: IT neurons (Tlx3-Cre) and PT neurons (Sim1-Cre), each with GCaMP6f from the Ai148 reporter;
- **fiber photometry** of the Cre+ neurons (IT or PT) on the stimulation day (pyPhotometry ``.ppd``, the TMS
  trigger on a digital input), responding to the pulses by cell type and condition;
- **aiTBS or sham** on the stimulation day (three iTBS-600 sessions; sham: the same pulses with the coil held
  away from the head, ``sham: true``);
- **an inhibitory DREADD** in IT neurons of two mice (``viral_vectors``, ``injections`` with coordinates,
  volume, titer and date, ``effectors``: hM4D(Gi) with its ligand): the ligand (DCZ, i.p.) before aiTBS in one,
  its vehicle before sham in the other (``manipulations``);
- **the condition as factors** in every file: ``stress`` (yes/no), ``stimulation`` (aiTBS/sham), ``ligand``
  (DCZ/vehicle/none);
- **spines over days**: a dendrite of one imaged neuron per mouse, scored on a baseline day (Fiji ROI set on a
  z-stack), the stimulation day (two-photon movie, Suite2p ROIs with the same keys), the next day and a week
  later; the planted turnover (:data:`MICE`, ``spine_changes``) differs by cell type x condition: IT neurons
  of aiTBS mice gain spines after stimulation, IT neurons of sham mice and PT neurons do not, the DREADD with
  DCZ blocks the gain in IT neurons, and the unstressed control's spines are stable;
- **behaviour before and after**: tail suspension (immobility, s) and sucrose preference (%) in the documented
  behaviour CSV, and an open field tracked with EthoVision XT (its raw-data export), pre and post.

Layout of ``out`` (raw files per subject and session, one metadata file per session beside them)::

    sub-M01_ses-day1-stimulation.yaml ...        the session metadata files (``nwbtms batch`` takes them)
    raw/sub-M01/ses-day0-baseline/zstack.tif, RoiSet.zip
    raw/sub-M01/ses-day1-stimulation/daq.h5, stimulator_log.csv, imaging_00001.tif, suite2p/, rois.csv,
        photometry.ppd
    raw/behavior/behavior.csv, raw/behavior/ethovision/*.txt

Deterministic for given :class:`StudyParameters`; with the defaults about 120 MB of raw files.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from examples.aitbs_mouse import generator
from examples.aitbs_mouse.generator import ExampleParameters

#: Spine positions along the imaged dendrite (fraction of its length; below one half: segment a).
SPINE_FRACTIONS = tuple(float(f) for f in np.round(np.linspace(0.08, 0.92, 16), 3))
#: Positions empty on the baseline day, filled in this order when a mouse gains spines.
GAIN_ORDER = (2, 10, 6, 13)
#: Baseline spines, lost in this order.
LOSS_ORDER = (4, 11, 0, 15, 8, 7)
#: The condition factors, named the same in every file of the study (their levels: Mouse.condition).
FACTORS = ("stress", "stimulation", "ligand")


@dataclass(frozen=True)
class Day:
    """One session of every mouse: its ID, its date and whether it is the stimulation day."""

    session_id: str
    date: str
    stimulation: bool = False


#: Baseline imaging, the aiTBS (or sham) day, the next day and a week later (PST all along: no DST change).
DAYS = (Day("day0-baseline", "2026-02-16"), Day("day1-stimulation", "2026-02-17", stimulation=True),
        Day("day2-next-day", "2026-02-18"), Day("day8-week-later", "2026-02-24"))
UTC_OFFSET = "-08:00"
#: Age of the mice on the baseline day, days.
AGE_AT_BASELINE_DAYS = 90


@dataclass(frozen=True)
class Mouse:
    """One mouse: its genotype's cell type, its condition and what is planted in its data."""

    subject_id: str
    cell_type: str  # IT or PT
    stimulation: str  # aiTBS or sham
    #: 'DCZ' or 'vehicle' (i.p. before stimulation) for a mouse with the inhibitory DREADD, else 'none'
    ligand: str = "none"
    dreadd: bool = False
    stress: str = "yes"  # 'yes': chronic corticosterone; 'no': the vehicle in the drinking water (control)
    sex: str = "M"
    #: (gained, lost) spines from one imaging day to the next: baseline -> stimulation day -> next day -> week
    spine_changes: tuple[tuple[int, int], ...] = ((0, 1), (0, 1), (0, 1))
    #: peak of the photometry signal's response to one pulse, V (the fiber records the mouse's Cre+ neurons)
    photometry_response_v: float = 0.0
    #: tail suspension immobility (s) and sucrose preference (%), (pre, post)
    immobility_s: tuple[float, float] = (150.0, 148.0)
    sucrose_preference_percent: tuple[float, float] = (62.0, 63.0)

    @property
    def condition(self) -> dict[str, str]:
        return {"stress": self.stress, "stimulation": self.stimulation, "ligand": self.ligand}


#: The mice: stressed IT and PT mice with aiTBS or sham (2 x 2), an IT mouse with the inhibitory DREADD and DCZ
#: before aiTBS (M05) and the sham IT mouse with the DREADD and the vehicle (M02), and an unstressed control (M06).
#: Planted: IT neurons respond to aiTBS pulses (photometry), IT + aiTBS gains spines the day after stimulation and
#: keeps them, and its behaviour improves (less immobility, more sucrose preference); PT neurons respond less, IT
#: neurons with hM4Di and DCZ barely, sham pulses (coil away) not at all; sham, PT + aiTBS and IT + aiTBS with
#: DCZ keep losing spines slowly (chronic stress) and do not improve; the unstressed control is stable.
MICE = (
    Mouse("M01", "IT", "aiTBS", spine_changes=((0, 1), (3, 0), (1, 0)), photometry_response_v=0.02,
          immobility_s=(152.0, 88.0), sucrose_preference_percent=(61.0, 79.0)),
    Mouse("M02", "IT", "sham", ligand="vehicle", dreadd=True, sex="F", immobility_s=(149.0, 145.0),
          sucrose_preference_percent=(63.0, 62.0)),
    Mouse("M03", "PT", "aiTBS", spine_changes=((0, 1), (1, 1), (0, 1)), photometry_response_v=0.008,
          immobility_s=(155.0, 147.0)),
    Mouse("M04", "PT", "sham", sex="F", immobility_s=(147.0, 150.0), sucrose_preference_percent=(60.0, 61.0)),
    Mouse("M05", "IT", "aiTBS", ligand="DCZ", dreadd=True, spine_changes=((0, 1), (1, 1), (0, 1)),
          photometry_response_v=0.004, immobility_s=(151.0, 143.0), sucrose_preference_percent=(62.0, 64.0)),
    Mouse("M06", "IT", "sham", stress="no", sex="F", spine_changes=((0, 0), (1, 1), (0, 0)),
          immobility_s=(84.0, 86.0), sucrose_preference_percent=(81.0, 80.0)),
)

#: Cell types of the metadata files (ndx-tms CellTypesTable rows).
CELL_TYPES = {
    "IT": {"label": "IT", "cell_ontology_id": "CL:4023008", "atlas_taxonomy_label": "005 L5 IT CTX Glut",
           "atlas_taxonomy_id": "CS20230722_SUBC_005", "cre_line": "Tlx3-Cre_PL56", "cre_line_id": "MGI:5311700",
           "reporter": "Ai148 (GCaMP6f)", "projection_class": "IT"},
    "PT": {"label": "PT", "cell_ontology_id": "CL:4023009", "atlas_taxonomy_label": "022 L5 ET CTX Glut",
           "atlas_taxonomy_id": "CS20230722_SUBC_022", "cre_line": "Sim1-Cre_KJ18",
           "reporter": "Ai148 (GCaMP6f)", "projection_class": "PT/ET"},
}
GENOTYPES = {"IT": "Tlx3-Cre_PL56;Ai148", "PT": "Sim1-Cre_KJ18;Ai148"}
NEURON = {"IT": "L5 IT (intratelencephalic) neuron", "PT": "L5 PT (pyramidal tract) neuron"}

#: The unstressed control drinks the vehicle over the same weeks.
VEHICLE_WATER = {
    "type": "other", "substance": "vehicle (0.45% beta-cyclodextrin)", "vehicle": "drinking water",
    "route": "oral (drinking water, ad libitum)", "days": 28, "start_date": "2026-01-19", "end_date": "2026-02-15",
    "description": "Vehicle of the corticosterone model: unstressed control (example values).",
}
CORTICOSTERONE = {
    "type": "chronic_corticosterone", "substance": "corticosterone", "dose": 35, "dose_unit": "ug/mL",
    "vehicle": "0.45% beta-cyclodextrin in drinking water", "route": "oral (drinking water, ad libitum)",
    "days": 28, "start_date": "2026-01-19", "end_date": "2026-02-15",
    "description": "Chronic corticosterone stress model, four weeks before the baseline day (example values).",
}
DREADD = {
    "viral_vectors": {"hm4di_aav": {
        "construct_name": "AAV8-hSyn-DIO-hM4D(Gi)-mCherry", "manufacturer": "Addgene", "titer_in_vg_per_ml": 2.1e13,
        "description": "Cre-dependent inhibitory DREADD: hM4D(Gi) in Tlx3-Cre (IT) neurons (example values)."}},
    "injections": {"mos_left": {
        "viral_vector": "hm4di_aav", "volume_in_uL": 0.3, "date": "2026-01-05",
        "anatomical_target": "secondary motor area (MOs), layer 5", "origin": "bregma", "orientation": "RAS",
        "x_in_mm": -0.4, "y_in_mm": 1.9, "z_in_mm": -0.6,
        "description": "Stereotaxic injection six weeks before the baseline day (example values)."}},
    "effectors": {"hm4di": {"label": "hM4D(Gi)", "ligand": "deschloroclozapine (DCZ)", "action": "inhibitory",
                            "injection": "mos_left"}},
}
DCZ = {"type": "chemogenetic_ligand_injection", "substance": "deschloroclozapine (DCZ)", "dose": 0.1,
       "dose_unit": "mg/kg", "route": "intraperitoneal", "vehicle": "saline with 1% DMSO", "target_cell_type": "it",
       "description": "hM4Di agonist given 20 min before the first iTBS session to silence IT neurons during aiTBS."}
#: The DREADD control: the ligand's vehicle, the same way.
VEHICLE_INJECTION = {"type": "other", "substance": "vehicle (saline with 1% DMSO)", "dose": 10, "dose_unit": "mL/kg",
                     "route": "intraperitoneal", "target_cell_type": "it",
                     "description": "Vehicle of DCZ, given 20 min before the first (sham) iTBS session."}
#: Fiber photometry of the stimulation day (pyPhotometry; its clock against the DAQ: offset and drift).
PHOTOMETRY_CLOCK_OFFSET_S, PHOTOMETRY_DRIFT_PPM = 2.0, 30.0


def photometry_section(mouse: Mouse) -> dict:
    """The metadata's ``photometry``: one fiber into layer 5 of MOs recording the mouse's Cre+ neurons (GCaMP6f
    from Ai148), 470 nm signal and 405 nm isosbestic control, synchronised on the TMS trigger."""
    return {
        "source": "photometry",
        "description": (f"One fiber over MOs layer 5 recording {mouse.cell_type} neurons (GCaMP6f from Ai148): 470 "
                        "nm signal and 405 nm isosbestic control, the TMS trigger on digital input 1 through a "
                        "pulse stretcher."),
        "sync": {"digital_input": "digital_1", "min_gap_s": 0.1},
        "photodetector": {"description": "Femtowatt photoreceiver", "manufacturer": "Newport", "model": "2151"},
        "indicators": {"gcamp6f": {"label": "GCaMP6f", "description": "GCaMP6f from the Ai148 reporter, in Cre+ "
                                                                      "neurons"}},
        "fibers": {f"mos_{mouse.cell_type.lower()}": {
            "location": "secondary motor area (MOs), layer 5", "coordinates_in_mm": [1.9, -0.4, -0.6],
            "model": {"name": "MFC_200/245-0.37", "manufacturer": "Doric Lenses", "numerical_aperture": 0.37,
                      "core_diameter_in_um": 200},
            "cell_type": mouse.cell_type.lower(), "indicator": "gcamp6f",
            "signals": {"analog_1": {"excitation_wavelength_in_nm": 470, "emission_wavelength_in_nm": 525},
                        "analog_2": {"excitation_wavelength_in_nm": 405, "emission_wavelength_in_nm": 525}}}},
    }


SHAM = {"sham": True, "sham_type": "coil_away"}
SHAM_DESCRIPTION = ("Sham: the same three iTBS-600 sessions delivered with the coil held 5 cm above the head and "
                    "turned away (same sound, no field in the cortex).")
DESCRIPTION = ("Which prefrontal neurons carry the effect of accelerated iTBS in chronically stressed mice: IT "
               "(Tlx3-Cre) and PT (Sim1-Cre) neurons, aiTBS or sham, an inhibitory DREADD in IT neurons with its "
               "ligand (miniature example).")


@dataclass(frozen=True)
class StudyParameters:
    """Knobs of the generated study (the defaults are ``make demo``'s)."""

    mice: tuple[Mouse, ...] = MICE
    #: The imaging days written (a subset of :data:`DAYS` makes a smaller study for tests).
    days: tuple[Day, ...] = DAYS
    #: The stimulation day's recording (DAQ, stimulator log, movie) of every mouse; each gets its own seed.
    stimulation_day: ExampleParameters = field(default_factory=lambda: ExampleParameters(num_frames=240))
    seed: int = 2026


def spine_schedule(mouse: Mouse) -> list[tuple[int, ...]]:
    """The spines (indices into :data:`SPINE_FRACTIONS`) present on each day of :data:`DAYS`."""
    present = set(range(len(SPINE_FRACTIONS))) - set(GAIN_ORDER)
    days = [tuple(sorted(present))]
    gains, losses = iter(GAIN_ORDER), iter(LOSS_ORDER)
    for gained, lost in mouse.spine_changes:
        present |= {next(gains) for _ in range(gained)}
        present -= {next(losses) for _ in range(lost)}
        days.append(tuple(sorted(present)))
    return days


def _start(day: Day) -> str:
    return f"{day.date}T09:30:00{UTC_OFFSET}"


def _age(day: Day) -> str:
    elapsed = (dt.date.fromisoformat(day.date) - dt.date.fromisoformat(DAYS[0].date)).days
    return f"P{AGE_AT_BASELINE_DAYS + elapsed}D"


def _common(mouse: Mouse, day: Day, metadata: dict) -> dict:
    """The parts every session of ``mouse`` shares: subject, cell type, design sections (same in every file)."""
    key = mouse.cell_type.lower()
    metadata["nwbfile"].update(session_id=day.session_id, session_start_time=_start(day),
                               experiment_description=DESCRIPTION)
    metadata["subject"] = {
        "subject_id": mouse.subject_id, "species": "Mus musculus", "sex": mouse.sex, "age": _age(day),
        "genotype": GENOTYPES[mouse.cell_type], "strain": "C57BL/6J",
        "description": (("Chronic corticosterone in drinking water for four weeks before imaging"
                         if mouse.stress == "yes" else "Unstressed control (vehicle in the drinking water)")
                        + ("; hM4D(Gi) expressed in IT neurons." if mouse.dreadd else ".")),
    }
    metadata["cell_types"] = {key: copy.deepcopy(CELL_TYPES[mouse.cell_type])}
    plane = metadata["imaging_planes"]["plane0"]
    plane["cell_type"] = key
    plane["description"] = (f"Apical tuft dendrite of an {NEURON[mouse.cell_type]} with spines in layer 1 of "
                            "dorsomedial PFC (MOs, next to ACAd), 120 um below the pia at AP +1.9 mm, ML 0.3 mm.")
    for section in ("viral_vectors", "injections", "effectors", "interventions", "manipulations"):
        metadata.pop(section, None)
    if mouse.dreadd:
        metadata.update(copy.deepcopy(DREADD))
    metadata["interventions"] = ({"corticosterone": dict(CORTICOSTERONE)} if mouse.stress == "yes"
                                 else {"vehicle_water": dict(VEHICLE_WATER)})
    metadata["condition"] = mouse.condition
    return metadata


def stimulation_metadata(mouse: Mouse, day: Day, p: ExampleParameters, raw: str) -> dict:
    """The stimulation day's metadata: the example's rig, protocols and imaging plane, this mouse's design."""
    metadata = _common(mouse, day, yaml.safe_load(generator.render_metadata(p)))
    what = "Sham aiTBS" if mouse.stimulation == "sham" else "Accelerated iTBS"
    metadata["nwbfile"]["session_description"] = (
        f"{what} day ({p.sessions} iTBS-600 sessions, {p.session_interval_s:g} s onset to onset) in an awake, "
        f"head-fixed, {'chronically stressed' if mouse.stress == 'yes' else 'unstressed'} "
        f"{GENOTYPES[mouse.cell_type].split(';')[0]} mouse, with two-photon imaging of an {NEURON[mouse.cell_type]} "
        "dendrite and its spines in dmPFC, and fiber photometry of its neurons"
        + (f"; {mouse.ligand} given i.p. before stimulation." if mouse.dreadd else "."))
    keywords = ["TMS", "iTBS", "aiTBS", "two-photon", "dendritic spines", "chronic stress"]
    metadata["nwbfile"]["keywords"] = keywords + (["chemogenetics"] if mouse.dreadd else [])
    if mouse.dreadd:
        injection = DCZ if mouse.ligand == "DCZ" else VEHICLE_INJECTION
        metadata["manipulations"] = {mouse.ligand.lower(): {**injection, "time_s": p.dcz_time_s}}
    if mouse.stimulation == "sham":
        for protocol in metadata["protocols"].values():
            protocol.update(SHAM)
        metadata["stimulation"]["sham_sessions"] = list(range(p.sessions))
        metadata["sham_description"] = SHAM_DESCRIPTION
    for source in metadata["sources"].values():
        source["path"] = source["path"].replace("raw/", f"{raw}/", 1)
    metadata["sources"]["photometry"] = {"reader": "pyphotometry", "path": f"{raw}/photometry.ppd"}
    metadata["photometry"] = photometry_section(mouse)
    metadata["sources"]["behavior"] = {"reader": "behavior_csv", "path": "raw/behavior/behavior.csv"}
    for session in ("pre", "post"):
        metadata["sources"][f"open_field_{session}"] = {
            "reader": "ethovision", "path": f"raw/behavior/ethovision/{_ethovision_name(mouse, session)}",
            "options": {"session": session, "test": "open_field", "utc_offset": UTC_OFFSET}}
    return metadata


def structural_metadata(mouse: Mouse, day: Day, raw: str) -> dict:
    """An imaging-only structural day: a z-stack and the spines scored in Fiji."""
    metadata = _common(mouse, day, yaml.safe_load(generator.FOLLOWUP_TEMPLATE.read_text(encoding="utf-8")))
    metadata["nwbfile"]["session_description"] = (
        f"Structural imaging ({day.session_id}, no stimulation): z-stack of the {NEURON[mouse.cell_type]} apical "
        "dendrite imaged on every day of the study, spines scored by hand in Fiji.")
    metadata["nwbfile"]["keywords"] = ["TMS", "aiTBS", "two-photon", "dendritic spines", "structural imaging"]
    metadata["sources"] = {"zstack": {"reader": "tiff", "path": f"{raw}/zstack.tif"},
                           "rois": {"reader": "imagej_rois", "path": f"{raw}/RoiSet.zip"}}
    return metadata


#: Behaviour test times relative to the baseline day (days, local clock time): pre before it, post after aiTBS.
BEHAVIOR_SCHEDULE = {
    ("pre", "open_field"): (-4, "10:00"), ("pre", "tail_suspension"): (-3, "10:00"),
    ("pre", "sucrose_preference"): (-3, "18:00"),
    ("post", "open_field"): (3, "10:00"), ("post", "tail_suspension"): (4, "10:00"),
    ("post", "sucrose_preference"): (4, "18:00"),
}


def _when(session: str, test: str, minute: int = 0) -> dt.datetime:
    days, clock = BEHAVIOR_SCHEDULE[(session, test)]
    base = dt.datetime.fromisoformat(f"{DAYS[0].date}T{clock}:00{UTC_OFFSET}")
    return base + dt.timedelta(days=days, minutes=minute)


def _ethovision_name(mouse: Mouse, session: str) -> str:
    return f"Track-Open field-{session}-Subject {mouse.subject_id}.txt"


def write_behavior(folder: Path, mice: tuple[Mouse, ...]) -> None:
    """The study's scored tests in the documented behaviour CSV, and each open field as an EthoVision export."""
    from nwbtms.sources.behavior.testing import write_behavior_csv, write_ethovision

    rows = []
    for index, mouse in enumerate(mice):
        minute = 15 * index  # the mice are tested one after another
        for k, session in enumerate(("pre", "post")):
            rows.append({"subject": mouse.subject_id, "session": session, "test": "tail_suspension",
                         "start_time": _when(session, "tail_suspension", minute).isoformat(), "duration_s": 360,
                         "immobility_s": mouse.immobility_s[k]})
            rows.append({"subject": mouse.subject_id, "session": session, "test": "sucrose_preference",
                         "start_time": _when(session, "sucrose_preference", minute).isoformat(),
                         "duration_s": 86400, "sucrose_preference_percent": mouse.sucrose_preference_percent[k]})
    folder.mkdir(parents=True, exist_ok=True)
    write_behavior_csv(folder / "behavior.csv", rows)
    (folder / "ethovision").mkdir(exist_ok=True)
    for index, mouse in enumerate(mice):
        for session in ("pre", "post"):
            start = _when(session, "open_field", 15 * index)
            write_ethovision(folder / "ethovision" / _ethovision_name(mouse, session), subject=mouse.subject_id,
                             start=start.strftime("%m/%d/%Y %H:%M:%S.000"), num_samples=600)


def write_photometry(path: Path, mouse: Mouse, p: ExampleParameters, pulses_s: np.ndarray, day: Day,
                     seed: int) -> None:
    """The stimulation day's pyPhotometry file: from before the first pulse to after the last one."""
    from nwbtms.sources.photometry.testing import write_ppd

    write_ppd(path, duration_s=float(pulses_s[-1]) + p.tail_s, pulse_times_s=pulses_s,
              clock_offset_s=PHOTOMETRY_CLOCK_OFFSET_S, drift_ppm=PHOTOMETRY_DRIFT_PPM,
              response_amplitude_v=mouse.photometry_response_v, subject_id=mouse.subject_id,
              date_time=f"{day.date}T09:30:02", seed=seed)


def _dump(path: Path, metadata: dict, mouse: Mouse, day: Day) -> Path:
    header = (f"# Session metadata for nwbtms (schemas/session.schema.json), written by examples/aitbs_mouse/"
              f"study.py.\n# Subject {mouse.subject_id} ({mouse.cell_type}, "
              + ", ".join(f"{k}: {v}" for k, v in mouse.condition.items()) + f"), session {day.session_id}.\n")
    path.write_text(header + yaml.safe_dump(metadata, sort_keys=False, width=110, allow_unicode=True),
                    encoding="utf-8")
    return path


def generate_study(out: Path, params: StudyParameters | None = None) -> list[Path]:
    """Write the raw files and one metadata file per session into ``out``; returns the metadata files."""
    params = params or StudyParameters()
    out.mkdir(parents=True, exist_ok=True)
    write_behavior(out / "raw" / "behavior", params.mice)
    written = []
    for index, mouse in enumerate(params.mice):
        schedule = spine_schedule(mouse)
        layout_args = {"subject": mouse.subject_id, "fractions": SPINE_FRACTIONS, "cell_type": mouse.cell_type}
        for day_index, (day, present) in enumerate(zip(DAYS, schedule, strict=True)):
            if day not in params.days:
                continue
            raw = f"raw/sub-{mouse.subject_id}/ses-{day.session_id}"
            folder = out / raw
            folder.mkdir(parents=True, exist_ok=True)
            seed = params.seed + 100 * index + day_index
            if day.stimulation:
                p = replace(params.stimulation_day, seed=seed)
                rng = np.random.default_rng(seed)
                pulses_s = generator.delivered_pulses_s(p)
                generator.write_daq(folder / "daq.h5", p, pulses_s, rng)
                generator.write_stimulator_log(folder / "stimulator_log.csv", pulses_s, rng)
                layout = generator.roi_layout(p.frame_size, present=present, **layout_args)
                generator.write_imaging(folder, p, pulses_s, rng, layout)
                write_photometry(folder / "photometry.ppd", mouse, p, pulses_s, day, seed)
                metadata = stimulation_metadata(mouse, day, p, raw)
            else:
                generator.write_structural_day(folder, params.stimulation_day, mouse.subject_id, SPINE_FRACTIONS,
                                               present, seed=seed)
                metadata = structural_metadata(mouse, day, raw)
            written.append(_dump(out / f"sub-{mouse.subject_id}_ses-{day.session_id}.yaml", metadata, mouse, day))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write raw/ and the session metadata files into")
    parser.add_argument("--seed", type=int, default=StudyParameters.seed)
    args = parser.parse_args(argv)
    for path in generate_study(args.out, StudyParameters(seed=args.seed)):
        print(path)


if __name__ == "__main__":
    main()
