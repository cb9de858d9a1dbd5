"""DAQ recordings: one reader per format behind the :class:`Recording` interface.

``open_recording(path, format=None, **options)`` picks the reader; every reader streams samples in
bounded chunks (see :mod:`nwbtms.sources.daq.base`).
"""

from nwbtms.sources.daq.base import (
    DEFAULT_CHUNK_SAMPLES,
    ChannelInfo,
    Chunk,
    Recording,
    Segment,
)
from nwbtms.sources.daq.concat import ConcatenatedRecording
from nwbtms.sources.daq.dispatch import guess_format, open_recording

__all__ = [
    "DEFAULT_CHUNK_SAMPLES",
    "ChannelInfo",
    "Chunk",
    "ConcatenatedRecording",
    "Recording",
    "Segment",
    "guess_format",
    "open_recording",
]
