"""Suite2p output folders (``suite2p/plane*/``): ROIs, traces and the ops, read without plain pickle.

``stat.npy`` (pickled list of per-ROI dicts: ``ypix``, ``xpix``, ``lam``, ``med``...) and ``ops.npy``
(pickled dict) go through :mod:`nwbtms.sources.segmentation.safe_pickle`; ``F.npy``, ``Fneu.npy``,
``spks.npy`` and ``iscell.npy`` are memory-mapped with ``allow_pickle=False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nwbtms.errors import Problem, SourceError
from nwbtms.sources.registry import Reader
from nwbtms.sources.segmentation.safe_pickle import load_npy_object

_PLANE_DIR = re.compile(r"^plane(\d+)$")


@dataclass
class Suite2pPlane:
    """One Suite2p plane folder.

    Attributes
    ----------
    folder : Path
        The ``plane<N>`` folder.
    plane_index : int
        ``N`` of ``plane<N>`` (0 when the folder is named otherwise).
    stat : list of dict
        Per-ROI statistics; ``ypix``, ``xpix``, ``lam`` are equal-length arrays (pixel mask).
    ops : dict
        Suite2p's options and results (``fs``, ``meanImg``, ``Ly``, ``Lx``...).
    F, Fneu, spks : numpy.ndarray
        ``(num_rois, num_frames)`` fluorescence, neuropil and deconvolved traces (memory-mapped).
    iscell : numpy.ndarray
        ``(num_rois, 2)``: classifier decision (0/1) and probability.
    F_chan2, Fneu_chan2, redcell : numpy.ndarray or None
        Second-channel traces and red-cell labels when present.
    """

    folder: Path
    plane_index: int
    stat: list[dict[str, Any]]
    ops: dict[str, Any]
    F: np.ndarray
    Fneu: np.ndarray
    spks: np.ndarray
    iscell: np.ndarray
    F_chan2: np.ndarray | None = None
    Fneu_chan2: np.ndarray | None = None
    redcell: np.ndarray | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def num_rois(self) -> int:
        """Number of ROIs."""
        return len(self.stat)

    @property
    def num_frames(self) -> int:
        """Frames per trace."""
        return int(self.F.shape[1])

    @property
    def frame_rate_hz(self) -> float | None:
        """``ops['fs']``: the per-plane frame rate Suite2p was given."""
        fs = self.ops.get("fs")
        return None if fs is None else float(fs)

    @property
    def frame_shape(self) -> tuple[int, int] | None:
        """``(Ly, Lx)`` of the registered movie."""
        if "Ly" in self.ops and "Lx" in self.ops:
            return int(self.ops["Ly"]), int(self.ops["Lx"])
        return None if self.mean_image is None else tuple(self.mean_image.shape)  # type: ignore[return-value]

    @property
    def mean_image(self) -> np.ndarray | None:
        """``ops['meanImg']``."""
        image = self.ops.get("meanImg")
        return None if image is None else np.asarray(image)

    @property
    def is_cell(self) -> np.ndarray:
        """Boolean classifier decision per ROI."""
        return self.iscell[:, 0].astype(bool)

    @property
    def cell_probability(self) -> np.ndarray:
        """Classifier probability per ROI."""
        return self.iscell[:, 1].astype(float)

    def pixel_mask(self, roi: int) -> np.ndarray:
        """``(n, 3)`` rows of ``(x, y, weight)`` for ROI ``roi`` (NWB PlaneSegmentation pixel mask order)."""
        return pixel_mask(self.stat[roi])

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of what was read."""
        return {
            "folder": str(self.folder), "plane_index": self.plane_index, "num_rois": self.num_rois,
            "num_cells": int(self.is_cell.sum()), "num_frames": self.num_frames,
            "frame_rate_hz": self.frame_rate_hz,
            "frame_shape": None if self.frame_shape is None else list(self.frame_shape),
            "has_chan2": self.F_chan2 is not None,
        }


def pixel_mask(roi_stat: dict[str, Any]) -> np.ndarray:
    """``(n, 3)`` rows of ``(x, y, weight)`` from one ``stat.npy`` entry's ``xpix``, ``ypix``, ``lam``."""
    return np.column_stack([np.asarray(roi_stat["xpix"], float), np.asarray(roi_stat["ypix"], float),
                            np.asarray(roi_stat["lam"], float)])


#: Trace files: ``(num_rois, num_frames)``; label files: ``(num_rois, 2)`` (Suite2p's output layout).
_TRACE_FILES = ("F", "Fneu", "spks", "F_chan2", "Fneu_chan2")
_LABEL_FILES = ("iscell", "redcell")


def check_plane_shapes(folder: str | Path, num_rois: int, arrays: dict[str, Any]) -> int:
    """Check that the arrays of a plane agree with ``stat.npy`` and with each other; return the frame count.

    Parameters
    ----------
    folder : path
        The plane folder (file names in messages are ``<folder>/<key>.npy``).
    num_rois : int
        ROIs in ``stat.npy``.
    arrays : dict
        ``F``, ``Fneu``, ``spks``, ``iscell`` and optionally ``F_chan2``, ``Fneu_chan2``, ``redcell``
        (None or absent: not present).

    Raises
    ------
    SourceError
        Naming the first file whose shape is wrong (``file=``), with every disagreement listed.
    """
    folder = Path(folder)
    traces = [np.shape(arrays[k]) for k in ("F", "Fneu", "spks") if len(np.shape(arrays.get(k))) == 2]
    lengths = [shape[1] for shape in traces]
    num_frames = max(set(lengths), key=lengths.count) if lengths else -1
    problems = []
    for key in _TRACE_FILES + _LABEL_FILES:
        if arrays.get(key) is None:
            continue
        shape = tuple(np.shape(arrays[key]))
        expected = (num_rois, 2) if key in _LABEL_FILES else (num_rois, num_frames)
        if shape != expected:
            what = "2 columns" if key in _LABEL_FILES else f"{num_frames} frames as in most trace files"
            problems.append(Problem(f"{key}.npy has shape {shape}, expected {expected} ({num_rois} ROIs as in "
                                    f"stat.npy, {what})", file=str(folder / f"{key}.npy")))
    if problems:
        first = problems[0]
        raise SourceError(
            f"Suite2p arrays disagree on the number of ROIs or frames: {first.message}", file=first.file,
            hint="the files come from different Suite2p runs; re-run Suite2p or copy the folder again",
            problems=problems if len(problems) > 1 else None,
        )
    return num_frames


def _load_array(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise SourceError(f"cannot read array: {exc}", file=path,
                          hint="Suite2p trace files hold plain numeric arrays") from exc


def _check_stat(stat: list[Any], path: Path) -> list[dict[str, Any]]:
    for i, roi in enumerate(stat):
        if not isinstance(roi, dict):
            raise SourceError(f"entry {i} is a {type(roi).__name__}, expected a dict", file=path,
                              field=f"stat[{i}]")
        for key in ("ypix", "xpix", "lam"):
            if key not in roi:
                raise SourceError(f"ROI {i} has no {key!r}", file=path, field=f"stat[{i}].{key}")
        lengths = {key: len(np.atleast_1d(roi[key])) for key in ("ypix", "xpix", "lam")}
        if len(set(lengths.values())) != 1:
            raise SourceError(f"ROI {i} has pixel arrays of different lengths {lengths}", file=path,
                              field=f"stat[{i}]")
    return list(stat)


def read_suite2p_plane(folder: str | Path) -> Suite2pPlane:
    """Read one ``plane<N>`` folder.

    Raises
    ------
    SourceError
        A required file is missing, a pickle is unsafe or corrupt, or the arrays disagree on the
        number of ROIs or frames (every disagreement is listed, naming the files).
    """
    folder = Path(folder)
    names = {key: folder / f"{key}.npy" for key in ("stat", "ops", "F", "Fneu", "spks", "iscell")}
    missing = [p.name for p in names.values() if not p.is_file()]
    if missing:
        raise SourceError(f"Suite2p plane folder lacks {', '.join(missing)}", file=folder,
                          hint="point at suite2p/ or suite2p/plane<N>/ of a finished Suite2p run")
    stat = _check_stat(list(load_npy_object(names["stat"])), names["stat"])
    ops_array = load_npy_object(names["ops"])
    ops = ops_array.item() if ops_array.shape == () else None
    if not isinstance(ops, dict):
        raise SourceError("ops.npy does not hold a dict", file=names["ops"])
    arrays = {key: _load_array(names[key]) for key in ("F", "Fneu", "spks", "iscell")}
    optional = {}
    for key in ("F_chan2", "Fneu_chan2", "redcell"):
        path = folder / f"{key}.npy"
        if path.is_file():
            names[key] = path
            optional[key] = _load_array(path)

    check_plane_shapes(folder, len(stat), {**arrays, **optional})
    match = _PLANE_DIR.match(folder.name)
    return Suite2pPlane(
        folder=folder, plane_index=int(match.group(1)) if match else 0, stat=stat, ops=ops,
        F=arrays["F"], Fneu=arrays["Fneu"], spks=arrays["spks"], iscell=arrays["iscell"],
        F_chan2=optional.get("F_chan2"), Fneu_chan2=optional.get("Fneu_chan2"),
        redcell=optional.get("redcell"), files=names,
    )


def is_suite2p_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is a Suite2p plane folder or a folder of ``plane<N>`` folders."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    if (folder / "stat.npy").is_file():
        return True
    return any((p / "stat.npy").is_file() for p in folder.glob("plane*")) or any(
        (p / "stat.npy").is_file() for p in folder.glob("suite2p/plane*"))


def read_suite2p(folder: str | Path) -> Suite2pPlane | list[Suite2pPlane]:
    """Read a Suite2p plane folder (one :class:`Suite2pPlane`) or a ``suite2p/`` folder (a list by plane).

    A folder that contains ``suite2p/`` is accepted too. The ``combined`` folder is skipped.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError("Suite2p folder not found", file=folder)
    if (folder / "stat.npy").is_file() or (folder / "F.npy").is_file():
        return read_suite2p_plane(folder)
    if not any(_PLANE_DIR.match(p.name) for p in folder.iterdir()) and (folder / "suite2p").is_dir():
        folder = folder / "suite2p"
    planes = sorted((p for p in folder.iterdir() if p.is_dir() and _PLANE_DIR.match(p.name)),
                    key=lambda p: int(_PLANE_DIR.match(p.name).group(1)))  # type: ignore[union-attr]
    if not planes:
        raise SourceError("no plane<N>/ folders and no stat.npy", file=folder,
                          hint="point at suite2p/ or suite2p/plane<N>/ of a finished Suite2p run")
    return [read_suite2p_plane(p) for p in planes]


class Suite2pReader(Reader):
    """Suite2p output folders as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "suite2p"
    kind = "segmentation"
    display_name = "Suite2p"
    folder = True
    info = "Suite2p output: a plane<N>/ folder (stat.npy, ops.npy, F.npy, Fneu.npy, spks.npy, iscell.npy) or suite2p/."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A plane folder: ``stat.npy`` and ``ops.npy`` side by side."""
        return path.is_dir() and (path / "stat.npy").is_file() and (path / "ops.npy").is_file()

    @classmethod
    def open(cls, path: str | Path) -> Suite2pPlane | list[Suite2pPlane]:
        return read_suite2p(path)
