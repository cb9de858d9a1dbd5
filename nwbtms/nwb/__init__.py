"""Builders that turn nwbtms records into pynwb objects.

The only package (with ndx-tms) that imports pynwb to write.

One module per part of the file: :mod:`nwbtms.nwb.session` (NWBFile, subject, devices, TMS metadata),
:mod:`nwbtms.nwb.pulses` (pulses, sessions and reconciliation tables, raw DAQ traces).
"""
