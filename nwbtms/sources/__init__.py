"""Readers of raw rig and imaging files; pure (no pynwb), lazy, bounded memory.

Subpackages: ``daq`` (DAQ recordings), ``logs`` (stimulator logs), ``navigation`` (neuronavigation
exports), ``imaging`` and ``segmentation``. Import the subpackage you need; this package imports
nothing so one reader's optional library cannot break another.
"""

import logging

# tifffile reports tags it cannot decode (e.g. a MetaMorph CreateTime of julian day 0 in PrairieView's
# reference TIFFs) on its "tifffile" logger; with no handler configured, Python's last-resort handler
# prints them on stderr, mid-way through command output. A NullHandler keeps them out of stderr; an
# application that configures logging still receives them (they propagate).
logging.getLogger("tifffile").addHandler(logging.NullHandler())
