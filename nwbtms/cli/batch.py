"""``nwbtms batch``: convert many sessions in parallel on dask.distributed (a thin layer over
:func:`nwbtms.assembly.batch.run_batch`). Exit 0 when every session was converted or skipped, 1 otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nwbtms.cli._common import is_quiet
from nwbtms.cli._errors import map_errors


@click.command()
@click.argument("session_files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (DANDI layout, plus ledger/ with one JSON per session).")
@click.option("--scheduler", default=None, help="Address of an existing dask scheduler (default: a LocalCluster).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="LocalCluster worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Reconvert sessions whose valid output exists.")
@click.option("-q", "--quiet", "quiet_flag", is_flag=True, help="No summary table on stderr.")
@map_errors
def batch(session_files: tuple[Path, ...], out_dir: Path, scheduler: str | None, workers: int | None,
          force: bool, quiet_flag: bool) -> None:
    """Convert SESSION_FILES (session.yaml files) into OUT, resumably; a summary table at the end."""
    from nwbtms.assembly.batch import run_batch

    result = run_batch(list(session_files), out_dir, scheduler=scheduler, workers=workers, force=force)
    if not (quiet_flag or is_quiet()):
        click.echo(result.table(), err=True)
    for outcome in result.outcomes:
        if outcome.output and outcome.ok:
            click.echo(outcome.output)
    sys.exit(result.exit_code)
