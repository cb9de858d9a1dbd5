"""Stimulator logs (polled status or per-pulse rows): :func:`read_stimulator_log`."""

from nwbtms.sources.logs.stimulator_log import StimulatorLog, read_stimulator_log

__all__ = ["StimulatorLog", "read_stimulator_log"]
