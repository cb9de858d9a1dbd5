"""``nwbtms validate``: check NWB files for DANDI upload and TMS correctness; exit 0/1/2 for CI."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nwbtms.cli._common import emit, is_quiet, say
from nwbtms.cli._errors import map_errors
from nwbtms.cli._exit import end_without_teardown
from nwbtms.errors import InputError
from nwbtms.io.atomic import refuse_existing

SEVERITY_CHOICES = ["ERROR", "CRITICAL", "BEST_PRACTICE_VIOLATION", "BEST_PRACTICE_SUGGESTION", "INFO",
                    "violation", "suggestion"]


@click.command()
@click.argument("paths", nargs=-1, metavar="PATHS|URLS...")
@click.option("--profile", type=click.Choice(["dandi", "tms"]), default=None,
              help="dandi: the upload gate (steps 1-5, 7); tms (default): adds TMS semantics and reporting items.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit"]), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES, case_sensitive=False), default=None,
              help="Lowest severity that fails the run (default BEST_PRACTICE_VIOLATION, as dandi validate).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML file that skips or demotes checks, each with a justification.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Files validated in parallel: a local dask cluster of N workers (a process pool without dask).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Validate on a running dask scheduler, one task per file (pip install 'nwbtms[dask]').")
@click.option("--ledger", "ledger", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder keeping each file's findings: a re-run skips files unchanged since (resume).")
@click.option("--fast", is_flag=True, help="Quick subset (no NWB Inspector, no whole-array scans).")
@click.option("--list-checks", is_flag=True, help="List the check IDs and exit.")
@map_errors
def validate(paths: tuple[str, ...], profile: str | None, fmt: str, output: Path | None, fail_on: str | None,
             config_path: Path | None, jobs: int, fast: bool, list_checks: bool, overwrite: bool,
             scheduler: str | None, ledger: Path | None) -> None:
    """Validate NWB files and folders (searched recursively for *.nwb), or http(s)/s3 URLs.

    \b
    Exit codes: 0 nothing blocking, 1 blocking findings, 2 usage error or no file could be opened.
    With --jobs N or --scheduler, text findings are printed per file as each finishes.
    URLs (DANDI asset URLs too) are read in place by byte-range requests (pip install 'nwbtms[remote]');
    the bytes transferred are printed on stderr.
    Example:  nwbtms validate sessions/ --jobs 2 --format sarif -o nwbtms.sarif
    """
    from nwbtms.validate.registry import all_checks, inspector_check_ids

    refuse_existing(output, overwrite=overwrite)

    if list_checks:
        lines = [f"{c.id}\t{c.severity.name}\t{'/'.join(c.profiles)}\t{c.summary}"
                 for c in sorted(all_checks().values(), key=lambda c: c.step)]
        lines += [f"{cid}\t(NWB Inspector, dandi config)\tdandi/tms\t" for cid in sorted(inspector_check_ids())]
        emit("\n".join(lines), output, overwrite=overwrite)
        return
    if not paths:
        raise click.UsageError("give at least one NWB file or folder")
    from nwbtms.validate.findings import Severity
    from nwbtms.validate.reporters import render
    from nwbtms.validate.reporters.text import render_file_text, render_text
    from nwbtms.validate.runner import validate_paths

    stream = fmt == "text" and output is None and (jobs > 1 or scheduler is not None)
    streamed: dict[str, int] = {}
    if fail_on:
        threshold = Severity.parse(fail_on)
    else:  # the configuration's fail_on, else the default (validate_paths checks the file again)
        from nwbtms.validate.config import load_config
        from nwbtms.validate.findings import DEFAULT_FAIL_ON

        threshold = (load_config(config_path).fail_on if config_path else None) or DEFAULT_FAIL_ON

    def show(result) -> None:
        streamed[result.path] = len(result.findings)
        if stream:
            sys.stdout.write(render_file_text(result, threshold))
            sys.stdout.flush()
        elif not is_quiet() and (jobs > 1 or scheduler is not None):
            say(f"{result.path}: {len(result.findings)} finding(s)")

    try:
        report = validate_paths(paths, profile=profile, config=config_path, jobs=jobs, fail_on=fail_on,
                                fast=fast, quiet=is_quiet() or stream, scheduler=scheduler, ledger=ledger,
                                on_file=show, local_cluster=None)
    except InputError as exc:  # the CI formats still write a document (an upload step needs a file)
        from nwbtms import __version__
        from nwbtms.validate.reporters import render_failure

        document = render_failure(fmt, str(exc), __version__)
        if document is not None:
            emit(document, output, overwrite=overwrite)
        raise
    for result in report.files:
        if result.bytes_transferred is not None:
            share = 100.0 * result.bytes_transferred / result.size_bytes if result.size_bytes else 0.0
            say(f"{result.path}: {result.bytes_transferred / 1e6:.2f} MB of {result.size_bytes / 1e6:.2f} MB "
                f"transferred ({share:.2f} %)")
    if stream:  # findings across files (shared identifiers) came after the files; then the summary
        for result in report.files:
            late = result.findings[streamed.get(result.path, 0):]
            if late:
                sys.stdout.write(render_file_text(result, report.fail_on, findings=late))
        emit(render_text(report, summary_only=True), None)
    else:
        emit(render(report, fmt), output, overwrite=overwrite)
    if output is not None or fmt != "text":
        counts = ", ".join(f"{n} {name}" for name, n in report.counts().items() if n) or "no findings"
        say(f"validated {len(report.files)} file(s): {counts}; exit {report.exit_code}")
    end_without_teardown()  # everything is said and closed; the workers and any cluster are gone
    if report.exit_code:
        sys.exit(report.exit_code)
