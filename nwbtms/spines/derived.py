"""Turnover written back into each subject's NWB files as derived tables.

Decision: a session file is never modified in place by appending. Each file is copied into a temporary
file beside its target, the derived tables are appended there with pynwb, and the copy is renamed onto
the target (:func:`nwbtms.io.atomic.atomic_output`): a new file in another folder by default, or the
original replaced when the output folder is the input folder and ``overwrite`` is given. A failure leaves
no partial file and the original untouched.

Tables (in ``processing/spines``):

- ``spine_turnover``: the subject's rows (per dendrite and pooled per cell type; the columns of
  :data:`nwbtms.spines.turnover.ROW_FIELDS`, ``dendrite_key`` empty for pooled rows, NaN for undefined
  ratios and unknown intervals);
- ``spine_presence``: one row per key of the subject (``roi_key``, ``roi_kind``, ``parent_key``,
  ``cell_type``) and ``present``, one boolean per session in the order of the ``session_id`` attribute
  listed in the table's description.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from nwbtms.errors import InputError
from nwbtms.io.atomic import make_folder
from nwbtms.spines.registry import Registry, SubjectRegistry
from nwbtms.spines.turnover import ROW_FIELDS, TurnoverResult

MODULE = "spines"
TURNOVER_TABLE = "spine_turnover"
PRESENCE_TABLE = "spine_presence"

_DESCRIPTIONS = {
    "subject_id": "Subject.", "cell_type": "Cell type label (CellTypesTable).",
    "dendrite_key": "roi_key of the dendrite; empty for rows pooled over the subject's dendrites of the type.",
    "from_session": "Earlier session (session_id).", "to_session": "Later session (session_id).",
    "n_start": "Spines in the earlier session.", "n_end": "Spines in the later session.",
    "gained": "Spines present later and absent earlier.", "lost": "Spines present earlier and absent later.",
    "formation_rate": "gained / n_start.", "elimination_rate": "lost / n_start.",
    "turnover_ratio": "(gained + lost) / (n_start + n_end) (Holtmaat et al. 2009, Nat Protoc).",
    "survival_fraction": "Spines of the subject's first session present in every session up to to_session, "
                         "as a fraction of them.",
    "density_end_per_um": "n_end / traced dendrite length in to_session (per um).",
    "interval_days": "Days between the two sessions' start times (NaN when unknown).",
}


def _turnover_table(rows):
    from hdmf.common import DynamicTable, VectorData

    columns = []
    for name in ROW_FIELDS:
        values = [getattr(r, name) for r in rows]
        if name in ("subject_id", "cell_type", "dendrite_key", "from_session", "to_session"):
            data = ["" if v is None else str(v) for v in values]
        elif name in ("n_start", "n_end", "gained", "lost"):
            data = np.asarray(values, dtype=np.int64)
        else:
            data = np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)
        columns.append(VectorData(name=name, description=_DESCRIPTIONS[name], data=data))
    return DynamicTable(name=TURNOVER_TABLE, description="Spine turnover between consecutive sessions of this "
                        "subject (nwbtms spines turnover), per dendrite and pooled per cell type.", columns=columns)


def _presence_table(subject: SubjectRegistry):
    from hdmf.common import DynamicTable, VectorData

    labels = [s.label for s in subject.sessions]
    rows = subject.rows()
    columns = [VectorData(name=name, description=f"{name} of the ROI as first seen.",
                          data=["" if r[name] is None else str(r[name]) for r in rows])
               for name in ("roi_key", "roi_kind", "parent_key", "cell_type")]
    present = np.array([list(r["presence"].values()) for r in rows], dtype=bool).reshape(len(rows), len(labels))
    columns.append(VectorData(name="present", description="One value per session (order in the table "
                              "description): whether the key is annotated in that session.", data=present))
    return DynamicTable(name=PRESENCE_TABLE, description="Presence of each ROI key of this subject in each "
                        f"session, sessions in order: {', '.join(labels)}.", columns=columns)


def _relative(path: Path, roots: Iterable[Path]) -> Path:
    for root in roots:
        root = Path(root)
        if root.is_dir():
            try:
                return path.resolve().relative_to(root.resolve())
            except ValueError:
                continue
    return Path(path.name)


def write_turnover_file(source: Path, target: Path, subject: SubjectRegistry, result: TurnoverResult, *,
                        overwrite: bool = False) -> Path:
    """Copy ``source`` to ``target`` atomically with the subject's derived tables appended.

    Raises
    ------
    OutputExistsError
        ``target`` exists and ``overwrite`` is false.
    InputError
        ``source`` already holds derived spine tables.
    """
    from pynwb import NWBHDF5IO

    from nwbtms.io.atomic import atomic_output
    from nwbtms.io.nwb_write import prune_cached_namespaces

    rows = [r for r in result.rows if r.subject_id == subject.subject_id]
    with atomic_output(target, overwrite=overwrite) as tmp:
        shutil.copyfile(source, tmp)
        with NWBHDF5IO(str(tmp), mode="a") as io:
            nwbfile = io.read()
            module = nwbfile.processing.get(MODULE)
            if module is not None and (TURNOVER_TABLE in module.data_interfaces
                                       or PRESENCE_TABLE in module.data_interfaces):
                raise InputError("the file already holds derived spine tables", file=source,
                                 field=f"processing/{MODULE}", hint="write back from the original files")
            if module is None:
                module = nwbfile.create_processing_module(
                    name=MODULE, description="Derived across sessions of this subject: spine presence and "
                                             "turnover (nwbtms spines turnover).")
            module.add(_turnover_table(rows))
            module.add(_presence_table(subject))
            io.write(nwbfile)
        prune_cached_namespaces(tmp)  # appending caches every namespace this process loaded
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
    return target


def write_turnover_copies(registry: Registry, result: TurnoverResult, roots: Iterable[Path], out_dir: Path, *,
                          overwrite: bool = False) -> list[Path]:
    """Write every session file of ``registry`` under ``out_dir`` (same relative path) with derived tables."""
    roots = list(roots)
    written = []
    for subject in registry.subjects.values():
        for session in subject.sessions:
            target = Path(out_dir) / _relative(session.path, roots)
            make_folder(target.parent)
            written.append(write_turnover_file(session.path, target, subject, result, overwrite=overwrite))
    return written


__all__ = ["MODULE", "PRESENCE_TABLE", "TURNOVER_TABLE", "write_turnover_copies", "write_turnover_file"]
