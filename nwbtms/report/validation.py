"""Run the nwbtms validator for the report's validation section, never failing the page.

The validator (``nwbtms.validate``) is imported lazily: when it is not installed in this build, or it
raises on the file, the report shows why validation is unavailable instead of failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class ValidationOutcome:
    """Findings of the validator, or the reason there are none to show."""

    findings: list | None
    unavailable: str | None = None


def run_validation(path: str | os.PathLike) -> ValidationOutcome:
    """``validate_paths([path], profile="tms")``; the reason as text when it cannot run."""
    try:
        from nwbtms.validate import validate_paths
    except Exception as exc:  # noqa: BLE001 - any import failure means "unavailable", shown on the page
        return ValidationOutcome(None, f"the validator could not be imported ({type(exc).__name__}: {exc})")
    try:
        report = validate_paths([str(path)], profile="tms")
        findings = list(getattr(report, "findings", report))
    except Exception as exc:  # noqa: BLE001 - the page reports the failure instead of dying
        return ValidationOutcome(None, f"the validator failed on this file ({type(exc).__name__}: {exc})")
    return ValidationOutcome(findings)


def severity_name(finding) -> str:
    """Lower-case severity name of a finding (``Severity`` enum member or plain text)."""
    severity = getattr(finding, "severity", "")
    return str(getattr(severity, "name", severity)).lower()


def finding_place(finding) -> str:
    """Where a finding sits: ``/object/path[index]``; for findings without a path (NWB Inspector's on
    in-memory objects) the ``<type> <name>`` its message starts with; else ``(whole file)``."""
    location = str(getattr(finding, "location", "") or "")
    index = getattr(finding, "index", None)
    if location:
        return f"{location}[{index}]" if index is not None else location
    head, sep, _ = str(getattr(finding, "message", "")).partition(": ")
    if sep and 0 < len(head) <= 80 and "\n" not in head:
        return head
    return "(whole file)"


def finding_row(finding) -> tuple[str, str, str, str, str]:
    """(severity, check_id, place, message, hint) of one finding, tolerant of missing attributes."""
    return (
        severity_name(finding),
        str(getattr(finding, "check_id", "")),
        finding_place(finding),
        str(getattr(finding, "message", "")),
        str(getattr(finding, "hint", "") or ""),
    )
