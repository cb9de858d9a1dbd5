"""Segmentation readers (Suite2p), with a restricted unpickler for their pickled files."""

from __future__ import annotations

from nwbtms.sources.segmentation.safe_pickle import SafeUnpickler, load_npy_object, safe_loads
from nwbtms.sources.segmentation.suite2p import (
    Suite2pPlane,
    is_suite2p_folder,
    read_suite2p,
    read_suite2p_plane,
)

__all__ = ["SafeUnpickler", "Suite2pPlane", "is_suite2p_folder", "load_npy_object", "read_suite2p",
           "read_suite2p_plane", "safe_loads"]
