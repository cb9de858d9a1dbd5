"""Human-readable report: findings grouped by severity (most serious first), each with location and hint,
then one summary line."""

from __future__ import annotations

from collections.abc import Sequence

from nwbtms.validate.findings import FileResult, Finding, Severity, ValidationReport


def _finding_lines(findings: Sequence[Finding], fail_on: Severity, show_info: bool) -> list[str]:
    lines: list[str] = []
    for severity in sorted(Severity, reverse=True):
        group = [f for f in findings if f.severity == severity]
        if not group or (severity == Severity.INFO and not show_info):
            continue
        blocking = " (blocking)" if severity >= fail_on else ""
        lines.append(f"== {severity.name}{blocking}: {len(group)} ==")
        for f in group:
            count = f" [{f.count} affected]" if f.count and f.count > 1 else ""
            lines.append(f"{f.where()}: {f.check_id}: {f.message}{count}")
            if f.demoted_from is not None:
                lines.append(f"    demoted from {f.demoted_from.name} by the configuration")
            if f.hint and severity > Severity.INFO:
                lines.append(f"    hint: {f.hint}")
        lines.append("")
    return lines


def render_file_text(result: FileResult, fail_on: Severity, *, findings: Sequence[Finding] | None = None,
                     show_info: bool = True) -> str:
    """One file's findings (or ``findings``), grouped by severity, as printed when the file finishes."""
    chosen = result.findings if findings is None else findings
    shown = [f for f in chosen if show_info or f.severity > Severity.INFO]
    header = f"-- {result.path}: {len(shown) or 'no'} finding(s) --"
    return "\n".join([header, *_finding_lines(chosen, fail_on, show_info)]) + "\n"


def render_text(report: ValidationReport, *, show_info: bool = True, summary_only: bool = False) -> str:
    """The report as text for a terminal or a CI log (only the closing lines with ``summary_only``)."""
    lines = [] if summary_only else _finding_lines(report.findings, report.fail_on, show_info)
    counts = report.counts()
    summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    opened = sum(f.opened for f in report.files)
    verdict = {0: "OK", 1: "FAILED", 2: "NOT VALIDATED"}[report.exit_code]
    lines.append(f"{verdict}: {len(report.files)} file(s), {opened} opened; "
                 f"{summary or 'no findings'}; {len(report.blocking)} blocking at --fail-on {report.fail_on.name}")
    if report.skipped_checks:
        lines.append(f"skipped by configuration: {', '.join(sorted(report.skipped_checks))}")
    return "\n".join(lines) + "\n"
