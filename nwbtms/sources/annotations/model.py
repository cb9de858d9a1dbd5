"""What an annotation file says: ROIs with a key, a kind, a parent and a position in micrometres.

The key of a ROI is its identity across days: the same spine carries the same key in every session's
file. Kinds are ``soma``, ``dendrite`` and ``spine``. A spine's parent is its dendrite; a dendrite's
parent may be its soma.

**Naming convention** (ImageJ ROI names, and CSV rows without ``parent_key``): the parent of a ROI named
``A:B`` is the ROI named ``A`` (everything before the last colon), e.g. dendrite ``n1:d01`` of soma
``n1`` and spine ``n1:d01:s07`` of that dendrite. A colon is used because ImageJ's automatic names
(``0012-0345-0067``: slice, y, x) contain hyphens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROI_KINDS = ("soma", "dendrite", "spine")
#: Separator of the parent prefix in a ROI name (see the module docstring).
PARENT_SEPARATOR = ":"


def parent_from_name(key: str) -> str | None:
    """The parent key a name states by the convention (``"d01:s07"`` -> ``"d01"``), or None."""
    head, sep, tail = key.rpartition(PARENT_SEPARATOR)
    return head if sep and head and tail else None


@dataclass(frozen=True)
class Annotation:
    """One hand-annotated ROI.

    Attributes
    ----------
    key : str
        Identity across sessions (the ImageJ ROI name or the CSV ``key``).
    kind : str
        ``soma``, ``dendrite`` or ``spine``.
    parent_key : str or None
        Key of the dendrite (of a spine) or soma (of a dendrite).
    x_um, y_um, z_um : float
        Position in the stack (µm from the first voxel's centre): the point, the centroid of an outline,
        or the first vertex of a traced dendrite.
    length_in_um : float or None
        Traced length of a dendrite (sum of its 3-D segment lengths, or the CSV value); None otherwise.
    vertices_um : numpy.ndarray
        ``(n, 3)`` x, y, z in µm: one row for a point, the outline of an oval or polygon, the trace of a
        polyline.
    shape : str
        ``point``, ``oval``, ``polygon``, ``polyline`` or ``csv``.
    cell_type : str or None
        Cell type label when the file gives one per ROI (CSV column ``cell_type``).
    where : str
        Where it was read (``RoiSet.zip: d01`` or ``spines.csv:12``), for messages.
    """

    key: str
    kind: str
    parent_key: str | None
    x_um: float
    y_um: float
    z_um: float
    length_in_um: float | None = None
    vertices_um: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    shape: str = "point"
    cell_type: str | None = None
    where: str = ""


@dataclass
class AnnotationSet:
    """Every ROI of one annotated stack, in file order.

    Attributes
    ----------
    path : Path
    reader : str
        ``imagej_rois`` or ``annotation_csv``.
    annotations : list of Annotation
    pixel_size_um : (float, float) or None
        ``(row, col)`` pixel size used to turn ImageJ pixel coordinates into µm.
    z_step_um : float or None
        Slice spacing used for ImageJ slice positions.
    """

    path: Path
    reader: str
    annotations: list[Annotation]
    pixel_size_um: tuple[float, float] | None = None
    z_step_um: float | None = None

    def __len__(self) -> int:
        return len(self.annotations)

    @property
    def keys(self) -> list[str]:
        """ROI keys in file order."""
        return [a.key for a in self.annotations]

    def missing_parents(self) -> list[Annotation]:
        """ROIs whose parent key names no ROI of this set."""
        keys = set(self.keys)
        return [a for a in self.annotations if a.parent_key is not None and a.parent_key not in keys]

    def summary(self) -> dict[str, Any]:
        """What ``nwbtms inspect`` prints: ``kind: annotations``, ``rois``, ``keys`` and counts per kind."""
        return {
            "kind": "annotations",
            "reader": self.reader,
            "path": str(self.path),
            "rois": len(self.annotations),
            "by_kind": dict(sorted(Counter(a.kind for a in self.annotations).items())),
            "keys": self.keys,
            "missing_parents": [a.key for a in self.missing_parents()],
            "pixel_size_um": None if self.pixel_size_um is None else list(self.pixel_size_um),
            "z_step_um": self.z_step_um,
        }


def path_length_um(vertices_um: np.ndarray) -> float:
    """Summed length of the segments joining ``(n, 3)`` vertices (µm)."""
    if len(vertices_um) < 2:
        return 0.0
    return float(np.sum(np.linalg.norm(np.diff(np.asarray(vertices_um, dtype=float), axis=0), axis=1)))


__all__ = ["PARENT_SEPARATOR", "ROI_KINDS", "Annotation", "AnnotationSet", "parent_from_name", "path_length_um"]
