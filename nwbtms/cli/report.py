"""``nwbtms report``: write the quality-control page (and optionally its PNG figures) of an NWB file."""

from __future__ import annotations

from pathlib import Path

import click

from nwbtms.cli._common import is_quiet, say
from nwbtms.cli._errors import map_errors


@click.command()
@click.argument("nwb_file", metavar="NWB_FILE|URL|DIR")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML page to write (self-contained: figures embedded).",
)
@click.option(
    "--png",
    "png_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write each figure as <figure id>.png into this folder (created if missing).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("--no-validate", is_flag=True, help="Skip the validation section (of every session page).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="DIR: files read (and their pages drawn) in parallel, one task per file, on a local dask "
                   "cluster of N workers (a process pool without dask).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="DIR: run the per-file tasks on a running dask scheduler (pip install 'nwbtms[dask]').")
@click.option("--ledger", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="DIR: folder keeping each file's summary; a re-run (with --overwrite) reads and draws only "
                   "files changed since (resume).")
@map_errors
def report(
    nwb_file: str, output: Path | None, png_dir: Path | None, overwrite: bool, no_validate: bool, jobs: int,
    scheduler: str | None, ledger: Path | None,
) -> None:
    """Write a quality-control page for NWB_FILE: stimulation, intensity, protocol, clocks, imaging, ROIs.

    For a folder DIR, a study page: the design (subjects x condition factors x sessions), spine turnover per
    cell type x condition across days, behaviour scores per condition, pulse-aligned photometry per cell type,
    and each session's page (written into <output stem>_sessions/ beside it) linked.

    A URL (http(s), s3, a DANDI asset URL) is read in place by byte-range requests (pip install
    'nwbtms[remote]'); the bytes transferred are printed on stderr.

    \b
    Example:
      nwbtms report session.nwb -o session.html
      nwbtms report session.nwb --png figures/
      nwbtms report dandiset/ -o study.html --jobs 2
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from nwbtms.errors import InputError

        raise InputError("nwbtms report draws its figures with matplotlib, which is not installed",
                         hint="pip install 'nwbtms[report]'") from None
    from nwbtms.io.remote import is_url
    from nwbtms.report import write_report

    if output is None and png_dir is None:
        raise click.UsageError("give -o/--output REPORT.html and/or --png DIR")
    if not is_url(nwb_file) and Path(nwb_file).is_dir():
        _study(Path(nwb_file), output, png_dir, overwrite, not no_validate, jobs, scheduler, ledger)
        return
    if jobs > 1 or scheduler is not None or ledger is not None:
        raise click.UsageError("--jobs, --scheduler and --ledger apply to a folder (the study page), not to one file")
    result = write_report(
        nwb_file, output, png_dir=png_dir, overwrite=overwrite, validate=not no_validate, quiet=is_quiet()
    )
    for problem in result.errors:
        say(f"warning: section {problem}")
    if result.transferred:
        say(f"{nwb_file}: {result.transferred}")
    if output is not None:
        say(f"wrote {output} ({len(result.figures)} figures)")
        click.echo(str(output))
    if png_dir is not None:
        say(f"wrote {len(result.figures)} figures to {png_dir}")


def _study(folder: Path, output: Path | None, png_dir: Path | None, overwrite: bool, validate: bool, jobs: int,
           scheduler: str | None, ledger: Path | None) -> None:
    from nwbtms.report.study import pages_folder, write_study_report

    result = write_study_report(folder, output, png_dir=png_dir, overwrite=overwrite, validate=validate, jobs=jobs,
                                scheduler=scheduler, ledger=ledger, quiet=is_quiet())
    for problem in result.errors:
        say(f"warning: {problem}")
    if output is not None:
        say(f"wrote {output} ({len(result.figures)} figures) and {len(result.pages)} session page(s) in "
            f"{pages_folder(output)}")
        click.echo(str(output))
    if png_dir is not None:
        say(f"wrote {len(result.figures)} figures to {png_dir}")
