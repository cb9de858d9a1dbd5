"""``nwbtms imaging``: look at two-photon inputs before converting them.

``nwbtms imaging inspect`` is an alias of ``nwbtms inspect`` for movies, T-series and Suite2p folders: the
same summary from :mod:`nwbtms.sources.inspect`.
"""

from __future__ import annotations

from pathlib import Path

import click

from nwbtms.cli._common import emit
from nwbtms.cli._errors import map_errors
from nwbtms.sources.registry import reader_names

_FORMAT_CHOICES = ["auto", *reader_names("imaging"), *reader_names("segmentation")]


@click.group()
@map_errors
def imaging() -> None:
    """Inspect two-photon imaging inputs (ScanImage, TIFF, Bruker PrairieView, Suite2p)."""


@imaging.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--source-format", type=click.Choice(_FORMAT_CHOICES), default="auto", show_default=True,
              help="Input format (detected by default).")
@click.option("--frame-rate", "frame_rate_hz", type=float, default=None,
              help="Frame rate in Hz (a plain TIFF states none; overrides a ScanImage header).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to a file instead of stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@map_errors
def inspect(path: Path, output_format: str, source_format: str, frame_rate_hz: float | None,
            output: Path | None, overwrite: bool) -> None:
    """Show what nwbtms reads from PATH: frames, rate, shape, dtype, channels, planes, per-frame
    timestamps and aux trigger edge times (a ScanImage/TIFF file, a Bruker folder/XML or a Suite2p folder).
    Alias of ``nwbtms inspect``.
    """
    from nwbtms.errors import SourceError
    from nwbtms.sources.inspect import detect_reader, format_text, open_and_summarize, reader_kind, to_json

    options: dict = {}
    if source_format == "auto":
        reader, path, options = detect_reader(path)
        if reader_kind(reader) not in ("imaging", "segmentation", "zstack"):
            raise SourceError(f"this is a {reader_kind(reader)} input ({reader}), not imaging", file=path,
                              hint="use 'nwbtms inspect' for any raw input")
    else:
        reader = source_format
    if frame_rate_hz is not None and reader != "suite2p":
        options["frame_rate_hz"] = frame_rate_hz
    summary = open_and_summarize(reader, path, **options)
    emit(to_json(summary) if output_format == "json" else format_text(summary), output, overwrite=overwrite)
