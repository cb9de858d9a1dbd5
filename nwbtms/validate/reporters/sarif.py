"""SARIF 2.1.0 output for GitHub code scanning (one run, one rule per check ID, one result per finding).

Levels: ERROR and CRITICAL -> ``error``, BEST_PRACTICE_VIOLATION -> ``warning``, below -> ``note``.
Locations are artifact URIs (the file) plus a logical location (the object path inside it).
"""

from __future__ import annotations

import json
import os
import re

from nwbtms.validate.findings import Severity, ValidationReport
from nwbtms.validate.registry import CHECKS

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.CRITICAL: "error", Severity.BEST_PRACTICE_VIOLATION: "warning",
          Severity.BEST_PRACTICE_SUGGESTION: "note", Severity.INFO: "note"}


def artifact_uri(path: str) -> str:
    """A SARIF ``artifactLocation.uri`` (RFC 3986): a URL as given (characters outside URIs percent-encoded),
    a file path percent-encoded (spaces, ``#``, ``%``, non-ASCII), relative paths kept relative."""
    from urllib.parse import quote

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path):
        return quote(path, safe=":/?#[]@!$&'()*+,;=%~")
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    if posix.startswith("/"):
        return "file://" + quote(posix, safe="/")
    return quote(posix, safe="/")


def render_sarif_failure(message: str, tool_version: str = "") -> str:
    """A SARIF 2.1.0 log for a run that validated nothing: no results, the reason as a tool notification."""
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nwbtms-validate", "version": tool_version,
                                "informationUri": "https://github.com/nwbtms/nwbtms", "rules": []}},
            "results": [],
            "invocations": [{"executionSuccessful": False, "exitCode": 2,
                             "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}]}],
        }],
    }
    return json.dumps(log, indent=2)


def render_sarif(report: ValidationReport) -> str:
    """The report as a SARIF 2.1.0 log."""
    rule_ids = sorted({f.check_id for f in report.findings})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    rules = []
    for rule in rule_ids:
        info = CHECKS.get(rule)
        text = info.summary if info else f"NWB Inspector check {rule.removeprefix('inspector.')}"
        rules.append({"id": rule, "name": rule.replace(".", "_"), "shortDescription": {"text": text},
                      "help": {"text": info.hint if info else "See the NWB Inspector best practices."}})
    results = []
    for f in report.findings:
        location = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(f.file)}}}
        if f.location:
            name = f.location + (f"[{f.index}]" if f.index is not None else "")
            location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "object"}]
        text = f.message + (f" Hint: {f.hint}" if f.hint else "")
        results.append({"ruleId": f.check_id, "ruleIndex": index[f.check_id], "level": _LEVEL[f.severity],
                        "message": {"text": text}, "locations": [location],
                        "properties": {"severity": f.severity.name, "blocking": f.severity >= report.fail_on}})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nwbtms-validate", "version": report.tool_version,
                                "informationUri": "https://github.com/nwbtms/nwbtms", "rules": rules}},
            "results": results,
            "invocations": [{"executionSuccessful": report.exit_code != 2, "exitCode": report.exit_code}],
        }],
    }
    return json.dumps(log, indent=2)
