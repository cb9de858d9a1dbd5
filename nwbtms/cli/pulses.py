"""``nwbtms pulses``: check a rig recording before converting it.

``nwbtms pulses detect FILE [--channel NAME] [--format csv|json] [--threshold V] [-o FILE]`` prints
one row per detected pulse (CSV header ``time_s,amplitude[,di_dt_a_per_us],saturated``).

FILE is any recording :func:`nwbtms.sources.daq.open_recording` reads (DAQ files and Bruker PrairieView
``*_VoltageRecording_*.csv/.xml``), or a ScanImage TIFF, whose ``auxTrigger0..3`` edge times (already
measured by ScanImage, on the imaging clock) are printed as pulses.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from nwbtms.cli._common import emit, is_quiet, say
from nwbtms.cli._errors import map_errors
from nwbtms.io.atomic import refuse_existing
from nwbtms.pulses.files import EDGE_TIME_FORMATS
from nwbtms.sources.registry import reader_names


def _option_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parse_options(pairs: tuple[str, ...]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        options[key.strip()] = _option_value(value.strip())
    return options


def _fmt(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))


def render_csv(pulses, with_di_dt: bool) -> str:
    """CSV text: header, then one row per pulse (time first)."""
    header = ["time_s", "amplitude"] + (["di_dt_a_per_us"] if with_di_dt else []) + ["saturated"]
    lines = [",".join(header)]
    for i in range(len(pulses)):
        row = [f"{pulses.times_s[i]:.9f}", _fmt(pulses.amplitudes[i])]
        if with_di_dt:
            row.append(_fmt(pulses.di_dt_a_per_us[i]))
        row.append("true" if pulses.saturated[i] else "false")
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def render_json(pulses, with_di_dt: bool) -> str:
    """JSON text: the detection settings and one object per pulse."""
    rows = []
    for i in range(len(pulses)):
        row = {"time_s": float(pulses.times_s[i]), "amplitude": float(pulses.amplitudes[i])}
        if with_di_dt:
            row["di_dt_a_per_us"] = float(pulses.di_dt_a_per_us[i])
        row["saturated"] = bool(pulses.saturated[i])
        rows.append(row)
    document = {
        "file": pulses.path,
        "channel": pulses.channel,
        "unit": pulses.unit,
        "sample_rate_hz": pulses.sample_rate_hz if math.isfinite(pulses.sample_rate_hz) else None,
        "threshold": pulses.threshold,
        "hysteresis": pulses.hysteresis,
        "polarity": pulses.polarity,
        "count": len(pulses),
        "notes": pulses.notes,
        "pulses": rows,
    }
    return json.dumps(document, indent=2) + "\n"


@click.group()
@map_errors
def pulses() -> None:
    """Detect TMS pulses in rig recordings."""


@pulses.command("detect")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--channel", "-c", help="Channel with the trigger or coil current (default: the trigger-like one)."
)
@click.option(
    "--format", "output_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--threshold", type=float, help="Trigger level in the channel's unit (default: automatic).")
@click.option("--hysteresis", type=float, help="Re-arm distance from the threshold, channel unit.")
@click.option("--refractory-s", type=float, default=None, help="Debounce window in seconds (default 0.0005).")
@click.option("--polarity", type=click.Choice(["rising", "falling"]), default="rising", show_default=True)
@click.option(
    "--calibration-a-per-us-per-unit",
    "calibration",
    type=float,
    help="dI/dt (A/us) per channel unit, for coil-current monitors.",
)
@click.option(
    "--input-format",
    type=click.Choice([*reader_names("daq"), *EDGE_TIME_FORMATS]),
    help="Reader to use (default: from the extension; .tif/.tiff: ScanImage aux trigger edges).",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Reader option, e.g. dtype=int16, num_channels=8, sample_rate_hz=20000 (repeatable).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@map_errors
def detect(
    file,
    channel,
    output_format,
    threshold,
    hysteresis,
    refractory_s,
    polarity,
    calibration,
    input_format,
    options,
    output,
    overwrite,
) -> None:
    """Print the pulses detected on one channel of FILE (DAQ recording)."""
    from nwbtms.pulses.files import detect_file_pulses

    refuse_existing(output, overwrite=overwrite)
    result = detect_file_pulses(
        file,
        channel,
        input_format=input_format,
        reader_options=_parse_options(options),
        threshold=threshold,
        hysteresis=hysteresis,
        refractory_s=refractory_s,
        polarity=polarity,
        calibration_a_per_us_per_unit=calibration,
        show_progress=not is_quiet(),
    )
    if channel is None:
        say(f"using channel {result.channel!r}")
    with_di_dt = calibration is not None
    text = render_csv(result, with_di_dt) if output_format == "csv" else render_json(result, with_di_dt)
    emit(text, output, overwrite=overwrite)
    if not is_quiet():
        levels = "" if result.threshold is None else f" (threshold {result.threshold:.6g} {result.unit})"
        say(f"{len(result)} pulse(s) on {result.channel!r}{levels}")
