"""Step 1: the file exists, carries the HDF5 signature and opens; problems become one finding."""

from __future__ import annotations

from pathlib import Path

import h5py

from nwbtms.validate.registry import FILE_READABLE, Hit


def open_hdf5(path: str) -> tuple[h5py.File | None, Hit | None]:
    """Open ``path`` read-only; on failure return ``(None, hit)`` naming why."""
    p = Path(path)
    if not p.exists():
        return None, FILE_READABLE.hit("file does not exist", hint="Check the path.")
    if not p.is_file():
        return None, FILE_READABLE.hit("not a regular file")
    if p.stat().st_size == 0:
        return None, FILE_READABLE.hit("file is empty (0 bytes)",
                                       hint="The write was interrupted; convert or copy the file again.")
    try:
        if not h5py.is_hdf5(str(p)):
            return None, FILE_READABLE.hit(
                "not an HDF5 file (no HDF5 signature found)",
                hint="NWB files are HDF5; this file is something else or its start is damaged.")
        return h5py.File(str(p), "r"), None
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in reason or "eof" in reason.lower():
            hint = "The file is truncated (an interrupted copy or write); copy or convert it again."
        else:
            hint = None
        return None, FILE_READABLE.hit(f"HDF5 file cannot be opened: {reason}", hint=hint)
