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
    """
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp, NWBHDF5IO(str(tmp), mode="w") as io:
        io.write(nwbfile)
        if after_write is not None:
            after_write()
    return path
