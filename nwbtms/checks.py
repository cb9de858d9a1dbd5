"""The nwbtms checks for NWB Inspector under their first name: ``nwbinspector --modules nwbtms.checks``.

The plugin is generated from the check registry in :mod:`nwbtms.validate.inspector_plugin`.
"""

from nwbtms.validate.inspector_plugin import *  # noqa: F403  (registers the checks with nwbinspector)
from nwbtms.validate.inspector_plugin import INSPECTOR_CHECKS, __all__  # noqa: F401
