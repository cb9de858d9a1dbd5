"""``nwbtms inspect PATH``: what nwbtms reads from any raw input (library: :mod:`nwbtms.sources.inspect`)."""

from __future__ import annotations

from pathlib import Path

import click

from nwbtms.cli._common import emit
from nwbtms.cli._errors import map_errors


def _reader_choices() -> list[str]:
    from nwbtms.sources.inspect import ZSTACK_KIND
    from nwbtms.sources.registry import reader_names

    return ["auto", *(name for name in reader_names() if name != "neuroconv"), ZSTACK_KIND]


@click.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format (json: one object with kind, reader and the numbers).")
@click.option("--reader", type=click.Choice(_reader_choices()), default="auto", show_default=True,
              help="Reader to open PATH with (found from its name and contents by default).")
@click.option("--frame-rate", "frame_rate_hz", type=float, default=None,
              help="Frame rate in Hz of a plain TIFF (overrides a ScanImage header).")
@click.option("--sample-rate", "sample_rate_hz", type=float, default=None,
              help="Sample rate in Hz of a CSV or raw binary DAQ file.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to a file instead of stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@map_errors
def inspect(path: Path, output_format: str, reader: str, frame_rate_hz: float | None,
            sample_rate_hz: float | None, output: Path | None, overwrite: bool) -> None:
    """Show what nwbtms reads from PATH: a DAQ recording (rate, channels, sweeps), stimulator log,
    navigator export (samples, untracked), movie or T-series (frames, rate, shape, channels, planes) or
    Suite2p folder (ROIs, frames). A file nwbtms does not read, or refuses, exits 2 with the reason.
    """
    from nwbtms.sources.inspect import detect_reader, format_text, open_and_summarize, reader_kind, to_json

    options = {}
    if reader == "auto":
        reader, path, options = detect_reader(path)
    if frame_rate_hz is not None:
        if reader_kind(reader) not in ("imaging", "zstack"):
            raise click.UsageError(f"--frame-rate applies to movies, not to a {reader} input")
        options["frame_rate_hz"] = frame_rate_hz
    if sample_rate_hz is not None:
        if reader not in ("csv", "binary"):
            raise click.UsageError(f"--sample-rate applies to csv and binary DAQ files, not to a {reader} input")
        options["sample_rate_hz"] = sample_rate_hz
    summary = open_and_summarize(reader, path, **options)
    emit(to_json(summary) if output_format == "json" else format_text(summary), output, overwrite=overwrite)
