"""Pulses of one raw file, as ``nwbtms pulses detect`` finds them: the trigger channel chosen when the choice is
clear, a sampled recording detected, or a ScanImage acquisition's ``auxTrigger<N>`` edge times taken as they are.

:func:`detect_file_pulses` is the library call behind the command (for pipelines that check a rig recording
before converting it); :func:`pick_trigger_channel` and :func:`aux_trigger_pulses` are its two choices.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from nwbtms.errors import ChannelNotFoundError, InputError
from nwbtms.pulses.detect import DEFAULT_REFRACTORY_S, DetectedPulses, detect_pulses, pulses_from_edge_times

#: Input formats that are not sampled recordings: edge times read from an imaging file.
EDGE_TIME_FORMATS = ("scanimage",)
TIFF_SUFFIXES = (".tif", ".tiff")

#: Channel names that usually carry the stimulator trigger or coil current.
TRIGGER_NAME = re.compile(r"trig|tms|ttl|pulse|stim|coil", re.IGNORECASE)


def pick_trigger_channel(recording) -> str:
    """The trigger-like channel of ``recording`` when the choice is clear.

    The only channel; else the one channel named like a trigger (``TRIGGER_NAME``), preferring the one digital
    line among several such names.

    Raises
    ------
    ChannelNotFoundError
        No or several candidates; the message lists them (``--channel`` picks one).
    """
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


def aux_trigger_pulses(file: str | os.PathLike, channel: str | None = None, *,
                       refractory_s: float = DEFAULT_REFRACTORY_S, **options) -> DetectedPulses:
    """Pulses from a ScanImage acquisition's ``auxTrigger<N>`` edge times (no detection needed).

    Without ``channel`` the one aux input with edges is used; a wrong or ambiguous name lists the four.
    ``options`` go to :func:`nwbtms.sources.imaging.scanimage.open_scanimage`.
    """
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
    elif channel not in AUX_TRIGGER_NAMES:
        raise ChannelNotFoundError(f"no channel {channel!r}; channels in this file: {listing}", file=file,
                                   field=str(channel), hint="pick one of the channels listed")
    return pulses_from_edge_times(edges.get(channel, ()), channel=channel, path=str(file),
                                  refractory_s=refractory_s)


def detect_file_pulses(
    file: str | os.PathLike,
    channel: str | None = None,
    *,
    input_format: str | None = None,
    reader_options: dict | None = None,
    threshold: float | None = None,
    hysteresis: float | None = None,
    refractory_s: float | None = None,
    polarity: Literal["rising", "falling"] = "rising",
    calibration_a_per_us_per_unit: float | None = None,
    show_progress: bool = False,
) -> DetectedPulses:
    """The pulses of ``file``: a DAQ recording :func:`nwbtms.sources.daq.open_recording` reads, or a ScanImage
    TIFF (``input_format="scanimage"`` or a ``.tif``/``.tiff`` suffix), whose aux trigger edges are the pulses.

    ``channel=None`` picks the trigger-like channel (:func:`pick_trigger_channel`, :func:`aux_trigger_pulses`);
    the result's ``channel`` names the one used. Other parameters as :func:`nwbtms.pulses.detect.detect_pulses`.
    """
    from nwbtms.sources.daq import open_recording

    file = Path(file)
    options = dict(reader_options or {})
    refractory_s = DEFAULT_REFRACTORY_S if refractory_s is None else refractory_s
    if input_format in EDGE_TIME_FORMATS or (input_format is None and file.suffix.lower() in TIFF_SUFFIXES):
        return aux_trigger_pulses(file, channel, refractory_s=refractory_s, **options)
    with open_recording(file, format=input_format, **options) as recording:
        return detect_pulses(
            recording,
            pick_trigger_channel(recording) if channel is None else channel,
            threshold=threshold,
            hysteresis=hysteresis,
            refractory_s=refractory_s,
            polarity=polarity,
            calibration_a_per_us_per_unit=calibration_a_per_us_per_unit,
            show_progress=show_progress,
        )
