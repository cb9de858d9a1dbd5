"""A :class:`Protocol` as keyword arguments of ``ndx_tms.TMSProtocolsTable.add_row``."""

from __future__ import annotations

import math

from nwbtms.protocols.model import US_PER_S, Protocol, format_us


def protocol_notes(protocol: Protocol) -> str:
    """Notes column: description, source, and what the timing columns cannot hold (gaps, ramp, jitter)."""
    parts = [p for p in (protocol.description, protocol.reference and f"Source: {protocol.reference}") if p]
    for i, lvl in enumerate(protocol.levels):
        if lvl.stated_as == "gap":
            parts.append(
                f"{lvl.name} interval stated as a {format_us(protocol.gap_us(i))} gap "
                f"(onset-to-onset {format_us(lvl.interval_us)})"
            )
    if protocol.conditioning_intensity_value is not None:
        parts.append(
            f"conditioning pulse intensity {protocol.conditioning_intensity_value:g} "
            f"({protocol.intensity_reference})"
        )
    if protocol.ramp:
        parts.append(f"intensity ramp: {protocol.ramp.text()}")
    if protocol.jitter:
        parts.append(f"jitter: {protocol.jitter.text()}")
    return "; ".join(parts)


def protocol_table_row(protocol: Protocol) -> dict:
    """Keyword arguments for ``TMSProtocolsTable.add_row`` describing ``protocol``.

    The caller adds ``threshold`` (row of the thresholds table, required with ``percent_threshold``)
    and ``intensity_in_percent_mso``. Intervals are seconds converted from exact integer us.
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
        "intensity_reference": protocol.intensity_reference,
        "intensity_value": float(protocol.intensity_value),
        "sham": bool(protocol.sham),
        "sham_type": protocol.sham_type,
        "notes": protocol_notes(protocol),
    }
