"""The DAQ clock's zero on the session clock: ``stimulation.daq_start_offset_s``."""

from __future__ import annotations

import datetime as dt

import pytest

from nwbtms.assembly.stimulation import OFFSET_MISMATCH_NOTE_S, daq_start_offset_s
from nwbtms.errors import MetadataError

START = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))


def test_default_is_session_start_time():
    assert daq_start_offset_s(0, None, START) == (0.0, None)


def test_from_recording_uses_the_recordings_clock():
    recording_start = (START + dt.timedelta(seconds=42.5)).astimezone(dt.UTC)  # other zone, same instant
    assert daq_start_offset_s("from_recording", recording_start, START) == (42.5, None)


def test_from_recording_without_a_clock_is_an_error():
    with pytest.raises(MetadataError) as info:
        daq_start_offset_s("from_recording", None, START, file="session.yaml")
    assert info.value.field == "/stimulation/daq_start_offset_s" and "seconds" in info.value.hint


def test_disagreeing_recording_gets_a_note_but_the_setting_wins():
    late = START + dt.timedelta(seconds=OFFSET_MISMATCH_NOTE_S + 60)
    offset, note = daq_start_offset_s(0, late, START)
    assert offset == 0.0 and "from_recording" in note and "+61.000 s" in note
    assert daq_start_offset_s(61, late, START) == (61.0, None)
