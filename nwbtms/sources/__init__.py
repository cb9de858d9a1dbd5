"""Readers of raw rig and imaging files; pure (no pynwb), lazy, bounded memory.

Subpackages: ``daq`` (DAQ recordings), ``logs`` (stimulator logs), ``navigation`` (neuronavigation
exports), ``imaging`` and ``segmentation``. Import the subpackage you need; this package imports
nothing so one reader's optional library cannot break another.
"""
