"""Where a pynwb object lives inside its file, for finding locations."""

from __future__ import annotations


def object_path(obj) -> str | None:
    """HDF5 path of a container or column read from a file (``/general/tms/pulses``), else a name path."""
    for attr in ("data", "id"):
        inner = getattr(obj, attr, None)
        if attr == "id" and inner is not None:
            inner = getattr(inner, "data", None)
        inner = getattr(inner, "dataset", inner)
        name = getattr(inner, "name", None)
        if isinstance(name, str) and name.startswith("/"):
            return name if attr == "data" and not hasattr(obj, "columns") else name.rsplit("/", 1)[0] or "/"
    names = []
    node = obj
    while node is not None and getattr(node, "parent", None) is not None:
        names.append(node.name)
        node = node.parent
    return "/" + "/".join(reversed(names)) if names else None


def column_path(table, column: str) -> str:
    """HDF5 path of ``table[column]``."""
    base = object_path(table) or f"/{table.name}"
    return f"{base}/{column}"
