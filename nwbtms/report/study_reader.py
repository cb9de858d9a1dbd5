"""Read a folder of NWB files for the study page: one task per file, each returning a small picklable summary.

Per file (:func:`read_study_session`, h5py only): the session's keyed ROIs and the subject's condition
(:meth:`nwbtms.spines.read.SessionRois.as_dict`), the design facts (:func:`nwbtms.nwb.design_read.read_design`:
effectors and ligand injections), the scored behaviour (``intervals/behavior``, as :mod:`nwbtms.nwb.behavior`
writes it: one row per test, one float column per measure whose description names its unit) and the
pulse-aligned fiber photometry response of each demodulated signal
(:func:`nwbtms.photometry.read_pulse_aligned_responses`). :func:`study_task` also writes the session's own page
(:func:`nwbtms.report.build.write_report`) when asked, so reading and drawing a file are one task.

:func:`read_study` runs the tasks through :func:`nwbtms.parallel.map_files` (serially, ``jobs`` local
workers or a dask ``scheduler``) and returns the summaries in file order, so the page is the same whichever
way it ran. A file that cannot be read is kept with its error (the page lists it) instead of stopping the
others.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nwbtms.errors import InputError, NwbtmsError
from nwbtms.io.h5read import text

#: Columns of ``intervals/behavior`` that are not scored measures.
BEHAVIOR_FIXED = ("start_time", "stop_time", "test", "behavior_session", "start_date", "day_from_session", "id",
                  "tags", "tags_index", "timeseries", "timeseries_index")
_UNIT = re.compile(r", in (.+?) \(NaN")
#: Most samples kept of a pulse-aligned response (longer ones: time, mean and SEM each averaged in equal bins),
#: so a task's result stays small whatever the photometry sampling rate.
MAX_RESPONSE_SAMPLES = 1000


@dataclass
class StudySession:
    """The study page's summary of one file."""

    path: str
    #: path relative to the study folder (posix)
    relative: str
    rois: Any = None  # nwbtms.spines.read.SessionRois
    effectors: dict[str, str] = field(default_factory=dict)
    ligand_injections: tuple[str, ...] = ()
    #: one dict per scored value: subject, behavior_session, test, start_date, measure, unit, value
    behavior: list[dict[str, Any]] = field(default_factory=list)
    #: one dict per demodulated signal: fiber, cell_type, excitation_wavelength_in_nm, unit, series, time_s, mean,
    #: sem, n_pulses
    photometry: list[dict[str, Any]] = field(default_factory=list)
    #: why the photometry of a readable file could not be read, if so
    photometry_error: str | None = None
    #: the session page written for this file (absolute path), if any
    page: str | None = None
    page_errors: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def subject_id(self) -> str:
        """The subject ID ('' when unread)."""
        return self.rois.subject_id if self.rois is not None else ""

    @property
    def session_id(self) -> str:
        """The session ID, else the file name."""
        return self.rois.label if self.rois is not None else Path(self.relative).stem


def read_behavior(h5: h5py.File) -> list[dict[str, Any]]:
    """Every scored value of ``intervals/behavior`` (empty when the file has none)."""
    table = h5.get("intervals/behavior")
    if not isinstance(table, h5py.Group) or "test" not in table:
        return []
    subject = text(h5["general/subject/subject_id"][()]) if "general/subject/subject_id" in h5 else ""

    def column(name: str) -> list[str]:
        return [text(v) for v in table[name][()]] if isinstance(table.get(name), h5py.Dataset) else []

    tests = column("test")
    sessions = column("behavior_session") or [""] * len(tests)
    dates = column("start_date") or [""] * len(tests)
    out = []
    for name, node in table.items():
        if name in BEHAVIOR_FIXED or not isinstance(node, h5py.Dataset) or node.dtype.kind != "f" \
                or node.shape != (len(tests),):
            continue
        match = _UNIT.search(text(node.attrs.get("description", "")))
        unit = match.group(1) if match else ""
        for i, value in enumerate(node[()]):
            if math.isfinite(float(value)):
                out.append({"subject": subject, "behavior_session": sessions[i], "test": tests[i],
                            "start_date": dates[i], "measure": name, "unit": unit, "value": float(value)})
    return out


def read_photometry(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Pulse-aligned photometry responses of one file (:func:`nwbtms.photometry.read_pulse_aligned_responses`,
    its default window, dF/F) as plain values, one per demodulated signal."""
    from nwbtms.photometry.response import read_pulse_aligned_responses

    out = []
    for response in read_pulse_aligned_responses(path):
        time_s, mean, sem = (_binned(np.asarray(a, dtype=float)) for a in (response.time_s, response.mean,
                                                                             response.sem))
        out.append({"fiber": str(response.fiber), "cell_type": response.cell_type or "",
                    "excitation_wavelength_in_nm": float(response.excitation_wavelength_in_nm),
                    "unit": response.unit, "series": response.series, "time_s": time_s.tolist(),
                    "mean": mean.tolist(), "sem": sem.tolist(), "n_pulses": int(response.n_pulses),
                    "aligned_to": response.aligned_to})
    return out


def _binned(values: np.ndarray) -> np.ndarray:
    """``values`` averaged in equal bins down to at most :data:`MAX_RESPONSE_SAMPLES` (NaN ignored)."""
    if values.size <= MAX_RESPONSE_SAMPLES:
        return values
    step = -(-values.size // MAX_RESPONSE_SAMPLES)
    padded = np.full(step * -(-values.size // step), np.nan)
    padded[: values.size] = values
    blocks = padded.reshape(-1, step)
    counts = np.isfinite(blocks).sum(axis=1)
    sums = np.nansum(blocks, axis=1)
    return np.divide(sums, counts, out=np.full(blocks.shape[0], np.nan), where=counts > 0)


def read_study_session(path: str | os.PathLike, relative: str) -> StudySession:
    """Everything the study page needs of one file (see the module docstring).

    Raises
    ------
    NwbtmsError
        The file is not a readable NWB file.
    """
    from nwbtms.nwb.design_read import read_design
    from nwbtms.spines.read import read_session_rois

    rois = read_session_rois(path)
    design = read_design(path)
    with h5py.File(path, "r") as h5:
        behavior = read_behavior(h5)
    session = StudySession(path=str(path), relative=relative, rois=rois, effectors=dict(design.effectors),
                           ligand_injections=tuple(design.ligand_injections), behavior=behavior)
    try:
        session.photometry = read_photometry(path)
    except Exception as exc:  # noqa: BLE001 - the file's other data stay on the page
        session.photometry_error = f"{type(exc).__name__}: {exc}"
    return session


def _encode(session: StudySession) -> dict[str, Any]:
    values = dict(vars(session))
    values["rois"] = session.rois.as_dict() if session.rois is not None else None
    return values


def decode(values: dict[str, Any]) -> StudySession:
    """The :class:`StudySession` a task returned (see :func:`study_task`)."""
    from nwbtms.spines.read import SessionRois

    values = dict(values)
    values["rois"] = SessionRois.from_dict(values["rois"]) if values.get("rois") is not None else None
    values["ligand_injections"] = tuple(values.get("ligand_injections") or ())
    return StudySession(**values)


def study_task(path: str, *, root: str, pages: str | None = None, overwrite: bool = False,
               validate: bool = True) -> dict[str, Any]:
    """One file's task: read it and, with ``pages``, write its session page under ``pages`` (at the file's
    path relative to ``root``, ``.html``). Returns plain values (:func:`decode`); an nwbtms error or a
    failed page is recorded in the result, never raised."""
    relative = Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else Path(path).name
    try:
        session = read_study_session(path, relative)
    except NwbtmsError as exc:
        return _encode(StudySession(path=str(path), relative=relative, error=str(exc)))
    if pages is not None:
        from nwbtms.report.build import write_report

        target = page_path(Path(pages), relative)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            report = write_report(path, target, overwrite=overwrite, validate=validate, quiet=True)
            session.page, session.page_errors = str(target), list(report.errors)
        except NwbtmsError as exc:
            session.page_errors = [f"page not written: {exc}"]
    return _encode(session)


def page_path(pages: Path, relative: str) -> Path:
    """Where the session page of the file at ``relative`` goes: ``pages/<relative>.html``."""
    return pages / Path(relative).with_suffix(".html")


def read_study(files: list[Path], root: Path, *, pages: Path | None = None, overwrite: bool = False,
               validate: bool = True, jobs: int = 1, scheduler: str | None = None,
               ledger: str | os.PathLike | None = None, quiet: bool = False) -> list[StudySession]:
    """:func:`study_task` of every file, one task per file, the summaries in the order of ``files``.

    With ``ledger`` (a folder), each file's summary is kept (:class:`nwbtms.parallel.FileLedger`, keyed by the
    file and the nwbtms version, the pages folder and ``validate``); a re-run takes unchanged files from it and
    does not draw their pages again, unless a page is missing.

    Raises
    ------
    InputError
        No file could be read.
    """
    from nwbtms._version import __version__
    from nwbtms.parallel import FileLedger, map_files
    from nwbtms.progress import progress

    task = functools.partial(study_task, root=str(root), pages=None if pages is None else str(pages),
                             overwrite=overwrite, validate=validate)
    book = None
    if ledger is not None:
        key = f"nwbtms {__version__} study page; pages {pages}; validate {validate}"
        book = FileLedger(Path(ledger), key)
    items = [str(f) for f in files]
    done = {}
    runs = map_files(task, items, jobs=jobs, scheduler=scheduler, ledger=book)
    for finished in progress(runs, total=len(items), desc="study", unit="file", quiet=quiet):
        done[finished.item] = finished
    sessions = []
    for item in dict.fromkeys(items):
        finished = done[item]
        if finished.error is not None:
            relative = Path(item).relative_to(root).as_posix() if Path(item).is_relative_to(root) else item
            sessions.append(StudySession(path=item, relative=relative, error=finished.error))
            continue
        session = decode(finished.result)
        if finished.resumed and pages is not None and not (session.page and Path(session.page).is_file()):
            result = task(item)  # the ledger has the summary but the page is gone: draw it again
            if book is not None:
                book.store(item, result)
            session = decode(result)
        sessions.append(session)
    if not any(s.error is None for s in sessions):
        raise InputError("no NWB file of the folder could be read", file=str(root),
                         hint=f"first problem: {sessions[0].error}" if sessions else None)
    return sessions


__all__ = ["StudySession", "decode", "page_path", "read_behavior", "read_photometry", "read_study",
           "read_study_session", "study_task"]
