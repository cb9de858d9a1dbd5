"""Read the ROI identity columns and the session facts of NWB files with h5py, nothing else.

Any ``PlaneSegmentation`` with a ``roi_key`` column counts, whichever converter wrote it: ``roi_kind``
(default ``soma``), the parent (``parent_roi`` row index, else the ``parent_key`` text column),
``dendrite_length_in_um`` (NaN when absent) and ``cell_type`` (a region into the CellTypesTable in
``/general/tms``, read as the type's ``label``), and the subject's condition factors (``/general/study_design``,
:func:`nwbtms.nwb.design_read.read_condition`). Only these columns are read, in bounded slices; masks
and movies are never touched, so a file's cost is a few small reads whatever its size.

:func:`read_sessions` reads many files, one task per file (:func:`nwbtms.parallel.map_files`: serially, on a
local cluster with ``jobs`` or on a dask scheduler), each task returning the small
:meth:`SessionRois.as_dict`; the result is the same list in the same order whichever way it ran.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nwbtms.errors import InputError, NwbtmsError, SourceError
from nwbtms.nwb.design_read import read_condition

#: Rows read per slice of a column (bounded memory for very large tables).
ROWS_PER_READ = 65536
SUBJECT_FIELDS = ("species", "sex", "genotype", "date_of_birth")
_ROI_FIELDS = ("key", "kind", "parent_key", "cell_type", "length_in_um", "table")


@dataclass(frozen=True)
class RoiRecord:
    """One ROI of one session."""

    key: str
    kind: str
    parent_key: str | None
    cell_type: str | None
    length_in_um: float
    table: str


@dataclass
class SessionRois:
    """What one NWB file says of its session and its keyed ROIs."""

    path: Path
    identifier: str
    subject_id: str
    session_id: str
    start_time: _dt.datetime | None
    subject: dict[str, str | None]
    rois: list[RoiRecord] = field(default_factory=list)
    #: keys listed more than once in the file, with the tables they are in
    duplicate_keys: dict[str, list[str]] = field(default_factory=dict)
    #: the subject's condition factors (factor -> level) as this file records them
    condition: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready and small (ROIs as columns): what a worker sends back; :meth:`from_dict` reverses it."""
        return {
            "path": str(self.path), "identifier": self.identifier, "subject_id": self.subject_id,
            "session_id": self.session_id,
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
            "subject": dict(self.subject), "condition": dict(self.condition),
            "duplicate_keys": {k: list(v) for k, v in self.duplicate_keys.items()},
            "rois": {name: [getattr(r, name) for r in self.rois] for name in _ROI_FIELDS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionRois:
        """The :class:`SessionRois` of :meth:`as_dict` (a URL path stays text)."""
        from nwbtms.io.remote import is_url

        columns = data["rois"]
        rois = [RoiRecord(*values) for values in zip(*(columns[n] for n in _ROI_FIELDS), strict=True)]
        path = data["path"]
        return cls(path=path if is_url(path) else Path(path), identifier=data["identifier"],
                   subject_id=data["subject_id"], session_id=data["session_id"],
                   start_time=_parse_time(data["start_time"] or ""), subject=dict(data["subject"]),
                   rois=rois, duplicate_keys={k: list(v) for k, v in data["duplicate_keys"].items()},
                   condition=dict(data["condition"]))

    @property
    def label(self) -> str:
        """The session ID, else the file name."""
        return self.session_id or Path(str(self.path)).stem

    def by_key(self) -> dict[str, RoiRecord]:
        """Records by key (the first when a key repeats)."""
        out: dict[str, RoiRecord] = {}
        for record in self.rois:
            out.setdefault(record.key, record)
        return out


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return _text(value.reshape(-1)[0]) if value.size else ""
    return "" if value is None else str(value)


def _scalar_text(h5: h5py.File, name: str) -> str:
    node = h5.get(name)
    if not isinstance(node, h5py.Dataset):
        return ""
    return _text(node[()])


def _column(group: h5py.Group, name: str, *, text: bool = False) -> np.ndarray | None:
    node = group.get(name)
    if not isinstance(node, h5py.Dataset):
        return None
    n = node.shape[0] if node.shape else 0
    view = node.asstr() if text and h5py.check_string_dtype(node.dtype) is not None else node
    parts = [np.asarray(view[i:i + ROWS_PER_READ]) for i in range(0, n, ROWS_PER_READ)]
    values = np.concatenate(parts) if parts else np.zeros(0, dtype=object if text else float)
    if text and values.dtype.kind != "O":
        values = values.astype(object)
    return values


def _cell_type_labels(h5: h5py.File, group: h5py.Group) -> np.ndarray | None:
    node = group.get("cell_type")
    if not isinstance(node, h5py.Dataset):
        return None
    rows = _column(group, "cell_type")
    reference = node.attrs.get("table")
    labels = None
    if isinstance(reference, h5py.Reference) and reference:
        target = h5[reference]
        labels = _column(target, "label", text=True) if isinstance(target, h5py.Group) else None
    if labels is None:
        return np.array([str(int(r)) for r in rows], dtype=object)
    return np.array([labels[int(r)] if 0 <= int(r) < len(labels) else f"row {int(r)}" for r in rows],
                    dtype=object)


def _plane_segmentations(h5: h5py.File) -> list[h5py.Group]:
    found: list[h5py.Group] = []
    processing = h5.get("processing")
    if not isinstance(processing, h5py.Group):
        return found
    for module in processing.values():
        if not isinstance(module, h5py.Group):
            continue
        for interface in module.values():
            if not isinstance(interface, h5py.Group):
                continue
            candidates = [interface] + [g for g in interface.values() if isinstance(g, h5py.Group)]
            for group in candidates:
                if _text(group.attrs.get("neurodata_type")) == "PlaneSegmentation" and "roi_key" in group:
                    found.append(group)
    return found


def _parse_time(text: str) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def read_session_rois(path: str | os.PathLike) -> SessionRois:
    """Read one NWB file's session facts and keyed ROIs.

    Raises
    ------
    SourceError
        Not an HDF5/NWB file.
    """
    from nwbtms.io.remote import is_url, open_remote

    remote = open_remote(path) if is_url(path) else None  # a URL is read by byte ranges and named as given
    path = path if remote is not None else Path(path)
    try:
        h5 = h5py.File(remote if remote is not None else path, "r")
    except OSError as exc:
        if remote is not None:
            remote.close()
        raise SourceError(f"not a readable NWB (HDF5) file: {exc}", file=path) from None
    with h5, contextlib.closing(remote) if remote is not None else contextlib.nullcontext():
        subject = {name: (_scalar_text(h5, f"general/subject/{name}") or None) for name in SUBJECT_FIELDS}
        session = SessionRois(
            path=path, identifier=_scalar_text(h5, "identifier"),
            subject_id=_scalar_text(h5, "general/subject/subject_id"),
            session_id=_scalar_text(h5, "general/session_id"),
            start_time=_parse_time(_scalar_text(h5, "session_start_time")), subject=subject,
            condition=read_condition(h5),
        )
        seen: dict[str, str] = {}
        for group in _plane_segmentations(h5):
            keys = _column(group, "roi_key", text=True)
            n = len(keys)
            kinds = _column(group, "roi_kind", text=True)
            kinds = kinds if kinds is not None and len(kinds) == n else np.array(["soma"] * n, dtype=object)
            parent_rows = _column(group, "parent_roi")
            parent_keys = _column(group, "parent_key", text=True)
            lengths = _column(group, "dendrite_length_in_um")
            lengths = lengths if lengths is not None and len(lengths) == n else np.full(n, np.nan)
            types = _cell_type_labels(h5, group)
            table_name = group.name
            for i in range(n):
                parent = None
                if parent_rows is not None and len(parent_rows) == n and 0 <= int(parent_rows[i]) < n:
                    parent = keys[int(parent_rows[i])]
                elif parent_keys is not None and len(parent_keys) == n and parent_keys[i]:
                    parent = parent_keys[i]
                key = keys[i]
                if key in seen:
                    session.duplicate_keys.setdefault(key, [seen[key]]).append(table_name)
                    continue
                seen[key] = table_name
                session.rois.append(RoiRecord(
                    key=key, kind=kinds[i], parent_key=parent,
                    cell_type=None if types is None else types[i],
                    length_in_um=float(lengths[i]), table=table_name))
    return session


def find_nwb_files(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> list[Path]:
    """Every ``*.nwb`` in the given files and folders (recursively, sorted; hidden partial files skipped).

    Raises
    ------
    InputError
        A path does not exist, or nothing was found.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*.nwb") if f.is_file() and not f.name.startswith(".")))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("path not found", file=p, hint="give a folder of NWB files (DANDI layout or any)")
    if not files:
        raise InputError("no .nwb file found", file=", ".join(str(p) for p in paths),
                         hint="give a folder holding NWB files")
    return list(dict.fromkeys(files))


def error_dict(exc: NwbtmsError) -> dict[str, Any]:
    """An nwbtms error as plain values a worker can send back (:func:`raise_error_dict` raises it again)."""
    return {"type": type(exc).__name__, "message": exc.message, "file": exc.file, "line": exc.line,
            "field": exc.field, "hint": exc.hint}


def raise_error_dict(error: dict[str, Any]) -> None:
    """Raise the error :func:`error_dict` described, as the same class when it is an input error."""
    import nwbtms.errors as errors

    cls = getattr(errors, str(error.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, InputError)):
        cls = SourceError
    raise cls(error["message"], file=error.get("file"), line=error.get("line"), field=error.get("field"),
              hint=error.get("hint"))


def session_rois_task(path: str) -> dict[str, Any]:
    """One file's :meth:`SessionRois.as_dict`, or ``{"error": ...}`` for an nwbtms error (picklable)."""
    try:
        return read_session_rois(path).as_dict()
    except NwbtmsError as exc:
        return {"error": error_dict(exc)}


def read_sessions(files: Iterable[str | os.PathLike], *, jobs: int = 1, scheduler: str | None = None,
                  ledger: str | os.PathLike | None = None) -> list[SessionRois]:
    """:func:`read_session_rois` of every file, one task per file, in the order of ``files``.

    Parameters
    ----------
    files : iterable of path
        NWB files (or URLs).
    jobs : int
        Worker processes of a local cluster (1: one file after the other in this process).
    scheduler : str, optional
        A running dask scheduler's address (``tcp://host:8786``).
    ledger : path, optional
        Resume: each file's summary is kept in this folder (:class:`nwbtms.parallel.FileLedger`, keyed by the
        file's path, size and modification time and the nwbtms version); unchanged files are not read again.

    Raises
    ------
    SourceError
        A file is not readable (the first such file of ``files``, whichever finished first).
    ConfigError
        ``scheduler`` unreachable or dask.distributed not installed.
    """
    from nwbtms._version import __version__
    from nwbtms.io.remote import is_url
    from nwbtms.parallel import FileLedger, map_files

    items = list(dict.fromkeys(str(f) for f in files))
    # a scheduler's workers may run in another working directory: they get absolute paths, the results the given
    sent = {item: item if scheduler is None or is_url(item) else os.path.abspath(item) for item in items}
    book = FileLedger(Path(ledger), f"nwbtms {__version__} spines.read_session_rois") if ledger is not None else None
    results = {done.item: done for done in map_files(session_rois_task, sent.values(), jobs=jobs,
                                                     scheduler=scheduler, ledger=book)}
    sessions = []
    for item in items:
        done = results[sent[item]]
        if done.error is not None:
            raise SourceError(f"reading failed: {done.error}", file=item)
        if "error" in done.result:
            raise_error_dict(done.result["error"])
        session = SessionRois.from_dict(done.result)
        session.path = session.path if is_url(item) else Path(item)
        sessions.append(session)
    return sessions


__all__ = ["ROWS_PER_READ", "SUBJECT_FIELDS", "RoiRecord", "SessionRois", "error_dict", "find_nwb_files",
           "raise_error_dict", "read_session_rois", "read_sessions", "session_rois_task"]
