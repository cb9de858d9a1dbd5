"""What the checks of one file share: the HDF5 handle, the pynwb IO and objects read once, the tree index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h5py

from nwbtms.validate.chunked import CHUNK_ELEMENTS


@dataclass
class TreeIndex:
    """One pass over the HDF5 tree: typed objects, namespaces used, external links."""

    #: path -> (namespace, neurodata_type) of every group or dataset with a ``neurodata_type`` attribute
    typed: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (path, file, target) of every HDF5 external link
    external_links: list[tuple[str, str, str]] = field(default_factory=list)

    def namespaces_used(self) -> set[str]:
        """Namespaces of every neurodata type present."""
        return {ns for ns, _ in self.typed.values()}


def index_tree(h5: h5py.File) -> TreeIndex:
    """Walk every link of ``h5`` once, without reading any dataset's data."""
    index = TreeIndex()

    def visit_link(name: str, link) -> None:
        if isinstance(link, h5py.ExternalLink):
            index.external_links.append(("/" + name, link.filename, link.path))

    def visit_object(name: str, obj) -> None:
        attrs = obj.attrs
        if "neurodata_type" in attrs:
            index.typed["/" + name] = (_text(attrs.get("namespace", "")), _text(attrs["neurodata_type"]))

    h5.visititems_links(visit_link)
    h5.visititems(visit_object)
    return index


def index_builders(h5: h5py.File, root) -> TreeIndex:
    """The same index from hdmf builders already read (no second pass over HDF5 attributes); external links
    still come from h5py, whose link walk reads no attributes."""
    index = TreeIndex()

    def visit_link(name: str, link) -> None:
        if isinstance(link, h5py.ExternalLink):
            index.external_links.append(("/" + name, link.filename, link.path))

    h5.visititems_links(visit_link)
    stack = [root]
    while stack:
        builder = stack.pop()
        attrs = builder.attributes
        parts = builder.path.split("/")[1:]  # builder paths start with the root builder's name ("root")
        if "neurodata_type" in attrs and parts:
            index.typed["/" + "/".join(parts)] = (_text(attrs.get("namespace", "")), _text(attrs["neurodata_type"]))
        for child_map in ("groups", "datasets"):
            stack.extend(getattr(builder, child_map, {}).values())
    return index


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
        """Type names from ``neurodata_type`` up to its root base, from the cached specs."""
        if self.io is None:
            return (neurodata_type,)
        try:
            return tuple(self.io.manager.namespace_catalog.get_hierarchy(namespace, neurodata_type))
        except Exception:  # an unknown type: treat it as its own root
            return (neurodata_type,)
