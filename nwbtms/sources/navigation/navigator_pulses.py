"""The per-pulse record every neuronavigation reader returns, and the coil-pose checks they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ndx_tms_vocabulary import POSE_TOLERANCE, pose_row_problems

# Orthonormality of recorded rotations is ndx-tms's one pose rule (ndx_tms_vocabulary.POSE_TOLERANCE, 5e-3):
# Brainsight writes direction cosines with 3 decimals; rounding alone moves R^T R off the identity by up to
# about 3 x 2 x 5e-4 = 3e-3, so 5e-3 separates print rounding from a genuinely skewed pose.

#: What ``NavigatorPulses.pose`` holds (the SimNIBS matsimnibs axes, simnibs.github.io: coil position matrix).
MATSIMNIBS_AXES = (
    "matsimnibs axes: columns x, y (handle), z (into the head), centre; rotation right-handed; "
    "translation in mm in the recorded coordinate space"
)


@dataclass
class NavigatorPulses:
    """Per-pulse values exported by a neuronavigation system (one entry per recorded pulse).

    Attributes
    ----------
    time_s : ndarray of float64
        Pulse times on the navigator's clock, s (NaN when the export has no time).
    pose : ndarray of float64, shape (n, 4, 4)
        Coil pose per pulse (see ``pose_convention``); all-NaN where the coil was not tracked.
    amplitude_percent_mso, di_dt_a_per_us : ndarray of float64
        Stimulator output and realised dI/dt the navigator received from the stimulator (NaN when absent).
    target_error_mm, angular_error_deg, twist_error_deg : ndarray of float64
        Tracking errors relative to the planned target (NaN when absent).
    target_label : list of str
        Target each pulse was associated with ("" when none).
    coordinate_space : str
        Space of the pose translations as the file names it (``MNI``, ``RAS``, ``World``, ``NIfTI:Aligned``).
    path : Path
        The file read.
    pose_convention : str
        How ``pose`` relates to the file's matrix (axis mapping applied, if any).
    pose_recorded : ndarray, shape (n, 4, 4)
        The matrix exactly as the file holds it.
    clock : str
        What ``time_s`` is measured from.
    problems : list of str
        Things the reader found and did not fix (non-orthonormal rotations, untracked coils), for reports.
    """

    time_s: np.ndarray
    pose: np.ndarray
    amplitude_percent_mso: np.ndarray
    di_dt_a_per_us: np.ndarray
    target_error_mm: np.ndarray
    angular_error_deg: np.ndarray
    twist_error_deg: np.ndarray
    target_label: list[str]
    coordinate_space: str
    path: Path
    pose_convention: str = MATSIMNIBS_AXES
    pose_recorded: np.ndarray | None = None
    clock: str = ""
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.time_s.size)

    @property
    def untracked(self) -> np.ndarray:
        """Rows without a valid pose (coil not tracked, a value missing, or not a rotation): ``pose`` is NaN."""
        pose = np.asarray(self.pose, dtype=np.float64).reshape(-1, 4, 4)
        return ~np.isfinite(pose).all(axis=(1, 2))

    def summary_note(self) -> str | None:
        """One line for a conversion summary when rows have no valid pose; None when every row has one."""
        count = int(self.untracked.sum())
        if not count:
            return None
        name = getattr(self.path, "name", str(self.path))
        if count == len(self):
            return (f"navigator {name}: none of its {count} sample(s) has a valid coil pose (coil not tracked, "
                    "values missing or not a rotation); measured_coil_pose is NaN for them")
        return (f"navigator {name}: {count} of {len(self)} sample(s) without a valid coil pose (coil not "
                "tracked, values missing or not a rotation): pose NaN, left out of pose statistics")


def pose_problems(poses: np.ndarray, labels: Sequence[str],
                  tolerance: float = POSE_TOLERANCE) -> list[str]:
    """Messages for poses that are not valid (ndx-tms :func:`~ndx_tms_vocabulary.pose_row_problems`; never fixed).

    Parameters
    ----------
    poses : ndarray, shape (n, 4, 4)
        All-NaN poses (untracked) are skipped.
    labels : sequence of str
        How to name each pose in a message (e.g. ``"line 12"``).
    tolerance : float
        The one pose tolerance.
    """
    found = pose_row_problems(np.asarray(poses, dtype=float).reshape(-1, 4, 4), tolerance)
    return [f"{labels[i]}: pose {found[i]}; pose NaN, the recorded matrix kept"
            for i in np.flatnonzero(found != None)]  # noqa: E711 (elementwise on an object array)


def invalid_poses(poses: np.ndarray, tolerance: float = POSE_TOLERANCE) -> np.ndarray:
    """Rows holding a pose that is not valid (ndx-tms :func:`~ndx_tms_vocabulary.pose_row_problems`: partly NaN,
    not a rotation, or a last row other than (0, 0, 0, 1)). Untracked (all-NaN) rows are not invalid, only absent.

    Readers set these poses to NaN (the recorded matrix stays in ``pose_recorded``) and report them, so one
    bad sample is left out of the measured poses instead of stopping a conversion.
    """
    found = pose_row_problems(np.asarray(poses, dtype=float).reshape(-1, 4, 4), tolerance)
    return found != None  # noqa: E711 (elementwise on an object array)


def drop_invalid_poses(pose: np.ndarray, problems: list[str], what: str = "sample") -> np.ndarray:
    """``pose`` with its invalid rows (:func:`invalid_poses`) set to NaN, counted in ``problems``."""
    invalid = invalid_poses(pose)
    if invalid.any():
        pose = pose.copy()
        pose[invalid] = np.nan
        problems.append(f"{int(invalid.sum())} {what}(s) whose matrix is not a valid rotation: pose NaN, left out "
                        "of the measured poses (the recorded matrix kept)")
    return pose
