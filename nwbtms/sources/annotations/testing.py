"""Write annotation files in their real formats for tests, benches and the example (ImageJ via roifile)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def write_imagej_roiset(path: str | Path, rois: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``RoiSet.zip`` (or one ``.roi``) with roifile.

    Each entry: ``name``, ``type`` (``point``, ``oval``, ``polygon``, ``polyline``), ``points`` (``(n, 2)``
    x, y in pixels; an oval's bounding box corners for ``oval``) and ``slice`` (1-based, optional).
    """
    import roifile

    path = Path(path)
    made = []
    for entry in rois:
        points = np.asarray(entry["points"], dtype=np.float32).reshape(-1, 2)
        kind = entry["type"]
        if kind == "oval":
            (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
            roi = roifile.ImagejRoi(roitype=roifile.ROI_TYPE.OVAL, left=int(left), top=int(top),
                                    right=int(right), bottom=int(bottom))
        else:
            roi = roifile.ImagejRoi.frompoints(points)
            roi.roitype = {"point": roifile.ROI_TYPE.POINT, "polygon": roifile.ROI_TYPE.POLYGON,
                           "polyline": roifile.ROI_TYPE.POLYLINE}[kind]
        roi.name = entry["name"]
        if entry.get("slice"):
            roi.position = int(entry["slice"])
        made.append(roi)
    if path.suffix.lower() == ".roi":
        made[0].tofile(path)
    else:
        roifile.roiwrite(path, made, mode="w")
    return path


def write_annotation_csv(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write an annotation CSV (header ``key,kind,parent_key,x_um,y_um,z_um,length_in_um,cell_type``)."""
    columns = ["key", "kind", "parent_key", "x_um", "y_um", "z_um", "length_in_um", "cell_type"]
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return path


__all__ = ["write_annotation_csv", "write_imagej_roiset"]
