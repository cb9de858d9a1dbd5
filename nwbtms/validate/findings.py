"""The findings model: severities, one located finding, per-file results and the whole report.

Severities follow NWB Inspector's importance levels (``nwbinspector.Importance``) so a finding means the
same thing in both tools, with ERROR on top (the file or a check could not be processed, or the schema is
violated) and INFO below (a note that never blocks):

=========================  ==========================================  =====
severity                   NWB Inspector importance                    rank
=========================  ==========================================  =====
ERROR                      ERROR, PYNWB_VALIDATION                     4
CRITICAL                   CRITICAL                                    3
BEST_PRACTICE_VIOLATION    BEST_PRACTICE_VIOLATION                     2
BEST_PRACTICE_SUGGESTION   BEST_PRACTICE_SUGGESTION                    1
INFO                       (none)                                      0
=========================  ==========================================  =====
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field

#: Version of the JSON report layout (``schemas/report.schema.json``); bump the major on breaking changes.
REPORT_SCHEMA_VERSION = "1.0.0"


class Severity(enum.IntEnum):
    """How serious a finding is; a higher value is more serious."""

    INFO = 0
    BEST_PRACTICE_SUGGESTION = 1
    BEST_PRACTICE_VIOLATION = 2
    CRITICAL = 3
    ERROR = 4

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        """A severity from its name, case-insensitive; ``violation``/``suggestion`` are accepted short forms."""
        if isinstance(text, Severity):
            return text
        key = str(text).strip().upper().replace("-", "_")
        key = {"VIOLATION": "BEST_PRACTICE_VIOLATION", "SUGGESTION": "BEST_PRACTICE_SUGGESTION"}.get(key, key)
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(s.name for s in cls)
            raise ValueError(f"unknown severity {text!r}; use one of {names}") from None


#: What blocks by default: errors, CRITICAL and BEST_PRACTICE_VIOLATION, the threshold ``dandi validate``
#: applies to NWB Inspector (dandi-cli ``dandi validate`` runs nwbinspector with its dandi config at
#: BEST_PRACTICE_VIOLATION).
DEFAULT_FAIL_ON = Severity.BEST_PRACTICE_VIOLATION


@dataclass
class Finding:
    """One problem (or note) found in one file.

    Attributes
    ----------
    check_id : str
        Stable dotted check ID (``tms.pulses.ascending``, ``inspector.check_subject_age``...).
    severity : Severity
        After any demotion by the configuration.
    message : str
        What is wrong, with the offending value.
    file : str
        The file validated.
    location : str, optional
        Object path inside the file (``/events/tms_pulses/timestamp``).
    index : int, optional
        Row or element index of the first offending element.
    hint : str, optional
        How to fix it.
    count : int, optional
        How many elements are affected when the finding summarises a whole array.
    demoted_from : Severity, optional
        The check's own severity when the configuration demoted it.
    """

    check_id: str
    severity: Severity
    message: str
    file: str
    location: str | None = None
    index: int | None = None
    hint: str | None = None
    count: int | None = None
    demoted_from: Severity | None = None

    def where(self) -> str:
        """``file:/object/path[index]`` with the parts that are known."""
        text = self.file
        if self.location:
            text += f":{self.location}"
        if self.index is not None:
            text += f"[{self.index}]"
        return text

    def to_dict(self) -> dict:
        """A JSON-ready dict (``schemas/report.schema.json``, ``finding``)."""
        out = asdict(self)
        out["severity"] = self.severity.name
        out["demoted_from"] = self.demoted_from.name if self.demoted_from is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """The finding :meth:`to_dict` described."""
        values = dict(data)
        values["severity"] = Severity[values["severity"]]
        if values.get("demoted_from") is not None:
            values["demoted_from"] = Severity[values["demoted_from"]]
        return cls(**values)


@dataclass
class FileResult:
    """What validating one file produced."""

    path: str
    opened: bool = False
    identifier: str | None = None
    nwb_version: str | None = None
    ndx_tms_version: str | None = None
    namespaces: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0
    #: remote files (URLs): the file's size and the bytes transferred to validate it
    size_bytes: int | None = None
    bytes_transferred: int | None = None
    #: what the cross-file checks compare of this file (:func:`nwbtms.validate.cross_file.file_facts`), read by
    #: the worker that validated it when files are validated together; not part of the report
    cross_file: dict | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dict without the findings (they are listed once, at the report level)."""
        out = {
            "path": self.path, "opened": self.opened, "identifier": self.identifier,
            "nwb_version": self.nwb_version, "ndx_tms_version": self.ndx_tms_version,
            "namespaces": dict(self.namespaces), "duration_s": round(self.duration_s, 4),
        }
        if self.bytes_transferred is not None:
            out.update(size_bytes=self.size_bytes, bytes_transferred=self.bytes_transferred)
        return out

    def to_record(self) -> dict:
        """:meth:`to_dict` with the findings, for a resume ledger."""
        return {**self.to_dict(), "findings": [f.to_dict() for f in self.findings], "cross_file": self.cross_file}

    @classmethod
    def from_record(cls, data: dict) -> FileResult:
        """The result :meth:`to_record` described."""
        values = dict(data)
        values["findings"] = [Finding.from_dict(f) for f in values.get("findings", [])]
        return cls(**values)


@dataclass
class ValidationReport:
    """Findings over every file validated together, and the exit code they imply.

    ``exit_code`` is 0 when nothing reaches ``fail_on``, 1 when something does, 2 when no file could be
    opened at all.
    """

    files: list[FileResult]
    findings: list[Finding]
    profile: str
    fail_on: Severity
    skipped_checks: dict[str, str] = field(default_factory=dict)
    demoted_checks: dict[str, dict] = field(default_factory=dict)
    tool_version: str = ""

    @property
    def blocking(self) -> list[Finding]:
        """Findings at or above ``fail_on``."""
        return [f for f in self.findings if f.severity >= self.fail_on]

    @property
    def exit_code(self) -> int:
        """0 nothing blocking, 1 blocking findings, 2 no file could be opened."""
        if not self.files or not any(f.opened for f in self.files):
            return 2
        return 1 if self.blocking else 0

    def counts(self) -> dict[str, int]:
        """Number of findings per severity name (every severity listed, most serious first)."""
        counts = {s.name: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            counts[f.severity.name] += 1
        return counts

    def to_dict(self) -> dict:
        """The report as a dict following ``schemas/report.schema.json``."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "tool": {"name": "nwbtms", "version": self.tool_version},
            "profile": self.profile,
            "fail_on": self.fail_on.name,
            "exit_code": self.exit_code,
            "summary": {
                "files": len(self.files),
                "files_opened": sum(f.opened for f in self.files),
                "findings": len(self.findings),
                "blocking": len(self.blocking),
                "by_severity": self.counts(),
            },
            "files": [f.to_dict() for f in self.files],
            "findings": [f.to_dict() for f in self.findings],
            "skipped_checks": [{"id": k, "justification": v} for k, v in sorted(self.skipped_checks.items())],
            "demoted_checks": [{"id": k, **v} for k, v in sorted(self.demoted_checks.items())],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (``schemas/report.schema.json``)."""
        import json

        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)
