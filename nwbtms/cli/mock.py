"""``nwbtms mock``: write the ndx-tms example file built by the extension's mock factories."""

from __future__ import annotations

from pathlib import Path

import click

from nwbtms.cli._common import say
from nwbtms.cli._errors import map_errors


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="NWB file to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@map_errors
def mock(output: Path, overwrite: bool) -> None:
    """Write ndx_tms.testing.mock_tms_nwbfile() to OUTPUT and check it with pynwb.validate."""
    from ndx_tms.testing import mock_tms_nwbfile
    from pynwb import validate

    from nwbtms.errors import ConversionError
    from nwbtms.io.nwb_write import write_nwbfile

    write_nwbfile(mock_tms_nwbfile(), output, overwrite=overwrite)
    errors = validate(path=str(output))
    if errors:
        raise ConversionError(f"pynwb.validate found {len(errors)} error(s): {errors[:3]}", file=output)
    say(f"wrote {output} (pynwb.validate: no errors)")
    click.echo(str(output))
