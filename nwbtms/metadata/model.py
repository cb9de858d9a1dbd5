"""The validated description of one session, built by :func:`nwbtms.metadata.load.load_session`.

Sections stay the keyed mappings of the metadata file (already checked against
``schemas/session.schema.json``, keys resolved); what needs interpreting is typed here: the session
start time, the sources with their resolved paths, and the stimulation settings with defaults.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbtms.protocols.reconcile import DEFAULT_SESSION_TOLERANCE_S

#: Defaults of the ``stimulation`` section (schemas/session.schema.json). The artifact window covers the
#: coil-discharge artefact and its ringing in two-photon PMT signals (a convention of this project;
#: docs/ARCHITECTURE.md).
DEFAULT_ARTIFACT_WINDOW_S = (-0.001, 0.025)
DEFAULT_MIN_SESSION_GAP_S = 30.0
DEFAULT_MATCH_TOLERANCE_S = DEFAULT_SESSION_TOLERANCE_S  # the reconciliation's, shared with validate


@dataclass(frozen=True)
class Source:
    """One raw file or folder named in ``sources``."""

    key: str
    reader: str
    path: Path
    options: dict[str, Any] = field(default_factory=dict)
    #: ``reader: neuroconv`` only: ``interface``, ``metadata``, ``conversion_options``, ``starting_time_s``.
    neuroconv: dict[str, Any] | None = None


@dataclass(frozen=True)
class Stimulation:
    """How delivered pulses are found (``pulses_from`` DAQ source) and what they belong to."""

    pulses_from: str
    protocol: str
    target: str
    coil: str
    stimulator_log: str | None = None
    navigator: str | None = None
    course_protocol: str | None = None
    sham_sessions: tuple[int, ...] = ()
    min_session_gap_s: float = DEFAULT_MIN_SESSION_GAP_S
    match_tolerance_s: float = DEFAULT_MATCH_TOLERANCE_S
    artifact_window_s: tuple[float, float] = DEFAULT_ARTIFACT_WINDOW_S
    keep_raw_traces: bool = False
    #: Seconds from ``session_start_time`` to the DAQ clock's zero, or ``"from_recording"``.
    daq_start_offset_s: float | str = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> Stimulation:
        values = dict(data)
        values["sham_sessions"] = tuple(values.get("sham_sessions", ()))
        values["artifact_window_s"] = tuple(values.get("artifact_window_s", DEFAULT_ARTIFACT_WINDOW_S))
        return cls(**values)


@dataclass(frozen=True)
class Session:
    """A validated session: the metadata mapping, its file and folder, typed parts.

    Attributes
    ----------
    data : dict
        The whole metadata mapping (schema-valid, no placeholders, no dangling keys).
    metadata_file : Path or None
        The YAML file, or None when given as a dict.
    folder : Path
        Folder that source paths are relative to.
    sources : dict of str to Source
        Every source with its path resolved and checked to stay inside ``folder``.
    """

    data: dict
    metadata_file: Path | None
    folder: Path
    sources: dict[str, Source]
    #: 1-based line of each JSON pointer of the metadata file (empty for a dict)
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, pointer: str) -> int | None:
        """Line of ``pointer`` in the metadata file, or of its nearest ancestor; None for a dict."""
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return self.lines.get("")

    def error(self, message: str, pointer: str, *, hint: str | None = None):
        """A :class:`~nwbtms.errors.MetadataError` located at ``pointer`` (file, line and JSON path)."""
        from nwbtms.errors import MetadataError

        return MetadataError(message, file=self.metadata_file, line=self.line_of(pointer), field=pointer,
                             hint=hint)

    def section(self, name: str) -> dict:
        """A keyed section (``devices``, ``protocols``...), empty when absent."""
        return dict(self.data.get(name) or {})

    @property
    def nwbfile_fields(self) -> dict:
        return dict(self.data["nwbfile"])

    @property
    def subject(self) -> dict:
        return dict(self.data["subject"])

    @property
    def subject_id(self) -> str:
        return str(self.data["subject"]["subject_id"])

    @property
    def session_id(self) -> str:
        return str(self.data["nwbfile"]["session_id"])

    @property
    def session_start_time(self) -> dt.datetime:
        return parse_datetime(self.data["nwbfile"]["session_start_time"])

    @property
    def identifier(self) -> str:
        """The file identifier: given, or ``nwbtms-<subject>-<session>-<start time>`` (stable on rerun)."""
        given = self.data["nwbfile"].get("identifier")
        if given:
            return str(given)
        stamp = self.session_start_time.strftime("%Y%m%dT%H%M%S%z")
        return f"nwbtms-{self.subject_id}-{self.session_id}-{stamp}"

    @property
    def stimulation(self) -> Stimulation | None:
        section = self.data.get("stimulation")
        return Stimulation.from_dict(section) if section else None


_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601 with a UTC offset (``Z``, ``+01:00`` or ``+0100``) to an aware datetime."""
    text = str(text).strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = _OFFSET.sub(r"\1:\2", text)
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value
