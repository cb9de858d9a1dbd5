"""The NwbtmsError hierarchy: located messages with hints, several problems at once, exit codes."""

from __future__ import annotations

from nwbtms.errors import (
    ChannelNotFoundError,
    ConversionError,
    MetadataError,
    NwbtmsError,
    Problem,
    SourceError,
)


def test_message_names_file_line_field_and_hint():
    err = SourceError("sample rate must be positive, got 0", file="rig/daq.h5", line=None,
                      field="header/AcquisitionSampleRate", hint="re-export the recording")
    assert str(err) == ("rig/daq.h5: header/AcquisitionSampleRate: sample rate must be positive, got 0\n"
                        "  hint: re-export the recording")
    assert err.exit_code == 2
    assert isinstance(err, NwbtmsError)


def test_several_problems_are_listed():
    err = MetadataError("2 problems in session.yaml", file="session.yaml", problems=[
        Problem("'P90' is not an ISO 8601 duration", file="session.yaml", line=7, field="/subject/age",
                hint="write P90D"),
        Problem("unknown key 'specie'", file="session.yaml", line=9, field="/subject"),
    ])
    text = str(err)
    assert "session.yaml:7: /subject/age: 'P90' is not an ISO 8601 duration" in text
    assert "\n    hint: write P90D" in text
    assert "session.yaml:9: /subject: unknown key 'specie'" in text


def test_exit_codes_and_subclasses():
    assert issubclass(ChannelNotFoundError, SourceError)
    assert ConversionError("x").exit_code == 1
    assert Problem("m").location() == ""
