"""Fiber photometry recordings (kind ``photometry``): pyPhotometry ``.ppd`` (:mod:`.pyphotometry`), Doric
``.doric`` (:mod:`.doric`) and Neurophotometrics CSV (:mod:`.neurophotometrics`), each opened as a
:class:`~nwbtms.sources.photometry.base.PhotometryRecording` of streams read lazily in blocks."""

from nwbtms.sources.photometry.base import PhotometryRecording, PhotometryStream

__all__ = ["PhotometryRecording", "PhotometryStream"]
