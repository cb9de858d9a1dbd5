"""Step 6, targets and poses: coil poses orthonormal and right-handed (every row, chunked for per-pulse
poses), and a coordinate space declared wherever coordinates exist.

The verdict on a pose is always ndx-tms's vectorised ``pose_row_problems`` over each slice, so 90,000
per-pulse poses cost one pass of numpy.
"""

from __future__ import annotations

from collections.abc import Iterator

import h5py
import numpy as np

from nwbtms.validate.checks._paths import column_path, object_path
from nwbtms.validate.checks._tables import has_column
from nwbtms.validate.chunked import CHUNK_ELEMENTS, iter_rows, unwrap
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, Hit, define, register_check

TMS_POSE = define("tms.poses.valid", Severity.CRITICAL, 6, "Coil poses are orthonormal, right-handed 4x4 matrices.",
                  "Re-export the pose in the matsimnibs convention (columns x, y, z, centre).", profiles=TMS_ONLY)
TMS_COORDINATE_SPACE = define("tms.coordinates.space_declared", Severity.CRITICAL, 6,
                              "A coordinate space is declared when coordinates exist.",
                              "Add a TMSCoordinateSpace and refer to it from the targets table.", profiles=TMS_ONLY)


def check_pose_column(table, name: str, what: str, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every pose of ``table[name]`` passes ndx-tms ``pose_row_problems`` (the one pose rule), chunk by chunk."""
    from ndx_tms.vocabulary import pose_row_problems  # imported when used: files without TMS data never load it

    if not has_column(table, name):
        return
    first, count, reason = None, 0, ""
    for start, block in iter_rows(table[name].data, chunk_elements=chunk_elements):
        problems = pose_row_problems(np.asarray(block, dtype=float).reshape(-1, 4, 4))
        bad = np.flatnonzero(problems != None)  # noqa: E711 (elementwise on an object array)
        count += bad.size
        if bad.size and first is None:
            first, reason = start + int(bad[0]), problems[bad[0]]
    if count:
        yield TMS_POSE.hit(f"{count} {what} pose(s) invalid; first at row {first}: pose {reason}",
                           location=column_path(table, name), index=first, count=count)


@register_check(TMS_POSE, neurodata_type="TMSExperimentMetadata")
def check_poses(metadata, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every target pose and every measured (per-pulse) coil pose is a valid pose."""
    targets, pulses = metadata.targets, getattr(metadata, "pulses", None)
    if targets is not None:
        yield from check_pose_column(targets, "coil_pose", "target coil", chunk_elements=chunk_elements)
    if pulses is not None:
        yield from check_pose_column(pulses, "measured_coil_pose", "measured coil", chunk_elements=chunk_elements)


@register_check(TMS_COORDINATE_SPACE, neurodata_type="TMSExperimentMetadata")
def check_coordinate_spaces(metadata) -> Iterator[Hit]:
    """Coordinates (targets, measured poses) come with a declared TMSCoordinateSpace that every target refers to."""
    targets, pulses = metadata.targets, getattr(metadata, "pulses", None)
    spaces = list(getattr(metadata, "tms_coordinate_spaces", {}).values()) if hasattr(
        metadata, "tms_coordinate_spaces") else []
    has_coordinates = (targets is not None and len(targets) > 0) or (
        pulses is not None and has_column(pulses, "measured_coil_pose"))
    if has_coordinates and not spaces:
        yield TMS_COORDINATE_SPACE.hit("targets or poses have coordinates but no TMSCoordinateSpace is declared",
                                       location=object_path(metadata))
    if targets is not None and has_column(targets, "coordinate_space"):
        yield from _space_references(targets)


def _space_references(targets) -> Iterator[Hit]:
    data = unwrap(targets["coordinate_space"].data)
    location = column_path(targets, "coordinate_space")
    for i in range(len(targets)):
        if isinstance(data, h5py.Dataset):
            ref = data[i]
            kind = data.file[ref].attrs.get("neurodata_type", "") if ref else ""
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        else:
            kind = type(data[i]).__name__
        if kind != "TMSCoordinateSpace":
            yield TMS_COORDINATE_SPACE.hit(f"target row {i} has no valid coordinate space reference "
                                           f"({kind or 'null'})", location=location, index=i)
