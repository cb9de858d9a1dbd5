"""Any NeuroConv data interface as a source of ``nwbtms convert`` (``reader: neuroconv`` in the metadata file).

A source names the interface class and gives its data the nwbtms way::

    sources:
      eeg:
        reader: neuroconv
        interface: EDFRecordingInterface      # any class in neuroconv.datainterfaces
        path: raw/eeg.edf                     # its file_path (or folder_path), checked like every source path
        options: {}                           # the rest of its source data
        metadata: {}                          # merged over the interface's own get_metadata()
        conversion_options: {}                # keyword arguments of its add_to_nwbfile
        starting_time_s: 12.5                 # its time 0 on the session clock (default 0)

:func:`check_neuroconv_sources` runs before anything is read (extra installed, interface known, source data
valid against the interface's own source schema; every problem at once, located in the metadata file);
:func:`add_neuroconv_sources` then adds each interface's data to the session's NWBFile, shifted onto the
session clock, before nwbtms writes the file atomically and validates it.
"""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any

from nwbtms.errors import MetadataError, Problem, SourceError
from nwbtms.neuroconv import EXTRA_HINT, require_neuroconv
from nwbtms.sources.registry import Reader


def _interfaces() -> dict[str, type]:
    require_neuroconv("a 'reader: neuroconv' source")
    from neuroconv.datainterfaces import interface_list

    return {cls.__name__: cls for cls in interface_list}


def _path_key(schema: dict) -> str | None:
    properties = schema.get("properties") or {}
    return next((key for key in ("file_path", "folder_path") if key in properties), None)


def _source_data(source, cls) -> tuple[dict, list[str]]:
    """The interface's source data and the problems with it (messages)."""
    import jsonschema

    schema = cls.get_source_schema()
    path_key = _path_key(schema)
    if path_key is None:
        return {}, [f"{cls.__name__} takes neither file_path nor folder_path; nwbtms gives it 'path' as one "
                    "of them"]
    data = {**copy.deepcopy(source.options), path_key: str(source.path)}
    checked = json.loads(json.dumps(data, default=str))
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"{'/'.join(str(p) for p in error.absolute_path) or 'options'}: {error.message}"
                for error in validator.iter_errors(checked)]
    return data, problems


def check_neuroconv_sources(session) -> None:
    """Raise one MetadataError listing every problem of the ``reader: neuroconv`` sources of ``session`` (nothing
    read yet; :meth:`NeuroConvReader.check_sources`)."""
    NeuroConvReader.check_sources([s for s in session.sources.values() if s.reader == "neuroconv"],
                                  metadata_file=session.metadata_file)


def _check_sources(sources: list, metadata_file) -> None:
    if not sources:
        return
    known = _interfaces()
    file = None if metadata_file is None else str(metadata_file)
    problems = []
    for source in sources:
        name = source.neuroconv["interface"]
        cls = known.get(name)
        if cls is None:
            close = difflib.get_close_matches(name, known, n=3)
            problems.append(Problem(f"source '{source.key}': NeuroConv has no interface {name!r}", file=file,
                                    field=f"/sources/{source.key}/interface",
                                    hint=f"did you mean {', '.join(close)}?" if close else
                                    "see neuroconv.datainterfaces.interface_list"))
            continue
        _, messages = _source_data(source, cls)
        problems += [Problem(f"source '{source.key}' ({name}): {message}", file=file,
                             field=f"/sources/{source.key}/options",
                             hint=f"see {name}.get_source_schema()") for message in messages]
    if problems:
        raise MetadataError(f"{len(problems)} problem(s) with NeuroConv sources", file=file, problems=problems)


def interface_source_schema(name: str) -> dict:
    """The source schema of NeuroConv interface ``name`` (MetadataError naming close matches when unknown)."""
    known = _interfaces()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        raise MetadataError(f"NeuroConv has no interface {name!r}", field="interface",
                            hint=f"did you mean {', '.join(close)}?" if close else "see 'nwbtms neuroconv interfaces'")
    return known[name].get_source_schema()


def describe_interfaces() -> list[dict]:
    """Every NeuroConv interface with the source key nwbtms's ``path`` fills, its suffixes and its extra."""
    rows = []
    for name, cls in sorted(_interfaces().items()):
        try:
            path = _path_key(cls.get_source_schema())
        except Exception:  # noqa: BLE001 - a schema NeuroConv cannot build is listed without a path key
            path = None
        rows.append({"interface": name, "path": path, "suffixes": list(getattr(cls, "associated_suffixes", ()) or ()),
                     "install": _extra_hint(cls), "display_name": getattr(cls, "display_name", None) or name})
    return rows


def _declared_extras() -> set[str]:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        return {e.replace("_", "-") for e in (metadata("neuroconv").get_all("Provides-Extra") or [])}
    except PackageNotFoundError:
        return set()


def _extra_hint(cls: type) -> str:
    """``pip install 'neuroconv[<extra>]'``: the format's extra (NeuroConv names extras by the interface's folder),
    else its modality's, as the NeuroConv distribution declares them."""
    parts = cls.__module__.split(".")
    extras = _declared_extras()
    candidates = [parts[3]] if len(parts) > 3 and parts[1] == "datainterfaces" else []
    candidates += [parts[2]] if len(parts) > 2 and parts[1] == "datainterfaces" else []
    for candidate in candidates:
        if candidate.replace("_", "-") in extras:
            return f"pip install 'neuroconv[{candidate}]'"
    return "pip install neuroconv"


def open_interface(source) -> Any:
    """The NeuroConv interface of one ``reader: neuroconv`` source (source data checked first)."""
    cls = _interfaces().get(source.neuroconv["interface"])
    if cls is None:
        raise MetadataError(f"source '{source.key}': NeuroConv has no interface {source.neuroconv['interface']!r}",
                            field=f"/sources/{source.key}/interface")
    data, messages = _source_data(source, cls)
    if messages:
        raise MetadataError(f"source '{source.key}': " + "; ".join(messages), field=f"/sources/{source.key}/options")
    try:
        return cls(**data)
    except ImportError as exc:
        raise SourceError(f"source '{source.key}': {cls.__name__} needs a library that is not installed ({exc})",
                          file=source.path, hint=_extra_hint(cls)) from exc
    except (ValueError, OSError, KeyError, TypeError) as exc:
        raise SourceError(f"source '{source.key}': {cls.__name__} cannot read it: {type(exc).__name__}: {exc}",
                          file=source.path, field=f"/sources/{source.key}") from exc


def _metadata(interface, source, nwbfile) -> dict:
    from neuroconv.utils import dict_deep_update

    try:
        metadata = interface.get_metadata(use_new_metadata_format=True)
    except TypeError:  # interfaces that emit the dict format only take no argument
        metadata = interface.get_metadata()
    metadata = dict_deep_update(metadata, copy.deepcopy(source.neuroconv.get("metadata") or {}))
    metadata["NWBFile"]["session_start_time"] = nwbfile.session_start_time  # the session's, not the file's
    return metadata


def _align(interface, source) -> None:
    start = float(source.neuroconv.get("starting_time_s") or 0.0)
    if not start:
        return
    if hasattr(interface, "set_aligned_starting_time"):
        interface.set_aligned_starting_time(start)
    elif hasattr(getattr(interface, "alignment", None), "shift_times"):
        interface.alignment.shift_times(start)
    else:
        raise MetadataError(f"source '{source.key}': {type(interface).__name__} cannot be shifted in time",
                            field=f"/sources/{source.key}/starting_time_s", hint="remove starting_time_s")


def add_neuroconv_sources(session, nwbfile, assembled) -> None:
    """Add every ``reader: neuroconv`` source's data of ``session`` to ``nwbfile`` on the session clock
    (:meth:`NeuroConvReader.add_sources`), its notes to ``assembled``."""
    assembled.notes.extend(NeuroConvReader.add_sources(
        [s for s in session.sources.values() if s.reader == "neuroconv"], nwbfile,
        metadata_file=session.metadata_file))


def _add_sources(sources: list, nwbfile, metadata_file) -> list[str]:
    from importlib.metadata import version

    require_neuroconv("a 'reader: neuroconv' source")
    _check_sources(sources, metadata_file)
    notes = []
    for source in sources:
        interface = open_interface(source)
        _align(interface, source)
        metadata = _metadata(interface, source, nwbfile)
        try:
            interface.add_to_nwbfile(nwbfile, metadata=metadata, **(source.neuroconv.get("conversion_options") or {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"source '{source.key}': {type(interface).__name__} could not add its data: "
                              f"{type(exc).__name__}: {exc}", file=source.path, field=f"/sources/{source.key}",
                              hint="check its metadata and conversion_options") from exc
        start = float(source.neuroconv.get("starting_time_s") or 0.0)
        notes.append(f"source {source.key!r}: {type(interface).__name__} (NeuroConv "
                     f"{version('neuroconv')}) added, time 0 at {start:g} s on the session clock")
    return notes


__all__ = ["EXTRA_HINT", "add_neuroconv_sources", "check_neuroconv_sources", "describe_interfaces",
           "interface_source_schema", "open_interface"]


class NeuroConvReader(Reader):
    """``reader: neuroconv`` in the reader registry (:mod:`nwbtms.sources.registry`): the source names a NeuroConv
    interface, which reads its own data and adds it to the NWB file; the assembly dispatches to
    :meth:`check_sources` and :meth:`add_sources` through the registry (``adds_to_nwbfile``), so it never
    imports this package."""

    name = "neuroconv"
    kind = "neuroconv"
    display_name = "NeuroConv data interface"
    info = "Any class of neuroconv.datainterfaces, given the source's path as its file_path or folder_path."
    adds_to_nwbfile = True

    @classmethod
    def check_sources(cls, sources: list, *, metadata_file=None) -> None:
        """Raise one MetadataError listing every problem of these ``reader: neuroconv`` sources (nothing read).

        Raises
        ------
        ConfigError
            NeuroConv is not installed (the hint names the extra).
        MetadataError
            Unknown interface, or source data its schema refuses.
        """
        _check_sources(list(sources), metadata_file)

    @classmethod
    def add_sources(cls, sources: list, nwbfile, *, metadata_file=None) -> list[str]:
        """Add each source's interface data to ``nwbfile`` (shifted by ``starting_time_s``, the session's start
        time kept); returns one note per source."""
        return _add_sources(list(sources), nwbfile, metadata_file)

    @classmethod
    def matches_suffix(cls, path) -> bool:
        return True  # the interface decides what it reads

    @classmethod
    def open(cls, path: Any, *, interface: str, **options: Any) -> Any:
        """The NeuroConv interface ``interface`` on ``path`` (its other source data in ``options``)."""
        interfaces = _interfaces()
        if interface not in interfaces:
            raise SourceError(f"no NeuroConv interface {interface!r}", field="interface",
                              hint="name a class of neuroconv.datainterfaces")
        cls_ = interfaces[interface]
        return cls_(**{_path_key(cls_.get_source_schema()) or "file_path": str(path), **options})
