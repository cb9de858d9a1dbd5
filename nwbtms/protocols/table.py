"""A :class:`Protocol` as keyword arguments of ``ndx_tms.TMSProtocolsTable.add_row``."""

from __future__ import annotations

import math

from nwbtms.protocols.model import US_PER_S, Protocol, format_us


def protocol_notes(protocol: Protocol) -> str:
    """Notes column: description, source, and what the timing columns cannot hold (gaps, ramp, jitter)."""
    parts = [p for p in (protocol.description, protocol.reference and f"Source: {protocol.reference}") if p]
    for i, lvl in enumerate(protocol.levels):
        if i and lvl.stated_as != "onset_to_onset":
            parts.append(
                f"{lvl.name} interval stated as {format_us(protocol.stated_interval_us(i))} "
                f"{lvl.stated_as.replace('_', ' ')} (onset-to-onset {format_us(lvl.interval_us)})"
            )
    if protocol.ramp:
        parts.append(f"intensity ramp: {protocol.ramp.text()}")
    if protocol.jitter:
        parts.append(f"jitter: {protocol.jitter.text()}")
    return "; ".join(parts)


def protocol_table_row(protocol: Protocol) -> dict:
    """Keyword arguments for ``TMSProtocolsTable.add_row`` describing ``protocol``.

    The caller adds ``threshold`` and ``conditioning_threshold`` (rows of the thresholds table, required with
    ``percent_threshold``), ``intensity_in_percent_mso`` and ``conditioning_intensity_in_percent_mso``; a depth
    adjustment (per subject) replaces the ``depth_*`` defaults. Intervals are seconds converted from exact
    integer us; each level also keeps the convention and value its source stated.
    """
    return {
        "protocol_name": protocol.name,
        "waveform": protocol.waveform,
        "pulse_width_in_us": math.nan if protocol.pulse_width_us is None else float(protocol.pulse_width_us),
        "coil_current_direction": protocol.coil_current_direction,
        "induced_current_direction": protocol.induced_current_direction,
        "timing_level": list(protocol.level_names),
        "timing_count": [int(lvl.count) for lvl in protocol.levels],
        "timing_interval_in_s": [lvl.interval_us / US_PER_S for lvl in protocol.levels],
        "timing_interval_convention": [lvl.stated_as for lvl in protocol.levels],
        "timing_stated_interval_in_s": [protocol.stated_interval_us(i) / US_PER_S
                                        for i in range(len(protocol.levels))],
        "intensity_reference": protocol.intensity_reference,
        "intensity_value": float(protocol.intensity_value),
        "sham": bool(protocol.sham),
        "sham_type": protocol.sham_type,
        "notes": protocol_notes(protocol),
        "waveform_description": "",
        "depth_adjustment_method": "none",
        "depth_adjustment_slope_in_percent_mso_per_mm": math.nan,
        "scalp_to_cortex_distance_motor_in_mm": math.nan,
        "scalp_to_cortex_distance_target_in_mm": math.nan,
        "depth_adjusted_threshold_in_percent_mso": math.nan,
        "conditioning_intensity_reference": protocol.conditioning_intensity_reference,
        "conditioning_intensity_value": (math.nan if protocol.conditioning_intensity_value is None
                                         else float(protocol.conditioning_intensity_value)),
        "conditioning_intensity_in_percent_mso": math.nan,
    }
