"""One type map per distinct set of cached specifications, reused by every file of a process that caches it.

``NWBHDF5IO(..., load_namespaces=True)`` copies pynwb's type map and parses every namespace cached in the file
(the core schema, hdmf-common, ndx-tms, ndx-study-design with what it includes): most of a small file's
validation time, repeated for every file of a study that caches the same specs. Here the type map of a file
is built once per key and each reader gets a new ``BuildManager`` over it: the manager keeps the builders
and containers of one read, while the type map only gains what is the same for every file with that key
(mappers, classes generated from the specs), so sharing it between managers is safe.

The key is everything the type map is built from: for each cached namespace the version hdmf loads and a
hash of that version's stored spec texts (a file with a different or modified spec gets its own type map),
whether the file is read with its own ndx-tms spec (:mod:`nwbtms.validate.legacy`), and the namespaces and
classes registered with pynwb in this process when the map is built (importing an extension changes them).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import h5py

#: key -> type map; a handful of distinct spec sets per run at most, the oldest dropped beyond this
MAX_ENTRIES = 8
_TYPE_MAPS: OrderedDict[tuple, object] = OrderedDict()
_LOCK = threading.Lock()  # the validator's workers are processes; a caller's threads still get one map per key


def build_manager(h5: h5py.File):
    """A new ``BuildManager`` for reading ``h5``, over the cached type map of its specifications.

    Reads the same as ``NWBHDF5IO(file=h5, mode="r", load_namespaces=True)`` or, for a file cached with an
    earlier ndx-tms, :func:`nwbtms.validate.legacy.manager_with_cached_spec`. Raises what building the type map
    raises (a damaged or invalid cached spec), and then caches nothing.
    """
    from hdmf.build import BuildManager

    from nwbtms.validate import legacy

    own_spec = legacy.needs_own_spec(h5)
    key = (own_spec, specifications_key(h5), _installed_key())
    with _LOCK:
        type_map = _TYPE_MAPS.get(key)
        if type_map is None:
            type_map = legacy.type_map_with_cached_spec(h5) if own_spec else _type_map_with_cached_spec(h5)
            _TYPE_MAPS[key] = type_map
            while len(_TYPE_MAPS) > MAX_ENTRIES:
                _TYPE_MAPS.popitem(last=False)
        else:
            _TYPE_MAPS.move_to_end(key)
    return BuildManager(type_map)


def specifications_key(h5: h5py.File) -> tuple[tuple[str, str, str], ...]:
    """``(namespace, version, hash of the spec texts)`` of every namespace hdmf loads from ``h5``."""
    from hdmf.backends.hdf5.h5tools import HDF5IO, SPEC_LOC_ATTR

    if SPEC_LOC_ATTR not in h5.attrs:
        return ()
    spec_group = h5[h5.attrs[SPEC_LOC_ATTR]]
    key = []
    for namespace, version in sorted(HDF5IO.get_namespaces(file=h5).items()):
        digest = hashlib.sha256()
        group = spec_group[namespace][version]
        for name in sorted(group):  # the namespace document and its schema sources
            item = group[name]
            digest.update(name.encode() + b"\0")
            if isinstance(item, h5py.Dataset):
                value = item[()]
                digest.update(value if isinstance(value, bytes) else str(value).encode())
            digest.update(b"\0")
        key.append((namespace, version, digest.hexdigest()))
    return tuple(key)


def _installed_key() -> tuple:
    """What pynwb's type map holds now: its namespaces with versions and its registered classes and mappers."""
    from pynwb import get_type_map

    installed = get_type_map(copy=False)
    catalog = installed.namespace_catalog
    namespaces = tuple((name, catalog.get_namespace(name).version) for name in catalog.namespaces)
    classes = installed._TypeMap__ns_dt_to_container_cls  # hdmf 6.2 exposes no public view of them
    mappers = installed._TypeMap__mapper_cls
    return (namespaces,
            tuple((ns, dt, id(cls)) for ns, types in classes.items() for dt, cls in types.items()),
            tuple((id(cls), id(mapper)) for cls, mapper in mappers.items()))


def _type_map_with_cached_spec(h5: h5py.File):
    """pynwb's type map with the namespaces cached in ``h5`` loaded, as ``load_namespaces=True`` builds it."""
    from pynwb import NWBHDF5IO, get_type_map

    type_map = get_type_map()  # a copy
    NWBHDF5IO.load_namespaces(type_map, file=h5)
    return type_map


def clear() -> None:
    """Forget every cached type map (tests; after changing what is installed)."""
    _TYPE_MAPS.clear()
