"""``nwbtms rois registry`` and ``nwbtms spines turnover``: ROIs followed across a subject's NWB files."""

from __future__ import annotations

from pathlib import Path

import click

from nwbtms.cli._common import emit, say
from nwbtms.cli._errors import map_errors

_JOBS = click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Files read in parallel, one task per file: a local dask cluster of N workers (a process "
                          "pool without dask).")
_SCHEDULER = click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                          help="Read the files on a running dask scheduler, one task per file "
                               "(pip install 'nwbtms[dask]').")
_LEDGER = click.option("--ledger", type=click.Path(file_okay=False, path_type=Path), default=None,
                       help="Folder keeping each file's summary: a re-run reads only files changed since (resume).")
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json", "tsv"]), default="text",
                       show_default=True, help="Output format.")


@click.group()
@map_errors
def rois() -> None:
    """ROI identity across sessions (keys in PlaneSegmentation tables)."""


@rois.command()
@click.argument("folder", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_FORMAT
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_JOBS
@_SCHEDULER
@_LEDGER
@map_errors
def registry(folder: tuple[Path, ...], fmt: str, output: Path | None, overwrite: bool, jobs: int,
             scheduler: str | None, ledger: Path | None) -> None:
    """Key x session presence per subject over every NWB file in FOLDER (DANDI layout or any folder).

    \b
    Example:
      nwbtms rois registry dandiset/ --format tsv -o registry.tsv
    """
    from nwbtms.spines.output import render_registry
    from nwbtms.spines.registry import read_registry

    result = read_registry(folder, jobs=jobs, scheduler=scheduler, ledger=ledger)
    emit(render_registry(result, fmt), output, overwrite=overwrite)
    say(f"{len(result.files)} file(s), {len(result.subjects)} subject(s)")


@click.group()
@map_errors
def spines() -> None:
    """Dendritic spines followed across days."""


@spines.command()
@click.argument("folder", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_FORMAT
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--write-back", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each session file, with the subject's turnover and spine presence as derived "
                   "tables (processing/spines), as a new file into this folder (same relative path); the input "
                   "folder itself with --overwrite replaces the originals atomically.")
@_JOBS
@_SCHEDULER
@_LEDGER
@map_errors
def turnover(folder: tuple[Path, ...], fmt: str, output: Path | None, overwrite: bool,
             write_back: Path | None, jobs: int, scheduler: str | None, ledger: Path | None) -> None:
    """Spine formation, elimination, turnover ratio, survival and density between consecutive sessions.

    Per subject and pair of consecutive sessions (by start time), per dendrite and pooled per cell type,
    then per cell type x condition (the subject's factor levels in /general/study_design) and session pair:
    gained and lost summed, mean and SEM of the rates across subjects.

    \b
    Example:
      nwbtms spines turnover dandiset/ --format json -o turnover.json
      nwbtms spines turnover dandiset/ --jobs 2 --format tsv
    """
    from nwbtms.spines.output import render_turnover
    from nwbtms.spines.registry import read_registry
    from nwbtms.spines.turnover import compute_turnover

    if output is not None:
        from nwbtms.io.atomic import refuse_existing

        refuse_existing(output, overwrite=overwrite)
    registry_ = read_registry(folder, jobs=jobs, scheduler=scheduler, ledger=ledger)
    result = compute_turnover(registry_)
    emit(render_turnover(result, fmt), output, overwrite=overwrite)
    say(f"{len(result.rows)} row(s) over {len(registry_.subjects)} subject(s)")
    if write_back is not None:
        from nwbtms.spines.derived import write_turnover_copies

        written = write_turnover_copies(registry_, result, folder, write_back, overwrite=overwrite)
        say(f"wrote {len(written)} file(s) with the derived turnover table under {write_back}")
