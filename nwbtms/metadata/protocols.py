"""The :class:`~nwbtms.protocols.Protocol` behind each ``protocols`` entry of the metadata file."""

from __future__ import annotations

from nwbtms.errors import MetadataError, NwbtmsError
from nwbtms.metadata.model import Session


def entry_protocol(entry: dict):
    """The protocol of a ``protocols`` entry: a preset (with ``params``), a file or an inline definition."""
    from nwbtms.protocols import get_preset, load_protocol

    if "preset" in entry:
        return get_preset(entry["preset"], **(entry.get("params") or {}))
    if "file" in entry:
        return load_protocol(entry["file"])
    return load_protocol(entry["definition"])


def session_protocol(session: Session, key: str):
    """The protocol of entry ``key``; protocol errors are re-raised located in the metadata file."""
    entry = session.section("protocols")[key]
    try:
        return entry_protocol(entry)
    except NwbtmsError as exc:
        raise MetadataError(f"protocol {key!r}: {exc.message}", file=session.metadata_file,
                            line=session.line_of(f"/protocols/{key}"), field=f"/protocols/{key}", hint=exc.hint,
                            problems=exc.problems) from None
