"""Fiber photometry recordings (kind ``photometry``): pyPhotometry ``.ppd`` (:mod:`.pyphotometry`) and Doric
``.doric`` (:mod:`.doric`), each opened as a :class:`~nwbtms.sources.photometry.base.PhotometryRecording` of
streams read lazily in blocks."""

from nwbtms.sources.photometry.base import PhotometryRecording, PhotometryStream

__all__ = ["PhotometryRecording", "PhotometryStream"]
