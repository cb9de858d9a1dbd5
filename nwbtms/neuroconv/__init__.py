"""nwbtms inside the NeuroConv ecosystem (optional extra ``nwbtms[neuroconv]``).

Two directions:

- :mod:`nwbtms.neuroconv.interfaces`: nwbtms's readers as NeuroConv data interfaces (TMS pulses from a DAQ,
  a stimulator log or a navigator export; the TMS metadata), to combine with NeuroConv's own interfaces in
  an ``NWBConverter`` and align on the DAQ clock.
- :mod:`nwbtms.neuroconv.sources`: any NeuroConv interface as a source of ``nwbtms convert``
  (``reader: neuroconv`` in the metadata file), added on the session clock.

NeuroConv is never imported by the rest of nwbtms; without it, importing these modules raises a
:class:`~nwbtms.errors.ConfigError` that names the extra to install.
"""

from __future__ import annotations

from typing import Any

from nwbtms.errors import ConfigError

#: What to install for this package.
EXTRA_HINT = "pip install 'nwbtms[neuroconv]'"

_INTERFACES = ("TMSPulsesInterface", "StimulatorLogInterface", "NavigatorInterface", "TMSMetadataInterface",
               "ROIAnnotationsInterface", "align_to_frame_clock")


def require_neuroconv(what: str = "this") -> Any:
    """The ``neuroconv`` module, or a ConfigError naming the extra when it is not installed."""
    try:
        import neuroconv
    except ImportError as exc:
        raise ConfigError(f"{what} needs NeuroConv, which is not installed", hint=EXTRA_HINT) from exc
    return neuroconv


def __getattr__(name: str) -> Any:
    if name in _INTERFACES:
        from nwbtms.neuroconv import interfaces

        return getattr(interfaces, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXTRA_HINT", "require_neuroconv", *_INTERFACES]
