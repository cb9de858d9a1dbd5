"""``nwbtms imaging``: look at two-photon inputs before converting them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from nwbtms.cli._common import emit

_FORMAT_CHOICES = ["auto", "scanimage", "tiff", "bruker", "suite2p"]


@click.group()
def imaging() -> None:
    """Inspect two-photon imaging inputs (ScanImage, TIFF, Bruker PrairieView, Suite2p)."""


def _inspect_suite2p(path: Path) -> dict[str, Any]:
    from nwbtms.sources.segmentation import read_suite2p

    read = read_suite2p(path)
    planes = read if isinstance(read, list) else [read]
    first = planes[0]
    return {
        "format": "suite2p",
        "paths": [str(path)],
        "num_planes": len(planes),
        "num_frames": first.num_frames,
        "frame_rate_hz": first.frame_rate_hz,
        "frame_shape": None if first.frame_shape is None else list(first.frame_shape),
        "num_rois": sum(p.num_rois for p in planes),
        "planes": [p.summary() for p in planes],
        "timestamps_present": False,
        "aux_triggers": {},
    }


def inspect_path(path: Path, source_format: str = "auto",
                 frame_rate_hz: float | None = None) -> dict[str, Any]:
    """What ``nwbtms imaging inspect`` reports for ``path``, as a JSON-ready dict."""
    from nwbtms.sources.imaging import open_imaging
    from nwbtms.sources.segmentation import is_suite2p_folder

    if source_format == "suite2p" or (source_format == "auto" and is_suite2p_folder(path)):
        return _inspect_suite2p(path)
    fmt = None if source_format == "auto" else source_format
    if fmt is None:
        from nwbtms.sources.imaging import detect_format

        fmt = detect_format(path)
    options: dict[str, Any] = {}
    if frame_rate_hz is not None:
        options["frame_rate_hz"] = frame_rate_hz
    if fmt == "bruker":
        options = {"require_frames": False}
    source = open_imaging(path, format=fmt, **options)
    summary = source.summary()
    missing = getattr(source, "missing_files", None)
    if missing is not None:
        summary["missing_frame_files"] = len(missing)
    return summary


def _text(summary: dict[str, Any]) -> str:
    lines = []
    for key, value in summary.items():
        if key == "aux_triggers":
            if not value:
                lines.append("aux_triggers: none")
            for name, times in value.items():
                shown = ", ".join(f"{t:.6f}" for t in times[:10]) + (" ..." if len(times) > 10 else "")
                lines.append(f"aux_triggers.{name}: {len(times)} edge(s) at [{shown}] s")
        elif key == "planes":
            for plane in value:
                lines.append(f"plane {plane['plane_index']}: {plane['num_rois']} ROIs "
                             f"({plane['num_cells']} cells), {plane['num_frames']} frames")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


@imaging.command("inspect")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--source-format", type=click.Choice(_FORMAT_CHOICES), default="auto", show_default=True,
              help="Input format (detected by default).")
@click.option("--frame-rate", "frame_rate_hz", type=float, default=None,
              help="Frame rate in Hz (required for a plain TIFF; overrides a ScanImage header).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to a file instead of stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
def inspect(path: Path, output_format: str, source_format: str, frame_rate_hz: float | None,
            output: Path | None, overwrite: bool) -> None:
    """Show what nwbtms reads from PATH: frames, rate, shape, dtype, channels, planes, per-frame
    timestamps and aux trigger edge times (a ScanImage/TIFF file, a Bruker folder/XML or a Suite2p folder).
    """
    summary = inspect_path(path, source_format, frame_rate_hz)
    text = json.dumps(summary, indent=2, default=str) if output_format == "json" else _text(summary)
    emit(text, output, overwrite=overwrite)
