"""``open_recording``: pick the DAQ reader for a path by its extension or contents."""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nwbtms.errors import InputError, SourceError
from nwbtms.sources.daq.base import Recording

#: reader name -> (module, class) ; imported lazily so one broken library cannot break the others.
READERS: dict[str, tuple[str, str]] = {
    "wavesurfer": ("nwbtms.sources.daq.wavesurfer", "WaveSurferRecording"),
    "tdms": ("nwbtms.sources.daq.tdms", "TdmsRecording"),
    "abf": ("nwbtms.sources.daq.abf", "AbfRecording"),
    "openephys": ("nwbtms.sources.daq.openephys", "OpenEphysRecording"),
    "binary": ("nwbtms.sources.daq.generic", "BinaryRecording"),
    "csv": ("nwbtms.sources.daq.generic", "CsvRecording"),
    "bruker_voltage": ("nwbtms.sources.daq.bruker_voltage", "BrukerVoltageRecording"),
}

_EXTENSIONS = {
    ".h5": "wavesurfer",
    ".tdms": "tdms",
    ".abf": "abf",
    ".oebin": "openephys",
    ".bin": "binary",
    ".dat": "binary",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}


def guess_format(path: Path) -> str:
    """Reader name for ``path``; :class:`SourceError` when it cannot be told."""
    if path.is_dir():
        return "openephys"
    suffix = path.suffix.lower()
    if "_VoltageRecording_" in path.name and suffix in (".csv", ".xml"):
        return "bruker_voltage"  # PrairieView's analog inputs beside a T-series
    if suffix == ".xml":
        from nwbtms.sources.imaging.bruker_voltage import is_voltage_recording_master

        if is_voltage_recording_master(path):
            return "bruker_voltage"  # PrairieView's master XML of a voltage recording
    if suffix == ".dat" and path.name == "continuous.dat":
        # continuous/<stream>/continuous.dat inside an Open Ephys recording folder
        recording = path.parent.parent.parent
        if (recording / "structure.oebin").is_file():
            return "openephys"
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise SourceError(
        f"cannot tell the recording format from the extension {suffix!r}",
        file=path,
        hint=f"pass format= one of {', '.join(READERS)}",
    )


def reader_class(name: str) -> type[Recording]:
    """The Recording subclass registered as ``name``."""
    if name not in READERS:
        raise InputError(f"unknown recording format {name!r}", field="format", hint=f"use one of {', '.join(READERS)}")
    import importlib

    module_name, class_name = READERS[name]
    return getattr(importlib.import_module(module_name), class_name)


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
        Reader name (see :data:`READERS`); guessed from the extension when omitted.
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
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "path")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(
            f"option(s) {', '.join(unknown)} not understood by the {name} reader",
            file=path,
            field=unknown[0],
            hint=f"it accepts: {', '.join(accepted) or 'no options'}",
        )
    return cls(path, **options)
