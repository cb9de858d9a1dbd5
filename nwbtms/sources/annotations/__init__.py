"""Hand annotations of spines, dendrites and somata: Fiji/ImageJ ROI sets and a documented CSV.

``open_annotations(path)`` picks the reader by suffix (``.zip``/``.roi``: ImageJ via ``roifile``;
``.csv``: :mod:`nwbtms.sources.annotations.csv_table`) and returns an :class:`AnnotationSet`. The naming
convention that links a spine to its dendrite is in :mod:`nwbtms.sources.annotations.model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nwbtms.errors import InputError
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

#: reader name -> file suffixes it reads
READERS = {"imagej_rois": (".zip", ".roi"), "annotation_csv": (".csv",)}


def detect_annotation_reader(path: str | Path) -> str | None:
    """``imagej_rois`` or ``annotation_csv`` by suffix, or None."""
    suffix = Path(path).suffix.lower()
    return next((name for name, suffixes in READERS.items() if suffix in suffixes), None)


def open_annotations(path: str | Path, *, reader: str | None = None, **options: Any) -> AnnotationSet:
    """Read an annotation file; ``options`` go to the reader (``pixel_size_um``, ``z_step_um`` for ImageJ).

    Raises
    ------
    InputError
        Unknown suffix or reader, or options the reader does not take.
    """
    reader = reader or detect_annotation_reader(path)
    if reader == "imagej_rois":
        unknown = set(options) - {"pixel_size_um", "z_step_um", "strict_z"}
        if unknown:
            raise InputError(f"unknown option(s) {sorted(unknown)} for ImageJ ROI sets", file=path,
                             hint="options: pixel_size_um, z_step_um")
        return read_imagej_rois(path, **options)
    if reader == "annotation_csv":
        if options:
            raise InputError(f"the annotation CSV takes no options, got {sorted(options)}", file=path)
        return read_annotation_csv(path)
    raise InputError("not an annotation file nwbtms reads", file=path, field="reader",
                     hint="use an ImageJ RoiSet.zip / .roi or an annotation CSV (.csv)")


__all__ = [
    "PARENT_SEPARATOR", "READERS", "ROI_KINDS", "Annotation", "AnnotationSet", "detect_annotation_reader",
    "open_annotations", "parent_from_name", "path_length_um", "read_annotation_csv", "read_imagej_rois",
]
