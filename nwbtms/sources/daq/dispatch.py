"""``open_recording``: pick the DAQ reader for a path by its extension or contents (the DAQ readers of
:mod:`nwbtms.sources.registry`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nwbtms.errors import InputError, SourceError
from nwbtms.sources import registry
from nwbtms.sources.daq.base import Recording


def guess_format(path: Path) -> str:
    """DAQ reader name for ``path``: the first DAQ reader (:mod:`nwbtms.sources.registry`) whose suffix matches
    and whose sniff recognises the content, else the first whose suffix matches (a folder: the folder
    reader); :class:`SourceError` when none does."""
    found = registry.recognise(path, kind="daq")
    if found is not None:
        return found.name
    by_suffix = [cls for cls in registry.readers("daq") if cls.matches_suffix(path)]
    if by_suffix:  # a file reader before a folder reader whose stream files share the suffix (.dat)
        return sorted(by_suffix, key=lambda cls: cls.folder and not path.is_dir())[0].name
    raise SourceError(
        f"cannot tell the recording format from the extension {path.suffix.lower()!r}",
        file=path,
        hint=f"pass format= one of {', '.join(registry.reader_names('daq'))}",
    )


def reader_class(name: str) -> type[Recording]:
    """The Recording subclass registered as the DAQ reader ``name``."""
    daq = registry.reader_names("daq")
    if name not in daq:
        raise InputError(f"unknown recording format {name!r}", field="format", hint=f"use one of {', '.join(daq)}")
    return registry.reader(name)


def open_recording(
    path: str | os.PathLike | Sequence[str | os.PathLike], *, format: str | None = None, **options: Any
) -> Recording:
    """Open a DAQ recording lazily.

    Parameters
    ----------
    path : path, or a list of paths
        A WaveSurfer ``.h5``, ``.tdms``, ``.abf``, an Open Ephys ``structure.oebin`` or its folder
        (recording, experiment or record node), raw ``.bin``/``.dat``, ``.csv``/``.tsv``, or a Bruker
        PrairieView ``*_VoltageRecording_NNN.csv``/``.xml``.
        Several paths are joined into one :class:`ConcatenatedRecording` (same channels and rate).
    format : str, optional
        DAQ reader name (``nwbtms.sources.registry.reader_names("daq")``); recognised from the file when
        omitted.
    **options
        Passed to the reader: raw binary needs ``dtype``, ``num_channels``, ``sample_rate_hz`` and
        takes ``channel_names``, ``scale``, ``offset``, ``unit``, ``layout``, ``header_bytes``,
        ``digital_channels``; CSV takes ``sample_rate_hz``, ``delimiter``, ``digital_channels``;
        TDMS takes ``group``; Open Ephys takes ``stream``.

    Raises
    ------
    SourceError
        Missing, truncated or malformed file.
    InputError
        Unknown format or option.
    """
    if isinstance(path, list | tuple):
        from nwbtms.sources.daq.concat import ConcatenatedRecording

        parts = [open_recording(p, format=format, **options) for p in path]
        if len(parts) == 1:
            return parts[0]
        return ConcatenatedRecording(parts)
    path = Path(path)
    if not path.exists():
        raise SourceError("file not found", file=path, hint="check the path")
    name = format or guess_format(path)
    cls = reader_class(name)
    accepted = cls.options()
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(
            f"option(s) {', '.join(unknown)} not understood by the {name} reader",
            file=path,
            field=unknown[0],
            hint=f"it accepts: {', '.join(accepted) or 'no options'}",
        )
    return cls(path, **options)
