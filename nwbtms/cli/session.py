"""``nwbtms init`` (draft a session.yaml from a folder of raw files) and ``nwbtms convert``.

Both are thin layers over :func:`nwbtms.metadata.init.draft_metadata` and
:func:`nwbtms.assembly.convert.convert_session`. Exit codes of ``convert``: 0 the file was written and has no
blocking findings; 1 the conversion failed (nothing written) or the written file has blocking findings
(the file is kept so it can be inspected); 2 bad metadata, bad input or usage (nothing written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nwbtms.cli._common import is_quiet, say
from nwbtms.cli._errors import map_errors


@click.command()
@click.argument("rawdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="session.yaml to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing metadata file.")
@map_errors
def init(rawdir: Path, output: Path, overwrite: bool) -> None:
    """Draft OUTPUT (a session.yaml) from the raw files found in RAWDIR.

    Known files (WaveSurfer .h5, .tdms, .abf, Open Ephys, stimulator logs, Localite/Brainsight,
    ScanImage TIFF, Bruker XML, Suite2p folders) are recognised and what they say is filled in; every
    required unknown is marked "<FILL ME: ...>". 'nwbtms convert' refuses to run until none is left.
    """
    from nwbtms.metadata.init import write_draft

    draft = write_draft(rawdir, output, overwrite=overwrite)
    for found in draft.recognised:
        say(f"found {found.describe(rawdir)}")
    say(f"wrote {output}: {draft.num_placeholders} placeholder(s) to fill (search for '<FILL ME')")
    click.echo(str(output))


@click.command()
@click.argument("metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="NWB file to write.")
@click.option("--dandi-layout", "dandi_layout", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/sub-<id>/sub-<id>_ses-<id>.nwb instead of --output.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--profile", type=click.Choice(["archive", "fast", "none"]), default=None,
              help="Compression of imaging movies (default: the plane's 'compression', else archive).")
@click.option("--no-validate", is_flag=True, help="Skip the validator's fast checks after writing.")
@click.option("-q", "--quiet", "quiet_flag", is_flag=True, help="No progress bars and no summary on stderr.")
@map_errors
def convert(metadata: Path, output: Path | None, dandi_layout: Path | None, overwrite: bool,
            profile: str | None, no_validate: bool, quiet_flag: bool) -> None:
    """Convert the session described by METADATA (session.yaml) into one NWB file.

    Prints the file written on stdout and a summary (pulses, sessions, frames, ROIs, findings) on stderr.
    Exit 0: written, nothing blocking; 1: conversion failed (nothing written) or blocking findings (file
    kept for inspection); 2: bad metadata or input (nothing written).
    """
    from nwbtms.assembly.convert import convert_session

    quiet = quiet_flag or is_quiet()
    if (output is None) == (dandi_layout is None):
        raise click.UsageError("give exactly one of -o/--output and --dandi-layout")
    result = convert_session(metadata, output, overwrite=overwrite, dandi_layout=dandi_layout,
                             quiet=quiet, validate=not no_validate, compression=profile)
    if not quiet:
        click.echo(result.summary(), err=True)
    else:
        # Who opens the file needs to know this even when the run was quiet.
        for note in result.notes:
            if "hdf5plugin" in note:
                click.echo(f"note: {note}", err=True)
    click.echo(str(result.output))
    if result.exit_code:
        sys.exit(result.exit_code)
