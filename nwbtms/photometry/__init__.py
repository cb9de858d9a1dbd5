"""Fiber photometry read back from NWB files (h5py alone): the pulse-aligned response of each fiber."""

from nwbtms.photometry.response import PulseAlignedResponse, read_pulse_aligned_responses

__all__ = ["PulseAlignedResponse", "read_pulse_aligned_responses"]
