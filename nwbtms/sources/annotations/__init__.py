"""Hand annotations of spines, dendrites and somata: Fiji/ImageJ ROI sets and a documented CSV.

``open_annotations(path)`` picks the reader (kind ``annotations`` of :mod:`nwbtms.sources.registry`) by
suffix (``.zip``/``.roi``: ImageJ via ``roifile``;
``.csv``: :mod:`nwbtms.sources.annotations.csv_table`) and returns an :class:`AnnotationSet`. The naming
convention that links a spine to its dendrite is in :mod:`nwbtms.sources.annotations.model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbtms.errors import InputError
from nwbtms.sources import registry
from nwbtms.sources.annotations.csv_table import read_annotation_csv
from nwbtms.sources.annotations.imagej import read_imagej_rois
from nwbtms.sources.annotations.model import (
    PARENT_SEPARATOR,
    ROI_KINDS,
    Annotation,
    AnnotationSet,
    parent_from_name,
    path_length_um,
)


def detect_annotation_reader(path: str | Path) -> str | None:
    """The annotation reader (``imagej_rois``, ``annotation_csv``) whose suffix ``path`` has, or None."""
    path = Path(path)
    return next((cls.name for cls in registry.readers("annotations") if path.suffix.lower() in cls.suffixes), None)


def open_annotations(path: str | Path, *, reader: str | None = None, **options: Any) -> AnnotationSet:
    """Read an annotation file; ``options`` go to the reader (``pixel_size_um``, ``z_step_um`` for ImageJ).

    Raises
    ------
    InputError
        Unknown suffix or reader, or options the reader does not take.
    """
    reader = reader or detect_annotation_reader(path)
    if reader not in registry.reader_names("annotations"):
        raise InputError("not an annotation file nwbtms reads", file=path, field="reader",
                         hint="use an ImageJ RoiSet.zip / .roi or an annotation CSV (.csv)")
    return registry.open_source(reader, path, **options)


__all__ = [
    "PARENT_SEPARATOR", "ROI_KINDS", "Annotation", "AnnotationSet", "detect_annotation_reader",
    "open_annotations", "parent_from_name", "path_length_um", "read_annotation_csv", "read_imagej_rois",
]
