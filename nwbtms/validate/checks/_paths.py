"""Where a pynwb object lives inside its file, for finding locations."""

from __future__ import annotations


def object_path(obj) -> str | None:
    """HDF5 path of a container or column read from a file (``/events/tms_pulses``), else a name path."""
    if type(obj).__name__ == "TmsView":  # the file's TMS objects by role: their metadata container
        obj = obj.metadata
    for attr in ("data", "id"):
        inner = getattr(obj, attr, None)
        if attr == "id" and inner is not None:
            inner = getattr(inner, "data", None)
        inner = getattr(inner, "dataset", inner)
        name = getattr(inner, "name", None)
        if isinstance(name, str) and name.startswith("/"):
            from hdmf.container import Data

            return name if isinstance(obj, Data) else name.rsplit("/", 1)[0] or "/"
    names = []
    node = obj
    while node is not None and getattr(node, "parent", None) is not None:
        names.append(node.name)
        if getattr(node.parent, "parent", None) is None:
            names.append(_top_group(node.parent, node))
        node = node.parent
    names = [n for n in names if n]
    return "/" + "/".join(reversed(names)) if names else None


#: NWBFile attribute -> HDF5 group of the objects it holds (NWB core 2.x layout)
_TOP_GROUPS = (("lab_meta_data", "general"), ("devices", "general/devices"), ("acquisition", "acquisition"),
               ("processing", "processing"), ("stimulus", "stimulus"), ("intervals", "intervals"),
               ("analysis", "analysis"), ("device_models", "general/device_models"),
               ("imaging_planes", "general/optophysiology"), ("events", "events"))


def _top_group(nwbfile, child) -> str:
    """The group under the file root that holds ``child`` (``general`` for lab metadata...)."""
    for attribute, group in _TOP_GROUPS:
        holder = getattr(nwbfile, attribute, None)
        if holder is not None and any(v is child for v in getattr(holder, "values", lambda: [])()):
            return group
    return ""


def column_path(table, column: str) -> str:
    """HDF5 path of ``table[column]``."""
    base = object_path(table) or f"/{table.name}"
    return f"{base}/{column}"
