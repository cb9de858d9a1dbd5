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
import re
from pathlib import Path

import click

from nwbtms.cli._common import emit, is_quiet, say
from nwbtms.errors import ChannelNotFoundError, InputError
from nwbtms.sources.registry import reader_names

#: Input formats that are not sampled recordings: edge times read from an imaging file.
EDGE_TIME_FORMATS = ("scanimage",)
TIFF_SUFFIXES = (".tif", ".tiff")

#: Channel names that usually carry the stimulator trigger or coil current.
TRIGGER_NAME = re.compile(r"trig|tms|ttl|pulse|stim|coil", re.IGNORECASE)


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


def pick_channel(recording) -> str:
    """The trigger-like channel when the choice is clear; otherwise an error listing the channels."""
    channels = recording.channels
    if len(channels) == 1:
        return channels[0].name
    named = [c for c in channels if TRIGGER_NAME.search(c.name)]
    if len(named) > 1:
        digital = [c for c in named if c.kind == "digital"]
        named = digital if len(digital) == 1 else named
    if len(named) == 1:
        return named[0].name
    listing = ", ".join(repr(c.name) for c in (named or channels))
    raise ChannelNotFoundError(
        f"{'several' if named else 'no'} trigger-like channel(s); pick one with --channel: {listing}",
        file=recording.path,
        field="--channel",
        hint="channels named like trigger/tms/ttl are picked automatically when there is exactly one",
    )


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


def scanimage_aux_pulses(file: Path, channel: str | None, *, refractory_s: float, **options):
    """Pulses from a ScanImage acquisition's ``auxTrigger<N>`` edge times (no detection needed).

    Without ``channel`` the one aux input with edges is used; a wrong or ambiguous name lists the four.
    """
    from nwbtms.pulses.detect import pulses_from_edge_times
    from nwbtms.sources.imaging.scanimage import AUX_TRIGGER_NAMES, open_scanimage

    try:
        source = open_scanimage(file, **options)
    except TypeError as exc:
        raise InputError(f"option not understood by the ScanImage reader: {exc}", file=file, field="--option",
                         hint="it accepts frame_rate_hz, flyback_frames, multi_file") from None
    edges = source.aux_triggers
    listing = ", ".join(f"{name!r} ({len(edges.get(name, ()))} edge(s))" for name in AUX_TRIGGER_NAMES)
    if channel is None:
        with_edges = [name for name in AUX_TRIGGER_NAMES if len(edges.get(name, ()))]
        if len(with_edges) != 1:
            raise ChannelNotFoundError(
                f"{'several' if with_edges else 'no'} aux trigger input(s) with edges; pick one with --channel: "
                f"{listing}", file=file, field="--channel",
                hint="ScanImage logs edges of the inputs wired in its auxiliary trigger settings")
        channel = with_edges[0]
        say(f"using channel {channel!r}")
    elif channel not in AUX_TRIGGER_NAMES:
        raise ChannelNotFoundError(f"no channel {channel!r}; channels in this file: {listing}", file=file,
                                   field=str(channel), hint="pick one of the channels listed")
    return pulses_from_edge_times(edges.get(channel, ()), channel=channel, path=str(file),
                                  refractory_s=refractory_s)


@click.group()
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
    from nwbtms.pulses.detect import DEFAULT_REFRACTORY_S, detect_pulses
    from nwbtms.sources.daq import open_recording

    if output is not None and output.exists() and not overwrite:
        raise InputError(
            "output file exists; it was left untouched", file=output, hint="pass --overwrite to replace it"
        )
    reader_options = _parse_options(options)
    refractory_s = DEFAULT_REFRACTORY_S if refractory_s is None else refractory_s
    if input_format in EDGE_TIME_FORMATS or (input_format is None and file.suffix.lower() in TIFF_SUFFIXES):
        result = scanimage_aux_pulses(file, channel, refractory_s=refractory_s, **reader_options)
    else:
        with open_recording(file, format=input_format, **reader_options) as recording:
            if channel is None:
                channel = pick_channel(recording)
                say(f"using channel {channel!r}")
            result = detect_pulses(
                recording,
                channel,
                threshold=threshold,
                hysteresis=hysteresis,
                refractory_s=refractory_s,
                polarity=polarity,
                calibration_a_per_us_per_unit=calibration,
                show_progress=not is_quiet(),
            )
    with_di_dt = calibration is not None
    text = render_csv(result, with_di_dt) if output_format == "csv" else render_json(result, with_di_dt)
    if output is not None:
        from nwbtms.io.atomic import atomic_write_text

        atomic_write_text(output, text, overwrite=overwrite)
    else:
        emit(text, None)
    if not is_quiet():
        levels = "" if result.threshold is None else f" (threshold {result.threshold:.6g} {result.unit})"
        say(f"{len(result)} pulse(s) on {result.channel!r}{levels}")
