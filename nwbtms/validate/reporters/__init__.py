"""Output formats of a ValidationReport: ``text`` (people), ``json`` (schemas/report.schema.json),
``sarif`` (SARIF 2.1.0, GitHub code scanning) and ``junit`` (JUnit XML, CI test reports)."""

from __future__ import annotations

from collections.abc import Callable

from nwbtms.validate.findings import ValidationReport


def render(report: ValidationReport, fmt: str) -> str:
    """The report in format ``fmt`` (text, json, sarif, junit)."""
    return FORMATS[fmt](report)


def _text(report: ValidationReport) -> str:
    from nwbtms.validate.reporters.text import render_text

    return render_text(report)


def _json(report: ValidationReport) -> str:
    return report.to_json()


def _sarif(report: ValidationReport) -> str:
    from nwbtms.validate.reporters.sarif import render_sarif

    return render_sarif(report)


def _junit(report: ValidationReport) -> str:
    from nwbtms.validate.reporters.junit import render_junit

    return render_junit(report)


def render_failure(fmt: str, message: str, tool_version: str = "") -> str | None:
    """A document saying the run validated nothing (``message``: why), for the CI formats (``sarif``,
    ``junit``), so an upload step always has a file; None for the other formats."""
    if fmt == "sarif":
        from nwbtms.validate.reporters.sarif import render_sarif_failure

        return render_sarif_failure(message, tool_version)
    if fmt == "junit":
        from nwbtms.validate.reporters.junit import render_junit_failure

        return render_junit_failure(message)
    return None


FORMATS: dict[str, Callable[[ValidationReport], str]] = {
    "text": _text, "json": _json, "sarif": _sarif, "junit": _junit,
}
