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

The same entry keeps the schema validators of the file (:meth:`CachedSpecs.validators`), resolved as pynwb
resolves them (``pynwb.validation.get_cached_namespaces_to_validate``): from the cached specs alone, parsed into
a catalog of their own. The type map's catalog is no substitute even when it holds the same texts: hdmf keeps an
installed namespace of the same version as loaded from its YAML (an extension's explicit type lists, e.g.
ndx-fiber-photometry's 31 types), while the cached copy of that namespace, as hdmf writes it, includes whole
namespaces (125 types), so the two validate differently.

Every spec group is opened by its path: HDF5 finds the name of an object opened through the ``.specloc``
object reference by searching the whole file, tens of milliseconds per spec group on a file of thousands of
objects (hdmf's ``H5SpecReader`` asks for it).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import h5py

#: key -> cached specs; a handful of distinct spec sets per run at most, the oldest dropped beyond this
MAX_ENTRIES = 8
_ENTRIES: OrderedDict[tuple, CachedSpecs] = OrderedDict()
_LOCK = threading.Lock()  # the validator's workers are processes; a caller's threads still get one map per key
#: hdmf's attribute holding an object reference to the specifications group, and its namespace document name
SPEC_LOC_ATTR = ".specloc"
NAMESPACE_DOCUMENT = "namespace"
#: pynwb does not validate against hdmf-experimental (pynwb issue 1357; ``get_cached_namespaces_to_validate``)
NOT_VALIDATED = frozenset({"hdmf-experimental"})


@dataclass
class CachedSpecs:
    """The type map built from one set of cached specifications, and the validators of those specs."""

    key: tuple
    type_map: object
    _validators: list | None = field(default=None, repr=False)
    _resolved: bool = field(default=False, repr=False)

    def manager(self):
        """A new ``BuildManager`` over the shared type map (one per read: it keeps that read's builders)."""
        from hdmf.build import BuildManager

        return BuildManager(self.type_map)

    def validators(self, h5: h5py.File) -> list | None:
        """One hdmf ``ValidatorMap`` per namespace pynwb validates ``h5`` against (the most specific cached
        namespaces, from the cached specs), resolved once per entry; None when the file caches no specs
        (pynwb then falls back to core). Raises what parsing a damaged cached spec raises."""
        if not self._resolved:
            self._validators = _resolve_validators(self, h5)
            self._resolved = True
        return self._validators


def cached_specs(h5: h5py.File) -> CachedSpecs:
    """The cached-specs entry of ``h5`` (built on first use of its key).

    Its type map reads the same as ``NWBHDF5IO(file=h5, mode="r", load_namespaces=True)`` or, for a file
    cached with an earlier ndx-tms, :func:`nwbtms.validate.legacy.manager_with_cached_spec`. Raises what
    building the type map raises (a damaged or invalid cached spec), and then caches nothing.
    """
    from nwbtms.validate import legacy

    own_spec = legacy.needs_own_spec(h5)
    key = (own_spec, specifications_key(h5), _installed_key())
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is None:
            type_map = legacy.type_map_with_cached_spec(h5) if own_spec else _type_map_with_cached_spec(h5)
            entry = _ENTRIES[key] = CachedSpecs(key=key, type_map=type_map)
            while len(_ENTRIES) > MAX_ENTRIES:
                _ENTRIES.popitem(last=False)
        else:
            _ENTRIES.move_to_end(key)
    return entry


def build_manager(h5: h5py.File):
    """A new ``BuildManager`` for reading ``h5``, over the cached type map of its specifications."""
    return cached_specs(h5).manager()


def spec_group(h5: h5py.File) -> h5py.Group | None:
    """The group ``.specloc`` references (None without it), opened by its path when it is ``/specifications``
    (where hdmf writes it), so that asking its name or its children's names is cheap."""
    ref = h5.attrs.get(SPEC_LOC_ATTR)
    if ref is None:
        return None
    target = h5[ref]
    usual = h5.get("specifications")
    if isinstance(usual, h5py.Group) and usual.id == target.id:
        return usual
    return target


def cached_versions(h5: h5py.File) -> dict[str, str]:
    """``{namespace: version hdmf loads}`` of the specs cached in ``h5`` (``HDF5IO.get_namespaces``)."""
    from hdmf.backends.hdf5.h5tools import HDF5IO

    if SPEC_LOC_ATTR not in h5.attrs:
        return {}
    return HDF5IO.get_namespaces(file=h5)


def load_cached_namespaces(target, h5: h5py.File) -> dict:
    """Load the namespaces cached in ``h5`` into ``target`` (a TypeMap or NamespaceCatalog) and return what
    hdmf returns (``{namespace: {included namespace: types}}`` of the namespaces loaded); the same as
    ``HDF5IO.load_namespaces(target, file=h5)``, reading each spec group by its path."""
    from hdmf.backends.hdf5.h5_utils import H5SpecReader

    group = spec_group(h5)
    if group is None:
        return {}
    readers = {namespace: H5SpecReader(group[namespace][version])
               for namespace, version in cached_versions(h5).items()}
    return target.load_namespaces(NAMESPACE_DOCUMENT, reader=readers)


def specifications_key(h5: h5py.File) -> tuple[tuple[str, str, str], ...]:
    """``(namespace, version, hash of the spec texts)`` of every namespace hdmf loads from ``h5``."""
    group = spec_group(h5)
    if group is None:
        return ()
    key = []
    for namespace, version in sorted(cached_versions(h5).items()):
        digest = hashlib.sha256()
        documents = group[namespace][version]
        for name in sorted(documents):  # the namespace document and its schema sources
            item = documents[name]
            digest.update(name.encode() + b"\0")
            if isinstance(item, h5py.Dataset):
                value = item[()]
                digest.update(value if isinstance(value, bytes) else str(value).encode())
            digest.update(b"\0")
        key.append((namespace, version, digest.hexdigest()))
    return tuple(key)


def _namespaces_to_validate(catalog, names) -> list[str]:
    """The namespaces of ``names`` no other of them includes, sorted, without hdmf-experimental (the rule of
    ``pynwb.validation.get_cached_namespaces_to_validate``)."""
    names = set(names)
    included = set()
    for name in names:
        included |= {s["namespace"] for s in catalog.get_namespace(name).get("schema", []) if "namespace" in s}
    return sorted(names - included - NOT_VALIDATED)


def _resolve_validators(entry: CachedSpecs, h5: h5py.File) -> list | None:
    import warnings

    from hdmf.spec import NamespaceCatalog
    from hdmf.validate import ValidatorMap
    from pynwb.spec import NWBDatasetSpec, NWBGroupSpec, NWBNamespace

    if not entry.key[1]:
        return None
    catalog = NamespaceCatalog(NWBGroupSpec, NWBDatasetSpec, NWBNamespace)  # the cached specs alone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_cached_namespaces(catalog, h5)
    names = _namespaces_to_validate(catalog, [namespace for namespace, _, _ in entry.key[1]])
    if not names:
        return None
    return [ValidatorMap(catalog.get_namespace(name=name)) for name in names]


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
    from pynwb import get_type_map

    type_map = get_type_map()  # a copy
    load_cached_namespaces(type_map, h5)
    return type_map


def clear() -> None:
    """Forget every cached type map (tests; after changing what is installed)."""
    _ENTRIES.clear()
