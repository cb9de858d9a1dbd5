"""Spines and neurons followed across a subject's sessions: registry, turnover, cross-file consistency.

Pure library code over NWB files read with h5py (:mod:`nwbtms.spines.read`): any PlaneSegmentation with a
``roi_key`` column takes part, whichever converter wrote it.
"""

from nwbtms.spines.read import RoiRecord, SessionRois, find_nwb_files, read_session_rois
from nwbtms.spines.registry import Registry, SubjectRegistry, build_registry, read_registry
from nwbtms.spines.turnover import TurnoverResult, TurnoverRow, compute_turnover

__all__ = [
    "Registry", "RoiRecord", "SessionRois", "SubjectRegistry", "TurnoverResult", "TurnoverRow", "build_registry",
    "compute_turnover", "find_nwb_files", "read_registry", "read_session_rois",
]
