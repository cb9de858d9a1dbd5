"""What the checks of one file share: the HDF5 handle, the pynwb IO and objects read once, the tree index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h5py
from hdmf.build import GroupBuilder

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


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class FileContext:
    """Everything the checks of one file may use; built by the runner, never by the checks."""

    path: str
    profile: str = "tms"
    fast: bool = False
    chunk_elements: int = CHUNK_ELEMENTS
    h5: h5py.File | None = None
    io: Any = None
    nwbfile: Any = None
    tree: TreeIndex | None = None
    #: namespace -> cached version
    cached_namespaces: dict[str, str] = field(default_factory=dict)
    #: check IDs the configuration skips (NWB Inspector checks among them are not run at all)
    config_skip: frozenset[str] = frozenset()
    #: schema validation may run in a forked child (runner); the pending validation, once started
    concurrent_schema: bool = False
    pending_schema: Any = None
    _hierarchies: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def tms(self):
        """The ``TMSExperimentMetadata`` of the file, or None."""
        if self.nwbfile is None:
            return None
        for obj in self.nwbfile.lab_meta_data.values():
            if type(obj).__name__ == "TMSExperimentMetadata":
                return obj
        return None

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
