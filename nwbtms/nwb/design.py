"""Build the study design of a file: ``StudyDesign`` (ndx-study-design) in ``/general/study_design``.

What goes where (from a :class:`~nwbtms.nwb.entries.StudyDesignEntry`, which the assembly layer makes from the
metadata file's ``viral_vectors``, ``injections``, ``effectors``, ``interventions`` and ``condition`` sections):

- each viral vector, injection and effector as the ndx-ophys-devices ``ViralVector``, ``ViralVectorInjection``
  and ``Effector`` (ndx-ophys-devices 0.3, the version ndx-fiber-photometry 0.2 builds on: an injection keeps
  ``location``, ``hemisphere``, ``reference`` and AP/ML/DV in mm; the metadata's ``x/y/z_in_mm`` in its
  ``orientation`` are mapped onto those axes by :func:`stereotaxic_axes`, and the description keeps them as
  given); an effector with a ``ligand`` (a chemogenetic receptor) as ``ChemogeneticEffector``, the
  ``Effector`` with the ligand, which ndx-ophys-devices has no field for;
- ``interventions``: one row per intervention with its dates and its first and last day relative to
  ``session_start_time`` (negative: before the session), so "21 days of corticosterone ending 2 days before
  imaging" is machine-readable in every file of the subject;
- ``experimental_condition``: one row per factor (``factor``, ``level``), the same factor names in every file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from nwbtms.io.orientation import orientation_axes
from nwbtms.nwb.entries import InjectionEntry, InterventionEntry, StudyDesignEntry

#: Columns of the ``interventions`` table and their descriptions (text columns first, then numbers).
INTERVENTION_COLUMNS = {
    "intervention_key": "Key of the intervention in the session metadata file.",
    "intervention_type": "chronic_corticosterone, chronic_restraint or other.",
    "substance": "Substance given (empty for a procedure such as restraint).",
    "dose_unit": "Unit of dose, e.g. ug/mL in drinking water.",
    "vehicle": "Vehicle the substance was given in.",
    "route": "Route of administration, e.g. oral (drinking water).",
    "start_date": "ISO 8601 date the intervention started.",
    "end_date": "ISO 8601 date of its last day.",
    "notes": "Free-form description of the intervention.",
    "dose": "Dose, in dose_unit (NaN when not applicable).",
    "hours_per_day": "Hours per day (e.g. of restraint; NaN when not applicable).",
    "days": "Number of days (NaN when not given).",
    "start_day_from_session": "First day, in days from session_start_time (negative: before the session).",
    "end_day_from_session": "Last day, in days from session_start_time (negative: before the session).",
}


def has_study_design(design: StudyDesignEntry) -> bool:
    """True when any part of the study design is given."""
    return bool(design)


def days_from(date_text: str, start: dt.datetime) -> float:
    """Days from ``start`` to ``date_text`` (an ISO date, midnight in ``start``'s zone, or a date-time)."""
    value = dt.datetime.fromisoformat(str(date_text).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=start.tzinfo)
    return (value - start).total_seconds() / 86400.0


def stereotaxic_axes(orientation: str, x: float, y: float, z: float) -> dict[str, float]:
    """``ap_in_mm``, ``ml_in_mm``, ``dv_in_mm`` of a point given as ``x, y, z`` in ``orientation`` (e.g. 'RAS':
    x right, y anterior, z superior; 'LPS': x left, y posterior, z superior); the axes are those of
    ndx-ophys-devices 0.3. The session loader has already refused an invalid orientation
    (:func:`nwbtms.io.orientation.orientation_axes` raises ValueError for one)."""
    return {f"{axis}_in_mm": sign * float(value)
            for (axis, sign), value in zip(orientation_axes(orientation), (x, y, z), strict=True)}


def hemisphere_of(ml_in_mm: float) -> str:
    """'left' (ML < 0), 'right' (ML > 0) or 'midline'."""
    return "left" if ml_in_mm < 0 else "right" if ml_in_mm > 0 else "midline"


def build_study_design(design: StudyDesignEntry, *, session_start_time: dt.datetime):
    """``StudyDesign`` from the design's entries (see the module docstring)."""
    from hdmf.common import DynamicTable
    from ndx_ophys_devices import Effector, ViralVector
    from ndx_study_design import ChemogeneticEffector, StudyDesign

    vectors = {entry.key: ViralVector(name=entry.key, construct_name=entry.construct_name,
                                      manufacturer=entry.manufacturer,
                                      titer_in_vg_per_ml=float(entry.titer_in_vg_per_ml),
                                      description=entry.description or entry.construct_name)
               for entry in design.viral_vectors}
    injections = {entry.key: build_injection(entry, vectors[entry.viral_vector]) for entry in design.injections}
    effectors = []
    for entry in design.effectors:
        values = {"name": entry.key, "label": entry.label, "description": entry.description or entry.label}
        if entry.manufacturer:
            values["manufacturer"] = entry.manufacturer
        if entry.injection:
            values["viral_vector_injection"] = injections[entry.injection]
        if entry.ligand:
            effectors.append(ChemogeneticEffector(ligand=entry.ligand, **values,
                                                  **({"action": entry.action} if entry.action is not None else {})))
        else:
            effectors.append(Effector(**values))
    kwargs = {}
    if design.condition:
        table = DynamicTable(name="experimental_condition",
                             description="The subject's experimental condition: one row per factor.")
        table.add_column(name="factor", description="Factor name (the same in every file of the dataset).")
        table.add_column(name="level", description="The subject's level of the factor.")
        for factor, level in design.condition:
            table.add_row(factor=str(factor), level=str(level))
        kwargs["experimental_condition"] = table
    if design.interventions:
        kwargs["interventions"] = _interventions_table(design.interventions, session_start_time)
    return StudyDesign(name="study_design", viral_vectors=list(vectors.values()),
                       viral_vector_injections=list(injections.values()), effectors=effectors, **kwargs)


def build_injection(entry: InjectionEntry, vector):
    """One ``ViralVectorInjection`` (ndx-ophys-devices 0.3) from an injection entry and its ``ViralVector``."""
    from ndx_ophys_devices import ViralVectorInjection

    axes = stereotaxic_axes(entry.orientation, entry.x_in_mm, entry.y_in_mm, entry.z_in_mm)
    angles = {name: float(value) for name, value in (("pitch_in_deg", entry.pitch_in_deg),
                                                      ("roll_in_deg", entry.roll_in_deg)) if value is not None}
    given = (f"coordinates as given: {entry.orientation} x={float(entry.x_in_mm):g}, "
             f"y={float(entry.y_in_mm):g}, z={float(entry.z_in_mm):g} mm from {entry.origin}")
    description = entry.description or f"Injection of {entry.viral_vector}"
    return ViralVectorInjection(
        name=entry.key, location=entry.anatomical_target, hemisphere=hemisphere_of(axes["ml_in_mm"]),
        reference=entry.origin, volume_in_uL=float(entry.volume_in_uL), injection_date=str(entry.date),
        viral_vector=vector, description=f"{description} ({given})", **axes, **angles)


def _interventions_table(interventions: Sequence[InterventionEntry], start: dt.datetime):
    from hdmf.common import DynamicTable

    table = DynamicTable(name="interventions",
                         description="Interventions before or between sessions; days relative to "
                                     "session_start_time (negative: before).")
    for name, doc in INTERVENTION_COLUMNS.items():
        table.add_column(name=name, description=doc)
    for entry in interventions:
        table.add_row(
            intervention_key=entry.key, intervention_type=entry.intervention_type, substance=entry.substance,
            dose_unit=entry.dose_unit, vehicle=entry.vehicle, route=entry.route, start_date=str(entry.start_date),
            end_date=str(entry.end_date), notes=entry.description, dose=_nan_if_none(entry.dose),
            hours_per_day=_nan_if_none(entry.hours_per_day), days=_nan_if_none(entry.days),
            start_day_from_session=days_from(entry.start_date, start),
            end_day_from_session=days_from(entry.end_date, start))
    return table


def _nan_if_none(value) -> float:
    return float(np.nan if value is None else value)


__all__ = ["INTERVENTION_COLUMNS", "build_injection", "build_study_design", "days_from", "has_study_design",
           "hemisphere_of", "stereotaxic_axes"]
