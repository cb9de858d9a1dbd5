"""One pose rule (ndx-tms ``pose_row_problems``): the navigator readers, the pulses builder and the validator
agree on every edge case, and no other module of nwbtms computes pose geometry itself."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hdmf.common import DynamicTable, VectorData
from ndx_tms_vocabulary import POSE_TOLERANCE, pose_row_problems

from nwbtms.errors import InputError
from nwbtms.nwb.pulses import _checked_poses
from nwbtms.sources.navigation.navigator_pulses import invalid_poses, pose_problems
from nwbtms.validate.checks.targets import check_pose_column


def _rotation() -> np.ndarray:
    pose = np.eye(4)
    c, s = np.cos(0.3), np.sin(0.3)
    pose[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    pose[:3, 3] = (10.0, -20.0, 35.0)
    return pose


def _case(edit) -> np.ndarray:
    pose = _rotation()
    edit(pose)
    return pose


def _nan_part(p):
    p[0, 3] = np.nan


def _det_zero(p):
    p[:3, 2] = 0.0


def _mirror(p):
    p[:3, 0] *= -1


def _scale(p):
    p[:3, :3] *= 1.01


def _last_row(p):
    p[3, 0] = 0.1


def _slightly_off(p):
    p[:3, :3] += 1e-3 * np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.1]])
    p[3, 2] = POSE_TOLERANCE / 2


#: name -> (pose, valid?, start of the problem)
EDGE_CASES = {
    "identity": (np.eye(4), True, None),
    "rotation": (_rotation(), True, None),
    "nan whole (not tracked)": (np.full((4, 4), np.nan), True, None),
    "nan partial": (_case(_nan_part), False, "has NaN"),
    "det 0": (_case(_det_zero), False, "rotation columns are not orthonormal"),
    "det -1": (_case(_mirror), False, "rotation is left-handed"),
    "scaled rotation": (_case(_scale), False, "rotation columns are not orthonormal"),
    "bad last row": (_case(_last_row), False, "last row must be"),
    "slightly off, within tolerance": (_case(_slightly_off), True, None),
}


def _reader_says(pose):
    """The navigator readers' verdict: invalid rows are dropped (NaN) with a message."""
    flagged = bool(invalid_poses(pose[None])[0])
    assert flagged == bool(pose_problems(pose[None], ["line 7"]))
    return not flagged


def _builder_says(pose):
    """The pulses builder's verdict: an InputError naming the pulse, or the pose stored unchanged."""
    try:
        stored, fixed = _checked_poses(pose[None], POSE_TOLERANCE)
    except InputError as exc:
        assert "pulses [0]" in str(exc) and exc.field == "measured_coil_pose"
        return False
    assert fixed == 0
    np.testing.assert_array_equal(stored[0], pose)
    return True


def _validator_says(pose):
    """The validator's verdict: a tms.poses.valid finding on the column, or none."""
    table = DynamicTable(name="pulses", description="d",
                         columns=[VectorData(name="measured_coil_pose", description="d", data=pose[None])])
    hits = list(check_pose_column(table, "measured_coil_pose", "measured coil"))
    return not hits


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_readers_builder_and_validator_agree_on_pose_edge_cases(name):
    pose, valid, problem = EDGE_CASES[name]
    found = pose_row_problems(pose[None])[0]
    assert (found is None) is valid, found
    if problem:
        assert found.startswith(problem), found
    assert _reader_says(pose) is valid
    assert _builder_says(pose) is valid
    assert _validator_says(pose) is valid


def test_a_stack_gets_each_rows_problem():
    poses = np.stack([case[0] for case in EDGE_CASES.values()])
    found = pose_row_problems(poses)
    assert [f is None for f in found] == [case[1] for case in EDGE_CASES.values()]
    assert pose_row_problems(np.zeros((0, 4, 4))).shape == (0,)


def test_determinant_must_be_within_the_tolerance_of_one():
    # orthonormal within the tolerance yet a determinant off by more: the determinant test decides
    pose = np.eye(4)
    pose[:3, :3] *= np.sqrt(1 + 0.9 * POSE_TOLERANCE)
    assert pose_row_problems(pose[None])[0].startswith("rotation is not proper (determinant")


_GEOMETRY_CALLS = {"det", "rotation_deviation", "einsum"}


def test_no_module_of_nwbtms_computes_pose_geometry_itself():
    root = Path(__file__).resolve().parents[1] / "nwbtms"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _GEOMETRY_CALLS:
                    offenders.append(f"{path.relative_to(root.parent)}:{node.lineno} {name}()")
            if isinstance(node, ast.Assign) and any(
                    "POSE" in target.id.upper() and "TOL" in target.id.upper()
                    for target in node.targets if isinstance(target, ast.Name)):
                offenders.append(f"{path.relative_to(root.parent)}:{node.lineno} a second pose tolerance")
    assert not offenders, "pose geometry belongs to ndx_tms_vocabulary.pose_row_problems: " + ", ".join(offenders)
