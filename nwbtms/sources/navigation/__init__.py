"""Neuronavigation exports (per-pulse coil pose, stimulator output, tracking errors).

:func:`read_localite_triggers` reads Localite TMS Navigator trigger markers, :func:`read_brainsight` the
Brainsight text export; both return :class:`NavigatorPulses`.
"""

from nwbtms.sources.navigation.brainsight import read_brainsight
from nwbtms.sources.navigation.localite import read_localite_triggers, select_trigger_marker_files
from nwbtms.sources.navigation.navigator_pulses import NavigatorPulses

__all__ = ["NavigatorPulses", "read_brainsight", "read_localite_triggers", "select_trigger_marker_files"]
