"""Controlled vocabularies and value checks of ndx-tms (the pynwb-free :mod:`ndx_tms_vocabulary`, re-exported)."""

from ndx_tms_vocabulary import *  # noqa: F403
from ndx_tms_vocabulary import __all__  # noqa: F401
