"""Write an in-memory NWBFile atomically, caching only the namespaces it uses.

hdmf's ``HDF5IO.write`` caches in /specifications every namespace loaded in the process (pynwb issue 1777):
after ``import ndx_fiber_photometry`` a file with no photometry would carry ndx-fiber-photometry too, and
``pynwb.validate`` (which validates against every cached namespace no other cached namespace includes) then
checks the file against a namespace that lacks its types. :func:`prune_cached_namespaces` removes, from a
file just written, every cached namespace no object uses and no used namespace includes.
"""

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
        prune_cached_namespaces(tmp)
    return path


#: Namespaces pynwb always caches with core; kept whatever the objects use.
BASE_NAMESPACES = frozenset({"core", "hdmf-common", "hdmf-experimental"})


def prune_cached_namespaces(path: str | os.PathLike) -> list[str]:
    """Delete from /specifications of the closed NWB file ``path`` every namespace that no object's
    ``namespace`` attribute names and no such namespace includes (transitively); core, hdmf-common and
    hdmf-experimental always stay. Returns the names removed.
    """
    import h5py

    with h5py.File(path, "r+") as h5:
        ref = h5.attrs.get(".specloc")  # where hdmf put the cached specs
        specs = h5[ref] if ref is not None else h5.get("specifications")
        if not isinstance(specs, h5py.Group):
            return []
        used = set(BASE_NAMESPACES)

        def note(_name: str, obj) -> None:
            value = obj.attrs.get("namespace")
            if value is not None:
                used.add(value.decode() if isinstance(value, bytes) else str(value))

        note("/", h5)
        h5.visititems(note)  # hard links only: an external or soft link's target is not this file's object
        frontier = list(used)
        while frontier:
            for inc in _includes(specs, frontier.pop()):
                if inc not in used:
                    used.add(inc)
                    frontier.append(inc)
        removed = sorted(name for name in specs if name not in used)
        for name in removed:
            del specs[name]
    return removed


def _includes(specs, name: str) -> set[str]:
    """Namespaces that the cached namespace ``name`` includes (every cached version of it)."""
    import json

    import h5py

    found: set[str] = set()
    group = specs.get(name)
    if not isinstance(group, h5py.Group):
        return found
    for version in group.values():
        text = version.get("namespace") if isinstance(version, h5py.Group) else None
        if not isinstance(text, h5py.Dataset):
            continue
        raw = text[()]
        spec = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        for ns in spec.get("namespaces", []):
            found |= {s["namespace"] for s in ns.get("schema", []) if "namespace" in s}
    return found


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
