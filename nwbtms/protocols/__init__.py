"""TMS protocols: declare once, get exact pulse schedules, check delivered pulses against them.

Pure numpy; no pynwb writing (``protocol_table_row`` only builds keyword arguments). Modules:
``model`` (Level, Protocol, checks), ``presets`` (literature protocols), ``loading`` (protocol files,
``schemas/protocol.schema.json``), ``schedule`` (exact int64 schedules), ``reconcile`` (delivered vs
declared pulses), ``table`` (rows of ``ndx_tms.TMSProtocolsTable``).
"""

from nwbtms.protocols.loading import load_protocol, protocol_from_dict, protocol_to_dict
from nwbtms.protocols.model import LEVEL_ORDER, Jitter, Level, Protocol, Ramp
from nwbtms.protocols.presets import PRESETS, get_preset, preset_parameters
from nwbtms.protocols.reconcile import Discrepancy, Reconciliation, reconcile
from nwbtms.protocols.schedule import Schedule, build_schedule
from nwbtms.protocols.table import protocol_table_row

__all__ = [
    "LEVEL_ORDER",
    "PRESETS",
    "Discrepancy",
    "Jitter",
    "Level",
    "Protocol",
    "Ramp",
    "Reconciliation",
    "Schedule",
    "build_schedule",
    "get_preset",
    "load_protocol",
    "preset_parameters",
    "protocol_from_dict",
    "protocol_table_row",
    "protocol_to_dict",
    "reconcile",
]
