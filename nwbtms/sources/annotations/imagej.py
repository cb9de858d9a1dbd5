"""Fiji/ImageJ ROI Manager sets (``RoiSet.zip``, or one ``.roi``) read with the ``roifile`` library.

Kinds follow the ROI type (ImageJ's ``Roi`` types, as ``roifile.ROI_TYPE`` names them):

- point (one point per ROI): a spine;
- polyline, freeline, line: a dendrite; its length is the summed 3-D length of the trace;
- oval, polygon, rectangle, freehand, traced: a spine when its name states a parent (``d01:s07``, see
  :mod:`nwbtms.sources.annotations.model`), else a soma.

The ROI name is the key. Coordinates are pixels of the annotated image; they become µm with the stack's
pixel size, and the ROI's slice (``z_position`` of a hyperstack, else ``position`` of a stack; 1-based)
becomes z with its slice spacing.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.annotations.model import Annotation, AnnotationSet, parent_from_name, path_length_um
from nwbtms.sources.registry import Reader, head_bytes

_LINES = {"POLYLINE", "FREELINE", "LINE"}
_AREAS = {"OVAL": "oval", "POLYGON": "polygon", "RECT": "polygon", "FREEHAND": "polygon", "TRACED": "polygon"}


#: Bounds of a ROI set: members and uncompressed bytes (a real set of thousands of ROIs is a few MB).
MAX_ROIS = 200_000
MAX_SET_BYTES = 256 * 1024 * 1024


def _check_zip(path: Path) -> None:
    """Refuse a ``.zip`` whose members would not fit the bounds once inflated (before roifile reads it)."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    size = sum(m.file_size for m in members)
    if len(members) > MAX_ROIS or size > MAX_SET_BYTES:
        raise SourceError(f"ROI set of {len(members)} member(s), {size / 1e6:.0f} MB uncompressed, exceeds "
                          f"{MAX_ROIS} ROIs / {MAX_SET_BYTES // (1024 * 1024)} MB", file=path,
                          hint="is this a Fiji ROI Manager set? split it per stack")


def _read_rois(path: Path) -> list:
    import roifile

    _check_zip(path)

    try:
        rois = roifile.roiread(path)
    except Exception as exc:  # roifile raises ValueError/struct.error/zipfile errors on broken files
        raise SourceError(f"not an ImageJ ROI file ({type(exc).__name__}: {exc})", file=path,
                          hint="export the ROI Manager with More > Save... (RoiSet.zip or .roi)") from exc
    return rois if isinstance(rois, list) else [rois]


def read_imagej_rois(path: str | Path, *, pixel_size_um: tuple[float, float] | float | None = None,
                     z_step_um: float | None = None, strict_z: bool = True) -> AnnotationSet:
    """Read an ImageJ ROI set into :class:`AnnotationSet`.

    Parameters
    ----------
    path : path
        ``RoiSet.zip`` or a single ``.roi``.
    pixel_size_um : (float, float) or float, optional
        ``(row, col)`` pixel size of the annotated image; default 1 (coordinates stay in pixels).
    z_step_um : float, optional
        Slice spacing of the annotated stack; required when ROIs name a slice other than the first.
    strict_z : bool
        With False, an unknown slice spacing leaves ``z_um`` NaN instead of raising (to look at a set
        without its stack, e.g. ``nwbtms inspect``).

    Raises
    ------
    SourceError
        Unreadable file, an unnamed or duplicated ROI, a multi-point ROI, an unsupported ROI type.
    InputError
        A ROI on slice > 1 without ``z_step_um``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("annotation file not found", file=path)
    if pixel_size_um is None:
        row_um = col_um = 1.0
    else:
        row_um, col_um = (float(v) for v in np.broadcast_to(np.asarray(pixel_size_um, dtype=float), (2,)))
    annotations: list[Annotation] = []
    seen: set[str] = set()
    rois = _read_rois(path)
    for index, roi in enumerate(rois):
        key = (roi.name or "").strip()
        where = f"{path.name}: ROI {index} ({key or 'unnamed'})"
        if not key:
            raise SourceError(f"ROI {index} has no name; the name is its key across days", file=path,
                              field=f"ROI {index}", hint="rename it in the ROI Manager (Rename...)")
        if key in seen:
            raise SourceError(f"two ROIs are named {key!r}", file=path, field=key,
                              hint="a ROI name identifies one structure; rename one of them")
        seen.add(key)
        type_name = getattr(roi.roitype, "name", str(roi.roitype))
        xy = np.asarray(roi.coordinates(), dtype=float).reshape(-1, 2)
        if xy.size == 0:
            raise SourceError(f"ROI {key!r} ({type_name}) has no coordinates", file=path, field=key)
        slice_number = int(roi.z_position or roi.position or 0)
        if slice_number > 1 and z_step_um is None and strict_z:
            raise InputError(f"ROI {key!r} is on slice {slice_number} but the slice spacing is unknown",
                             file=path, field="z_step_um",
                             hint="give the stack's z step (the volume's, or the source option z_step_um)")
        if slice_number <= 1:
            z_um = 0.0
        else:
            z_um = float("nan") if z_step_um is None else (slice_number - 1) * float(z_step_um)
        vertices = np.column_stack([xy[:, 0] * col_um, xy[:, 1] * row_um, np.full(len(xy), z_um)])
        parent = parent_from_name(key)
        length = None
        if type_name == "POINT":
            if len(xy) != 1:
                raise SourceError(f"point ROI {key!r} holds {len(xy)} points; one spine per ROI", file=path,
                                  field=key, hint="split it (ROI Manager > More > Split) and name each point")
            kind, shape = "spine", "point"
        elif type_name in _LINES:
            kind, shape = "dendrite", "polyline"
            length = path_length_um(vertices)
        elif type_name in _AREAS:
            shape = _AREAS[type_name]
            kind = "spine" if parent is not None else "soma"
        else:
            raise SourceError(f"ROI {key!r} is of type {type_name}, which nwbtms does not read", file=path,
                              field=key, hint="use point, oval, polygon or polyline ROIs")
        x, y = ((vertices[0, 0], vertices[0, 1]) if shape in ("point", "polyline")
                else (float(vertices[:, 0].mean()), float(vertices[:, 1].mean())))
        annotations.append(Annotation(key=key, kind=kind, parent_key=parent, x_um=float(x), y_um=float(y),
                                      z_um=z_um, length_in_um=length, vertices_um=vertices, shape=shape,
                                      where=where))
    return AnnotationSet(path=path, reader="imagej_rois", annotations=annotations,
                         pixel_size_um=None if pixel_size_um is None else (row_um, col_um), z_step_um=z_step_um)


__all__ = ["read_imagej_rois"]


class ImageJRoisReader(Reader):
    """ImageJ/Fiji ROI sets as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "imagej_rois"
    kind = "annotations"
    display_name = "ImageJ/Fiji ROIs"
    suffixes = (".zip", ".roi")
    info = "Fiji/ImageJ RoiSet.zip or single .roi files (read with roifile); names are the ROI keys."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A ``.roi`` with ImageJ's ``Iout`` signature, or a zip whose members are all ``.roi`` files."""
        if path.suffix.lower() == ".roi":
            return head_bytes(path, 4) == b"Iout"
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (OSError, zipfile.BadZipFile):
            return False
        return bool(names) and all(n.lower().endswith(".roi") for n in names)

    @classmethod
    def open(cls, path: str | Path, *, pixel_size_um: tuple[float, float] | float | None = None,
             z_step_um: float | None = None, strict_z: bool = True) -> AnnotationSet:
        return read_imagej_rois(path, pixel_size_um=pixel_size_um, z_step_um=z_step_um, strict_z=strict_z)
