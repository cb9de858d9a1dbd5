"""``nwbtms protocol``: list the presets, show a protocol, write its exact pulse schedule, reconcile delivered
pulses with it (logic in :mod:`nwbtms.protocols.compare`)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from nwbtms.cli._common import say
from nwbtms.cli._errors import map_errors
from nwbtms.errors import InputError


def _parse_params(params: tuple[str, ...]) -> dict:
    """``key=value`` pairs; values read as YAML scalars (``3``, ``1800.0``, ``true``)."""
    from nwbtms.io.yaml_loader import load_yaml_text

    values = {}
    for item in params:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise InputError(f"--param {item!r} is not key=value", hint="e.g. -p sessions_per_day=5")
        try:
            values[key] = load_yaml_text(text)
        except InputError:
            raise InputError(
                f"--param {item!r}: cannot read the value", hint="e.g. -p session_interval_s=1800"
            ) from None
    return values


def _resolve(source: str, params: tuple[str, ...]):
    from nwbtms.protocols import PRESETS, get_preset, load_protocol

    if params:
        if source not in PRESETS:
            raise InputError(
                "--param only applies to presets", field=source, hint="edit the protocol file instead"
            )
        return get_preset(source, **_parse_params(params))
    return load_protocol(source)


_PARAM_OPTION = click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Preset parameter, e.g. -p sessions_per_day=5 (repeatable).",
)


@click.group()
@map_errors
def protocol() -> None:
    """List, show and schedule TMS protocols (presets or YAML/JSON protocol files)."""


@protocol.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@map_errors
def list_presets(fmt: str) -> None:
    """List the built-in literature presets with their totals."""
    from nwbtms.errors import ProtocolError
    from nwbtms.protocols import PRESETS, get_preset, preset_parameters
    from nwbtms.protocols.model import format_s_exact

    rows = []
    for name in PRESETS:
        try:
            proto = get_preset(name)
        except ProtocolError as exc:  # a preset with required study parameters (aitbs_mouse_day)
            proto, needs = None, exc.message
        rows.append(
            {
                "name": name,
                "total_pulses": proto.total_pulses if proto else None,
                "duration_s": proto.duration_s if proto else None,
                "description": proto.description if proto else needs,
                "parameters": {k: v for k, v in preset_parameters(name).items()},
                "_duration": format_s_exact(proto.duration_us) if proto else "-",
            }
        )
    if fmt == "json":
        click.echo(
            json.dumps([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows], indent=2)
        )
        return
    click.echo(f"{'name':<16} {'pulses':>7} {'last pulse (s)':>15}  description")
    for r in rows:
        pulses = "-" if r["total_pulses"] is None else r["total_pulses"]
        click.echo(f"{r['name']:<16} {pulses:>7} {r['_duration']:>15}  {r['description']}")


@protocol.command()
@click.argument("source", metavar="NAME|FILE")
@_PARAM_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "yaml", "json"]),
    default="text",
    show_default=True,
    help="text: human summary; yaml/json: the protocol file form (a starting point for your own).",
)
@map_errors
def show(source: str, params: tuple[str, ...], fmt: str) -> None:
    """Summarise a protocol: levels, totals, duration, pulse and intensity."""
    from nwbtms.protocols import protocol_to_dict

    proto = _resolve(source, params)
    if fmt == "text":
        click.echo(proto.describe())
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(protocol_to_dict(proto), sort_keys=False), nl=False)
    else:
        click.echo(json.dumps(protocol_to_dict(proto), indent=2))


def _schedule_csv(schedule) -> str:
    """``time_s`` (exact, from integer us) then the level indices, outermost first."""
    names = list(reversed(schedule.protocol.level_names))
    seconds, micros = divmod(schedule.times_us, 1_000_000)
    columns = [schedule.index[name].tolist() for name in names]
    lines = [",".join(["time_s", *names])]
    for s, us, *idx in zip(seconds.tolist(), micros.tolist(), *columns, strict=True):
        lines.append(f"{s}.{us:06d}," + ",".join(map(str, idx)))
    return "\n".join(lines) + "\n"


def _schedule_json(schedule, seed: int | None) -> str:
    names = list(reversed(schedule.protocol.level_names))
    data = {
        "protocol": schedule.protocol.name,
        "total_pulses": len(schedule),
        "seed": schedule.seed,
        "time_s": schedule.times_s.tolist(),
        "time_us": schedule.times_us.tolist(),
        "index": {name: schedule.index[name].tolist() for name in names},
    }
    return json.dumps(data) + "\n"


@protocol.command()
@click.argument("source", metavar="NAME|FILE")
@_PARAM_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here (atomically) instead of stdout.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--seed", type=int, default=None, help="Seed of the jitter draws (default 0).")
@map_errors
def schedule(
    source: str, params: tuple[str, ...], fmt: str, output: Path | None, overwrite: bool, seed: int | None
) -> None:
    """Write every declared pulse: time_s (exact to 1 us) and its index in each level (0-based)."""
    from nwbtms.io import atomic_write_text
    from nwbtms.protocols import build_schedule

    proto = _resolve(source, params)
    sched = build_schedule(proto, seed=seed)
    text = _schedule_csv(sched) if fmt == "csv" else _schedule_json(sched, seed)
    if output is None:
        click.echo(text, nl=False)
        return
    atomic_write_text(output, text, overwrite=overwrite)
    say(f"wrote {len(sched):,} pulses of {proto.name} to {output}")


@protocol.command("reconcile")
@click.argument("source", metavar="NAME|FILE")
@_PARAM_OPTION
@click.option("--pulses", "pulses_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of delivered pulse times with a time_s column (s, any clock offset).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--tolerance-s", type=float, default=None,
              help="Matching tolerance, s (default: a quarter of the shortest declared interval, at most 10 ms).")
@click.option("--seed", type=int, default=None, help="Seed of the protocol's jitter draws (default 0).")
@map_errors
def reconcile_command(source: str, params: tuple[str, ...], pulses_file: Path, fmt: str,
                      tolerance_s: float | None, seed: int | None) -> None:
    """Reconcile delivered pulse times with a protocol: matched, missing and extra pulses, each located, clock
    offset and drift; names another stimulator interval convention when it explains the pulses far better.
    Exit 0 when every pulse matches, 1 when some are missing or extra."""
    from nwbtms.protocols.compare import compare_with_protocol, read_pulse_times

    proto = _resolve(source, params)
    if tolerance_s is not None and not tolerance_s > 0:
        raise InputError(f"--tolerance-s must be > 0, got {tolerance_s}", field="--tolerance-s")
    comparison = compare_with_protocol(proto, read_pulse_times(pulses_file), tolerance_s=tolerance_s, seed=seed)
    if fmt == "json":
        click.echo(json.dumps(comparison.to_dict(), indent=2))
    else:
        click.echo(comparison.summary())
    if not comparison.reconciliation.ok:
        raise click.exceptions.Exit(1)
