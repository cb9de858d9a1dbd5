"""nwbtms: transcranial magnetic stimulation (TMS) data into NWB, checked for DANDI.

The library API mirrors the CLI: readers in :mod:`nwbtms.sources`, protocols in :mod:`nwbtms.protocols`,
conversion in :mod:`nwbtms.metadata` and :func:`convert_session`, validation in :mod:`nwbtms.validate`.
Errors are :class:`nwbtms.errors.NwbtmsError`. ``convert_session`` is imported on first use, so
``import nwbtms`` stays light (no pynwb, h5py or dask).
"""

from typing import Any

from nwbtms._version import __version__
from nwbtms.errors import NwbtmsError

__all__ = ["NwbtmsError", "__version__", "convert_session"]


def __getattr__(name: str) -> Any:
    if name == "convert_session":
        from nwbtms.assembly.convert import convert_session

        return convert_session
    raise AttributeError(f"module 'nwbtms' has no attribute {name!r}")
