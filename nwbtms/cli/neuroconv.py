"""``nwbtms neuroconv``: the NeuroConv interfaces nwbtms can use as sources, and their source data.

Needs the extra ``nwbtms[neuroconv]``; without it each subcommand exits 2 naming the extra.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from nwbtms.cli._common import emit
from nwbtms.cli._errors import map_errors


@click.group()
@map_errors
def neuroconv() -> None:
    """NeuroConv interfaces as sources of 'nwbtms convert' (reader: neuroconv) and nwbtms's own interfaces."""


@neuroconv.command("interfaces")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@map_errors
def interfaces(fmt: str, output: Path | None, overwrite: bool) -> None:
    """Every NeuroConv interface a 'reader: neuroconv' source can name: its path key, suffixes, and extra."""
    from nwbtms.neuroconv.sources import describe_interfaces

    rows = describe_interfaces()
    if fmt == "json":
        emit(json.dumps(rows, indent=2), output, overwrite=overwrite)
        return
    width = max(len(row["interface"]) for row in rows)
    lines = [f"{row['interface']:<{width}}  {row['path'] or '-':<11}  {row['install']:<34}  "
             f"{' '.join(row['suffixes'])}" for row in rows]
    emit("\n".join(lines), output, overwrite=overwrite)


@neuroconv.command("schema")
@click.argument("interface")
@map_errors
def schema(interface: str) -> None:
    """The source schema of INTERFACE (what a 'reader: neuroconv' source's path and options give it), as JSON."""
    from nwbtms.neuroconv.sources import interface_source_schema

    emit(json.dumps(interface_source_schema(interface), indent=2, default=str), None)
