"""nwbtms: transcranial magnetic stimulation (TMS) data into NWB, checked for DANDI.

The library API mirrors the CLI. The names in ``__all__`` are the public API, each imported on first use so
``import nwbtms`` stays light (no pynwb, h5py or dask):

- conversion: :func:`convert_session` (one metadata file -> one NWB file), :func:`load_session` (the metadata
  layer, every problem at once);
- validation: :func:`validate_paths` (the eight-step validator), :func:`register_check` (add a check);
- readers: :func:`open_source` (any registered reader by name), :func:`open_recording` (DAQ files),
  :func:`reader_names` (the reader registry);
- protocols: :func:`get_preset`, :func:`load_protocol`, :func:`build_schedule`;
- errors: :class:`NwbtmsError` and its subclasses in :mod:`nwbtms.errors`.

The ndx-tms types are the extension's own package (``import ndx_tms``).
"""

from importlib import import_module
from typing import Any

from nwbtms._version import __version__
from nwbtms.errors import NwbtmsError

#: public name -> module it lives in (imported on first use)
_LAZY = {
    "convert_session": "nwbtms.assembly.convert",
    "load_session": "nwbtms.metadata",
    "validate_paths": "nwbtms.validate",
    "register_check": "nwbtms.validate.registry",
    "open_source": "nwbtms.sources.registry",
    "reader_names": "nwbtms.sources.registry",
    "open_recording": "nwbtms.sources.daq",
    "get_preset": "nwbtms.protocols",
    "load_protocol": "nwbtms.protocols",
    "build_schedule": "nwbtms.protocols",
}

__all__ = ["NwbtmsError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nwbtms' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
