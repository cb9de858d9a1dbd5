"""Step 1: the file exists, carries the HDF5 signature and opens; problems become one finding.

A URL (``http(s)://``, ``s3://``) is opened in place by byte-range requests (:mod:`nwbtms.io.remote`).
"""

from __future__ import annotations

from pathlib import Path

import h5py

from nwbtms.errors import InputError
from nwbtms.io.remote import RemoteFile, is_url, open_remote
from nwbtms.validate.registry import FILE_READABLE, Hit


def open_source(path: str) -> tuple[h5py.File | None, Hit | None, RemoteFile | None]:
    """:func:`open_hdf5` for a local path; for a URL the same through a :class:`RemoteFile`, returned too
    (for its byte count; the caller closes it after the HDF5 file)."""
    if not is_url(path):
        return (*open_hdf5(path), None)
    try:
        remote = open_remote(path)
    except InputError as exc:
        return None, FILE_READABLE.hit(exc.message, hint=exc.hint), None
    if remote.size == 0:
        remote.close()
        return None, _empty(), None
    try:
        return h5py.File(remote, "r"), None, remote
    except OSError as exc:
        remote.seek(0)
        signature = remote.read(8) == HDF5_SIGNATURE
        remote.close()
        return None, _not_hdf5() if not signature else _cannot_open(exc), None


#: The first bytes of an HDF5 file without a user block (NWB files have none).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _empty() -> Hit:
    return FILE_READABLE.hit("file is empty (0 bytes)",
                             hint="The write was interrupted; convert or copy the file again.")


def _not_hdf5() -> Hit:
    return FILE_READABLE.hit("not an HDF5 file (no HDF5 signature found)",
                             hint="NWB files are HDF5; this file is something else or its start is damaged.")


def _cannot_open(exc: OSError) -> Hit:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "truncated" in reason or "eof" in reason.lower():
        hint = "The file is truncated (an interrupted copy or write); copy or convert it again."
    else:
        hint = None
    return FILE_READABLE.hit(f"HDF5 file cannot be opened: {reason}", hint=hint)


def open_hdf5(path: str) -> tuple[h5py.File | None, Hit | None]:
    """Open ``path`` read-only; on failure return ``(None, hit)`` naming why."""
    p = Path(path)
    if not p.exists():
        return None, FILE_READABLE.hit("file does not exist", hint="Check the path.")
    if not p.is_file():
        return None, FILE_READABLE.hit("not a regular file")
    if p.stat().st_size == 0:
        return None, _empty()
    try:
        if not h5py.is_hdf5(str(p)):
            return None, _not_hdf5()
        return h5py.File(str(p), "r"), None
    except OSError as exc:
        return None, _cannot_open(exc)
