"""Human-readable report: findings grouped by severity (most serious first), each with location and hint,
then one summary line."""

from __future__ import annotations

from nwbtms.validate.findings import Severity, ValidationReport


def render_text(report: ValidationReport, *, show_info: bool = True) -> str:
    """The report as text for a terminal or a CI log."""
    lines: list[str] = []
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity == severity]
        if not group or (severity == Severity.INFO and not show_info):
            continue
        blocking = " (blocking)" if severity >= report.fail_on else ""
        lines.append(f"== {severity.name}{blocking}: {len(group)} ==")
        for f in group:
            count = f" [{f.count} affected]" if f.count and f.count > 1 else ""
            lines.append(f"{f.where()}: {f.check_id}: {f.message}{count}")
            if f.demoted_from is not None:
                lines.append(f"    demoted from {f.demoted_from.name} by the configuration")
            if f.hint and severity > Severity.INFO:
                lines.append(f"    hint: {f.hint}")
        lines.append("")
    counts = report.counts()
    summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    opened = sum(f.opened for f in report.files)
    verdict = {0: "OK", 1: "FAILED", 2: "NOT VALIDATED"}[report.exit_code]
    lines.append(f"{verdict}: {len(report.files)} file(s), {opened} opened; "
                 f"{summary or 'no findings'}; {len(report.blocking)} blocking at --fail-on {report.fail_on.name}")
    if report.skipped_checks:
        lines.append(f"skipped by configuration: {', '.join(sorted(report.skipped_checks))}")
    return "\n".join(lines) + "\n"
