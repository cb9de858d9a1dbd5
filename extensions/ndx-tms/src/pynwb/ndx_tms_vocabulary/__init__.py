"""Controlled vocabularies and value checks of ndx-tms, importable without pynwb.

Terms follow Chipchase et al. 2012, Peterchev et al. 2012, the IFCN 2021 guidelines and BIDS BEP037.
Constructors raise :class:`TMSValueError` with the field, the value and the accepted terms, so a user can
fix the call without reading the spec.

This module is part of the ndx-tms distribution but outside the ``ndx_tms`` package, whose import loads the
namespace into pynwb (about a second): tools that only check terms (protocol files, command-line start-up)
import it alone. ``ndx_tms.vocabulary`` re-exports it unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

__all__ = [
    "ADVERSE_EVENT_TYPES",
    "ATLAS_SUBCLASSES",
    "CELL_ONTOLOGY_TERMS",
    "CL_ID_PATTERN",
    "COIL_CURRENT_DIRECTIONS",
    "COIL_SHAPES",
    "COOLING",
    "CORE_MATERIALS",
    "CRE_LINES",
    "DEPTH_ADJUSTMENT_METHODS",
    "HANDLE_AXES",
    "INDUCED_CURRENT_DIRECTIONS",
    "INTENSITY_REFERENCES",
    "INTENSITY_TOLERANCE_PERCENT_MSO",
    "INTERVAL_CONVENTIONS",
    "MEASUREMENT_METHODS",
    "MOTOR_THRESHOLD_TYPES",
    "NAVIGATION_TYPES",
    "POSE_TOLERANCE",
    "PROJECTION_CLASSES",
    "PULSE_MODES",
    "PULSE_SOURCES",
    "REGISTRATION_METHODS",
    "RELATEDNESS",
    "SEVERITIES",
    "SHAM_TYPES",
    "STIMULATOR_MODES",
    "TARGETING_METHODS",
    "THRESHOLD_METHODS",
    "THRESHOLD_TYPES",
    "TMSValueError",
    "WAVEFORMS",
    "check_array_range",
    "check_choice",
    "check_choices",
    "check_cl_id",
    "check_pose",
    "check_range",
    "depth_adjusted_threshold",
    "first_pose_problem",
    "pose_problem",
    "pose_row_problems",
    "rotation_deviation",
]

#: ``custom``: describe it in ``waveform_description`` (controllable pulse parameter TMS, polyphasic pulses).
WAVEFORMS = frozenset({"monophasic", "biphasic", "half_sine", "biphasic_burst", "custom"})
STIMULATOR_MODES = frozenset({"standard", "power", "twin", "dual"})
PULSE_MODES = frozenset({"single", "paired", "twin", "repetitive"})
COIL_SHAPES = frozenset(
    {"figure_of_eight", "circular", "double_cone", "h_coil", "angled_figure_of_eight", "custom"}
)
CORE_MATERIALS = frozenset({"air", "iron", "silicon_steel", "ferrite", "powdered_iron"})
COOLING = frozenset({"none", "air", "liquid"})
COIL_CURRENT_DIRECTIONS = frozenset({"normal", "reverse"})
#: Direction of the dominant phase of the induced current (PA, AP, LM, ML), or the phase order of a biphasic
#: pulse, first phase first (AP-PA, PA-AP).
INDUCED_CURRENT_DIRECTIONS = frozenset({"PA", "AP", "LM", "ML", "AP-PA", "PA-AP", "other", "unknown"})
INTENSITY_REFERENCES = frozenset({"percent_mso", "percent_threshold"})
THRESHOLD_TYPES = frozenset({"rmt", "amt", "s1mv", "phosphene", "rodent_visual_twitch", "rodent_emg"})
#: Threshold types measured on a muscle (their rows should name it in ``muscle``).
MOTOR_THRESHOLD_TYPES = frozenset({"rmt", "amt", "s1mv", "rodent_emg"})
#: How a level's interval was stated by its source (``timing_interval_in_s`` is always onset to onset).
INTERVAL_CONVENTIONS = frozenset({"onset_to_onset", "gap_after_end", "gap_after_last_pulse"})
DEPTH_ADJUSTMENT_METHODS = frozenset({"none", "stokes_2005", "stokes_2007", "other"})
NAVIGATION_TYPES = frozenset({"hand_held", "robot", "cobot", "none"})
REGISTRATION_METHODS = frozenset({"fiducials", "surface", "fiducials_and_surface", "other"})
#: Where the handle points in the coil model's own frame.
HANDLE_AXES = frozenset({"+y", "-y", "none"})
#: %MSO by which a stored intensity may differ from the one its threshold and value give.
INTENSITY_TOLERANCE_PERCENT_MSO = 0.5
THRESHOLD_METHODS = frozenset({"5/10", "10/20", "pest", "staircase", "visual", "other"})
MEASUREMENT_METHODS = frozenset({"emg", "visual", "phosphene_report", "other"})
SHAM_TYPES = frozenset(
    {"sham_coil", "tilted_90", "coil_away", "active_sham", "low_intensity", "sound_only", "other"}
)
PULSE_SOURCES = frozenset({"trigger_ttl", "stimulator_log", "navigator", "commanded"})
TARGETING_METHODS = frozenset(
    {"stereotaxic", "neuronavigation", "10-20", "hotspot", "fmri_guided", "other"}
)
PROJECTION_CLASSES = frozenset({"IT", "PT/ET", "CT", "NP", "other"})
ADVERSE_EVENT_TYPES = frozenset(
    {"seizure", "syncope", "headache", "scalp_pain", "hearing_change", "seizure_behaviour",
     "coil_heating", "other"}
)
SEVERITIES = frozenset({"mild", "moderate", "severe"})
RELATEDNESS = frozenset({"unrelated", "unlikely", "possible", "probable", "definite"})

#: Cell Ontology IDs: "CL:" followed by exactly seven ASCII digits; use ``fullmatch`` (``match`` with ``$`` lets
#: a trailing newline pass).
CL_ID_PATTERN = re.compile(r"CL:[0-9]{7}")

#: A small vocabulary from the Cell Ontology (obofoundry.org/ontology/cl, pinned to the 2024-2025 releases
#: that define CL:4023xxx). Any well-formed CL ID is accepted; these are the ones we ship labels for.
CELL_ONTOLOGY_TERMS: dict[str, str] = {
    "CL:4023008": "intratelencephalic-projecting glutamatergic cortical neuron",
    "CL:4023009": "extratelencephalic-projecting glutamatergic cortical neuron",
    "CL:4023041": "L5 extratelencephalic projecting glutamatergic cortical neuron",
    "CL:4023040": "L2/3-6 intratelencephalic projecting glutamatergic cortical neuron",
    "CL:4023012": "near-projecting glutamatergic cortical neuron",
    "CL:4023013": "corticothalamic-projecting glutamatergic cortical neuron",
    "CL:0000679": "glutamatergic neuron",
    "CL:0000598": "pyramidal neuron",
}

#: Cre lines with their MGI or RRID accession (informatics.jax.org, scicrunch.org).
CRE_LINES: dict[str, str] = {
    "Tlx3-Cre_PL56": "MGI:5311700",
    "Sim1-Cre_KJ18": "RRID:MMRRC_031742-UCD",
    "Rbp4-Cre_KL100": "MGI:4367067",
    "Fezf2-CreER": "MGI:6720836",
    "Emx1-IRES-Cre": "MGI:2684610",
    "Pvalb-IRES-Cre": "MGI:3590684",
}

#: Allen Brain Cell Atlas subclasses (Yao et al. 2023) used for cortical glutamatergic types.
ATLAS_SUBCLASSES = frozenset(
    {"007 L2/3 IT CTX Glut", "006 L4/5 IT CTX Glut", "005 L5 IT CTX Glut", "004 L6 IT CTX Glut",
     "022 L5 ET CTX Glut", "032 L5 NP CTX Glut", "030 L6 CT CTX Glut"}
)

#: Tolerance for orthonormality of pose rotations, the one tolerance of every pose check (readers, builders,
#: validator). Brainsight exports direction cosines with 3 decimals, which leaves rotations up to 2e-3 off
#: orthonormal (measured on real Brainsight 2.x exports); Localite's are ~1e-4 off.
POSE_TOLERANCE = 5e-3


class TMSValueError(ValueError):
    """A value an ndx-tms type does not accept; the message names the field and the fix."""


def check_choice(field: str, value: str, choices: Iterable[str], *, allow_empty: bool = False) -> None:
    """Raise unless ``value`` is one of ``choices`` (or empty when ``allow_empty``)."""
    choices = frozenset(choices)
    if allow_empty and value in ("", None):
        return
    if value not in choices:
        raise TMSValueError(
            f"{field}: {value!r} is not an accepted term; use one of {sorted(choices)}"
        )


def check_choices(field: str, values: Iterable[str] | None, choices: Iterable[str]) -> None:
    """Raise unless every value is one of ``choices``."""
    if values is None:
        return
    for value in values:
        check_choice(field, value, choices)


def check_range(
    field: str, value: float | None, low: float | None = None, high: float | None = None,
    *, allow_nan: bool = True,
) -> None:
    """Raise unless ``low <= value <= high``; NaN and None pass when ``allow_nan``."""
    if value is None:
        return
    value = float(value)
    if math.isnan(value):
        if allow_nan:
            return
        raise TMSValueError(f"{field}: a number is required, got NaN")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise TMSValueError(f"{field}: {value} is outside {bounds}")


def check_array_range(field: str, values, low: float, high: float) -> None:
    """Vectorised :func:`check_range` over an array; NaN passes. Names the first offending index."""
    arr = np.asarray(values, dtype=float)
    bad = np.flatnonzero((arr < low) | (arr > high))
    if bad.size:
        i = int(bad[0])
        raise TMSValueError(
            f"{field}: {bad.size} value(s) outside [{low}, {high}], first at index {i}: {arr[i]}"
        )


def check_cl_id(field: str, value: str) -> None:
    """Raise unless ``value`` is a well-formed Cell Ontology ID (``CL:`` + 7 digits)."""
    if not isinstance(value, str) or not CL_ID_PATTERN.fullmatch(value):
        raise TMSValueError(
            f"{field}: {value!r} is not a Cell Ontology ID; write 'CL:' and seven digits, e.g. CL:4023008"
        )


def rotation_deviation(poses) -> np.ndarray:
    """Largest absolute entry of ``R^T R - I`` per pose of an (n, 4, 4) stack (NaN for untracked, all-NaN poses);
    a pose is orthonormal when it is at most :data:`POSE_TOLERANCE`."""
    rot = np.asarray(poses, dtype=float).reshape(-1, 4, 4)[:, :3, :3]
    gram = np.einsum("nji,njk->nik", rot, rot) - np.eye(3)
    return np.max(np.abs(gram), axis=(1, 2))


def pose_row_problems(poses, tolerance: float = POSE_TOLERANCE) -> np.ndarray:
    """Why each pose of an (n, 4, 4) stack is not a valid matsimnibs pose (None where it is): the one pose rule.

    A pose is a 4x4 matrix whose upper-left 3x3 block ``R`` is a rotation and whose last row is (0, 0, 0, 1).
    One tolerance applies to every test; the first failing test, in this order, is the row's problem:

    1. NaN everywhere means "not tracked" and is accepted (None); a pose partly NaN, or with an infinite
       entry, is a problem.
    2. Every entry of the last row within ``tolerance`` of (0, 0, 0, 1).
    3. Orthonormal: every entry of ``R^T R - I`` within ``tolerance`` (:func:`rotation_deviation`).
    4. Right-handed: ``det(R)`` within ``tolerance`` of +1 (a determinant of 0 or -1 is a problem).

    Parameters
    ----------
    poses : array_like, shape (n, 4, 4)
    tolerance : float
        Largest accepted deviation; :data:`POSE_TOLERANCE` unless a caller deliberately accepts more.

    Returns
    -------
    ndarray of object, shape (n,)
        A message (e.g. ``"rotation columns are not orthonormal ..."``) per invalid row, None per valid or
        untracked row. Messages are only formatted for invalid rows, so a stack of valid poses costs a few
        vectorised passes.
    """
    m = np.asarray(poses, dtype=float)
    if m.ndim != 3 or m.shape[1:] != (4, 4):
        raise TMSValueError(f"poses must be an (n, 4, 4) array, got shape {m.shape}")
    problems = np.full(len(m), None, dtype=object)
    untracked = np.isnan(m).all(axis=(1, 2))
    finite = np.isfinite(m).all(axis=(1, 2))
    last_error = np.abs(m[:, 3] - (0.0, 0.0, 0.0, 1.0)).max(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        deviation = rotation_deviation(m)
        det = np.linalg.det(np.where(np.isfinite(m[:, :3, :3]), m[:, :3, :3], 0.0))
    bad_values = ~untracked & ~finite
    bad_last = finite & ~(last_error <= tolerance)
    bad_gram = finite & ~bad_last & ~(deviation <= tolerance)
    bad_det = finite & ~bad_last & ~bad_gram & ~(np.abs(det - 1.0) <= tolerance)
    for i in np.flatnonzero(bad_values):
        problems[i] = "has NaN or infinite entries (an untracked pose is NaN everywhere)"
    for i in np.flatnonzero(bad_last):
        problems[i] = f"last row must be (0, 0, 0, 1), got {m[i, 3].tolist()}"
    for i in np.flatnonzero(bad_gram):
        problems[i] = (f"rotation columns are not orthonormal (max |R^T R - I| = {deviation[i]:.4f} > "
                       f"{tolerance:g})")
    for i in np.flatnonzero(bad_det):
        hint = "; flip one axis" if det[i] < 0 else ""
        problems[i] = (f"rotation is {'left-handed' if det[i] < 0 else 'not proper'} (determinant {det[i]:.3f}, "
                       f"not +1 within {tolerance:g}){hint}")
    return problems


def pose_problem(matrix) -> str | None:
    """Why ``matrix`` is not a valid matsimnibs pose, or None when it is (:func:`pose_row_problems` for one)."""
    m = np.asarray(matrix, dtype=float)
    if m.shape != (4, 4):
        return f"must be 4x4, got shape {m.shape}"
    return pose_row_problems(m[None])[0]


def first_pose_problem(matrices) -> tuple[int, str] | None:
    """The first invalid pose of an (n, 4, 4) stack and why (:func:`pose_row_problems`), or None."""
    m = np.asarray(matrices, dtype=float)
    if m.ndim != 3 or m.shape[1:] != (4, 4):
        return (0, f"poses must be an (n, 4, 4) array, got shape {m.shape}")
    problems = pose_row_problems(m)
    bad = np.flatnonzero(problems != None)  # noqa: E711 (elementwise on an object array)
    if not bad.size:
        return None
    return int(bad[0]), problems[bad[0]]


def check_pose(field: str, matrix) -> None:
    """Raise unless ``matrix`` is a valid 4x4 matsimnibs pose (see :func:`pose_problem`)."""
    problem = pose_problem(matrix)
    if problem:
        raise TMSValueError(f"{field}: pose {problem}")


def depth_adjusted_threshold(
    threshold_percent_mso: float, slope_percent_mso_per_mm: float, motor_distance_mm: float,
    target_distance_mm: float,
) -> float:
    """Threshold adjusted for the target's scalp-to-cortex distance (Stokes et al. 2005, 2007).

    ``threshold + slope * (target distance - motor-hotspot distance)``: a deeper target needs more output.
    """
    return float(threshold_percent_mso) + float(slope_percent_mso_per_mm) * (
        float(target_distance_mm) - float(motor_distance_mm)
    )
