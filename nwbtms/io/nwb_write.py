"""Write an in-memory NWBFile atomically, caching only the namespaces it uses."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pynwb import NWBHDF5IO, NWBFile

from nwbtms.io.atomic import atomic_output


def write_nwbfile(
    nwbfile: NWBFile,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    after_write: Callable[[], object] | None = None,
) -> Path:
    """Write ``nwbfile`` to ``path`` through a temporary file; nothing is left behind on failure.

    ``after_write`` runs after ``io.write`` while the temporary file is still open (e.g. to stream movie
    frames into datasets pynwb allocated empty); if it raises, no output is left either.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    OutputError
        The disk refused the write (space, read-only, permission); nothing is left behind.
    """
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        io = NWBHDF5IO(str(tmp), mode="w")
        try:
            io.write(nwbfile)
            if after_write is not None:
                after_write()
            io.close()
        except BaseException:
            _force_close(io)
            raise
    return path


def _force_close(io: NWBHDF5IO) -> None:
    """Close a file whose write failed, every HDF5 object in it too, ignoring further errors: left open, HDF5
    would try to flush it again at exit (into a full disk: errors, then a crash) after it was removed."""
    import h5py

    handle = getattr(io, "_file", None)
    try:
        if handle is not None and handle.id.valid:
            for obj_id in h5py.h5f.get_obj_ids(handle.id, h5py.h5f.OBJ_ALL & ~h5py.h5f.OBJ_FILE):
                while obj_id.valid:
                    h5py.h5i.dec_ref(obj_id)
            while handle.id.valid:
                h5py.h5i.dec_ref(handle.id)
    except Exception:
        pass
    try:
        io.close()
    except Exception:
        pass
