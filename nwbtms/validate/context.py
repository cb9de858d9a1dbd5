"""What the checks of one file share: the HDF5 handle, the pynwb IO and objects read once, the tree index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h5py
from hdmf.build import GroupBuilder

from nwbtms.io.h5read import pulse_session_column
from nwbtms.io.h5read import text as _text
from nwbtms.validate.chunked import CHUNK_ELEMENTS


@dataclass
class TreeIndex:
    """One pass over the HDF5 tree: typed objects, namespaces used, external links."""

    #: path -> (namespace, neurodata_type) of every group or dataset with a ``neurodata_type`` attribute
    typed: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (path, file, target) of every HDF5 external link
    external_links: list[tuple[str, str, str]] = field(default_factory=list)
    #: path -> hdmf builder of every typed object, when the index was made from builders (else empty)
    builders: dict[str, Any] = field(default_factory=dict)

    def namespaces_used(self) -> set[str]:
        """Namespaces of every neurodata type present."""
        return {ns for ns, _ in self.typed.values()}


def external_links(h5: h5py.File) -> list[tuple[str, str, str]]:
    """``(path, file, target)`` of every external link, from one low-level link walk (no Python object per
    link: ten times faster than ``visititems_links`` on files with thousands of objects)."""
    found: list[tuple[str, str, str]] = []

    def visit(name: bytes, info) -> None:
        if info.type == h5py.h5l.TYPE_EXTERNAL:
            filename, target = h5.id.links.get_val(name)
            found.append(("/" + name.decode(), filename.decode(), target.decode()))

    h5.id.links.visit(visit, info=True)
    return found


def index_tree(h5: h5py.File) -> TreeIndex:
    """Walk every object of ``h5`` once, reading attributes but no dataset's data (when builders are missing)."""
    index = TreeIndex(external_links=external_links(h5))

    def visit_object(name: str, obj) -> None:
        attrs = obj.attrs
        if "neurodata_type" in attrs:
            index.typed["/" + name] = (_text(attrs.get("namespace", "")), _text(attrs["neurodata_type"]))

    h5.visititems(visit_object)
    return index


def index_builders(h5: h5py.File, root) -> TreeIndex:
    """The same index from hdmf builders already read (no second pass over HDF5 attributes); external links
    come from the low-level link walk, since hdmf drops links it cannot resolve."""
    index = TreeIndex(external_links=external_links(h5))
    stack = [root]
    while stack:
        builder = stack.pop()
        attrs = builder.attributes
        parts = builder.path.split("/")[1:]  # builder paths start with the root builder's name ("root")
        if "neurodata_type" in attrs and parts:
            path = "/" + "/".join(parts)
            index.typed[path] = (_text(attrs.get("namespace", "")), _text(attrs["neurodata_type"]))
            index.builders[path] = builder
        if isinstance(builder, GroupBuilder):
            stack.extend(builder.groups.values())
            stack.extend(builder.datasets.values())
    return index


def child_dataset(ctx: FileContext, path: str, name: str) -> h5py.Dataset | None:
    """The HDF5 dataset ``name`` inside the typed group at ``path`` (following links), from its builder when
    the index has one, else from HDF5."""
    builder = ctx.tree.builders.get(path) if ctx.tree is not None else None
    if isinstance(builder, GroupBuilder):
        child = builder.datasets.get(name)
        if child is None and name in builder.links:
            child = builder.links[name].builder
        data = getattr(child, "data", None)
        return data if isinstance(data, h5py.Dataset) else None
    group = ctx.h5.get(path)
    if not isinstance(group, h5py.Group):
        return None
    data = group.get(name)
    return data if isinstance(data, h5py.Dataset) else None


@dataclass
class TmsView:
    """The TMS objects of a file by role, whichever ndx-tms layout wrote it.

    ndx-tms 0.2 keeps pulses in ``/events`` and sessions in ``/intervals`` (pulses point at their session by
    a ``session`` region); 0.1 kept both in ``/general/tms`` (a ``session_number`` column). Other tables
    (``protocols``, ``thresholds``, ``targets``, ``coils``, ``cell_types``...) are read from the metadata.
    """

    metadata: Any
    pulses: Any = None
    sessions: Any = None
    adverse_events: Any = None
    reconciliation: Any = None
    layout: str = "0.2"

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.metadata, name, None)

    @property
    def session_column(self) -> str | None:
        """Column of the pulses naming their session: ``session`` (0.2), ``session_number`` (0.1), or None."""
        if self.pulses is None:
            return None
        return pulse_session_column(self.pulses.colnames)


def as_tms_view(metadata) -> TmsView:
    """The :class:`TmsView` of the file holding ``metadata`` (a TMSExperimentMetadata, or a view already), so a
    check registered for the metadata finds the pulses and sessions wherever the file's layout keeps them."""
    if isinstance(metadata, TmsView):
        return metadata
    root = metadata
    while getattr(root, "parent", None) is not None:
        root = root.parent
    view = tms_view(root) if hasattr(root, "lab_meta_data") else None
    if view is None or view.metadata is not metadata:
        view = TmsView(metadata=metadata, pulses=getattr(metadata, "pulses", None),
                       sessions=getattr(metadata, "sessions", None),
                       reconciliation=getattr(metadata, "reconciliation", None), layout="0.1")
    return view


def tms_view(nwbfile) -> TmsView | None:
    """The :class:`TmsView` of ``nwbfile`` (None when it has no TMSExperimentMetadata)."""
    if not any(getattr(obj, "neurodata_type", type(obj).__name__) == "TMSExperimentMetadata"
               for obj in nwbfile.lab_meta_data.values()):
        return None  # as find_tms_tables would say, without importing ndx-tms for a file without TMS data
    from ndx_tms import find_tms_tables

    found = find_tms_tables(nwbfile)
    if found["metadata"] is None:
        return None
    return TmsView(metadata=found["metadata"], pulses=found["pulses"], sessions=found["sessions"],
                   adverse_events=found["adverse_events"], reconciliation=found["reconciliation"],
                   layout=found["layout"])


@dataclass
class FileContext:
    """Everything the checks of one file may use; built by the runner, never by the checks."""

    path: str
    profile: str = "tms"
    fast: bool = False
    chunk_elements: int = CHUNK_ELEMENTS
    h5: h5py.File | None = None
    io: Any = None
    #: the cached specifications: shared type map and schema validators (:mod:`~nwbtms.validate.namespaces_cache`)
    specs: Any = None
    nwbfile: Any = None
    tree: TreeIndex | None = None
    #: namespace -> cached version
    cached_namespaces: dict[str, str] = field(default_factory=dict)
    #: check IDs the configuration skips (NWB Inspector checks among them are not run at all)
    config_skip: frozenset[str] = frozenset()
    #: schema validation may run in a forked child (runner); the pending validation, once started
    concurrent_schema: bool = False
    pending_schema: Any = None
    #: this process validates more files after this one: what they can share is resolved in it, not in a child
    more_files: bool = False
    _hierarchies: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, repr=False)
    _tms: Any = field(default=None, repr=False)

    @property
    def tms(self) -> TmsView | None:
        """The file's TMS objects by role (:class:`TmsView`), or None without TMSExperimentMetadata."""
        if self.nwbfile is None:
            return None
        if self._tms is None:
            self._tms = tms_view(self.nwbfile)
        return self._tms

    def hierarchy(self, namespace: str, neurodata_type: str) -> tuple[str, ...]:
        """Type names from ``neurodata_type`` up to its root base, from the cached specs (resolved once per type)."""
        key = (namespace, neurodata_type)
        if key not in self._hierarchies:
            lineage: tuple[str, ...] = (neurodata_type,)
            if self.io is not None:
                try:
                    lineage = tuple(self.io.manager.namespace_catalog.get_hierarchy(namespace, neurodata_type))
                except Exception:  # an unknown type: treat it as its own root
                    pass
            self._hierarchies[key] = lineage
        return self._hierarchies[key]
