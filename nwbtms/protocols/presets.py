"""Literature protocols as presets (exact parameters from each cited paper).

Each preset is a function returning a :class:`Protocol`; keyword parameters (documented on each
function) adjust what the literature leaves open. Intensities that the literature fixes are cited;
others are marked as conventions to be set per study.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable

from nwbtms.errors import ProtocolError
from nwbtms.protocols.model import (
    Jitter,
    Level,
    Protocol,
    last_pulse_offset_us,
    nominal_unit_duration_us,
    seconds_to_us,
)

#: iTBS timing (Huang et al. 2005, Neuron 45:201): 3 pulses at 50 Hz (20 ms), bursts every 200 ms (5 Hz).
THETA_BURST = (Level("pulse", 3, 20_000), Level("burst", 10, 200_000))
#: iTBS trains: 2 s of 10 bursts every 10 s (Huang 2005).
ITBS_TRAIN_INTERVAL_US = 10_000_000


def _us(value_s: float, what: str) -> int:
    try:
        return seconds_to_us(value_s, what=what)
    except ValueError as exc:
        raise ProtocolError(str(exc), field=what) from None


def single_pulse(
    count: int = 20, interval_s: float = 5.0, jitter_s: float = 1.0, intensity_value: float = 120.0
) -> Protocol:
    """Single pulses every ``interval_s`` +- ``jitter_s`` (often 4-6 s).

    Intensity 120% RMT and a monophasic waveform are the usual MEP conventions, not fixed values.
    """
    return Protocol(
        name="single_pulse",
        levels=(Level("pulse", count, _us(interval_s, "interval_s")),),
        jitter=Jitter("pulse", _us(jitter_s, "jitter_s")) if jitter_s else None,
        waveform="monophasic",
        intensity_value=intensity_value,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        description="single pulses at a jittered interval; 120% RMT is a common convention, not a fixed value",
        reference="single pulses at a 4-6 s jittered interval (common practice; Rossini et al. 2015, "
                  "Clin Neurophysiol 126:1071)",
    )


def _paired(name: str, isi_s: float, pairs: int, pair_interval_s: float, jitter_s: float,
            conditioning_intensity_value: float, conditioning_threshold_type: str, intensity_value: float,
            description: str, reference: str) -> Protocol:
    """A paired-pulse protocol: test pulse at ``intensity_value`` % S1mV, conditioning pulse at its own
    threshold; a pair is a ``burst`` of 2 pulses ``isi_s`` apart (pulse 0 conditioning, pulse 1 test)."""
    return Protocol(
        name=name,
        levels=(Level("pulse", 2, _us(isi_s, "isi_s")),
                Level("burst", pairs, _us(pair_interval_s, "pair_interval_s"))),
        jitter=Jitter("burst", _us(jitter_s, "jitter_s")) if jitter_s else None,
        waveform="monophasic",
        intensity_value=intensity_value,
        intensity_reference="percent_threshold",
        threshold_type="s1mv",
        conditioning_intensity_value=conditioning_intensity_value,
        conditioning_intensity_reference="percent_threshold",
        conditioning_threshold_type=conditioning_threshold_type,
        description=description,
        reference=reference,
    )


def sici(
    isi_s: float = 0.003,
    pairs: int = 20,
    pair_interval_s: float = 5.0,
    jitter_s: float = 1.0,
    conditioning_intensity_value: float = 70.0,
    conditioning_threshold_type: str = "rmt",
    intensity_value: float = 100.0,
) -> Protocol:
    """Short-interval intracortical inhibition: a subthreshold conditioning pulse (default 70% RMT) ``isi_s``
    (default 3 ms; SICI uses 1-5 ms) before a test pulse at 100% S1mV (the intensity giving a 1 mV MEP).

    Kujirai et al. 1993 (J Physiol 471:501) introduced the paradigm; the intensities, the ISI and the pair
    interval are common conventions, not fixed values: set them per study.
    """
    return _paired("sici", isi_s, pairs, pair_interval_s, jitter_s, conditioning_intensity_value,
                   conditioning_threshold_type, intensity_value,
                   f"short-interval intracortical inhibition: conditioning {conditioning_intensity_value:g}% "
                   f"{conditioning_threshold_type.upper()}, test {intensity_value:g}% S1mV, ISI "
                   f"{isi_s * 1e3:g} ms; intensities and intervals are conventions, set them per study",
                   "Kujirai et al. 1993, J Physiol 471:501 (paired-pulse SICI, ISI 1-5 ms)")


def icf(
    isi_s: float = 0.010,
    pairs: int = 20,
    pair_interval_s: float = 5.0,
    jitter_s: float = 1.0,
    conditioning_intensity_value: float = 70.0,
    conditioning_threshold_type: str = "rmt",
    intensity_value: float = 100.0,
) -> Protocol:
    """Intracortical facilitation: as :func:`sici` with an ISI of 8-15 ms (default 10 ms); conditioning 70%
    RMT and test 100% S1mV are conventions (Kujirai et al. 1993), set them per study."""
    return _paired("icf", isi_s, pairs, pair_interval_s, jitter_s, conditioning_intensity_value,
                   conditioning_threshold_type, intensity_value,
                   f"intracortical facilitation: conditioning {conditioning_intensity_value:g}% "
                   f"{conditioning_threshold_type.upper()}, test {intensity_value:g}% S1mV, ISI "
                   f"{isi_s * 1e3:g} ms; intensities and intervals are conventions, set them per study",
                   "Kujirai et al. 1993, J Physiol 471:501 (paired-pulse ICF, ISI 8-15 ms)")


def paired_pulse(
    pairs: int = 20,
    isi_s: float = 0.003,
    pair_interval_s: float = 5.0,
    jitter_s: float = 1.0,
    conditioning_intensity_value: float = 80.0,
    intensity_value: float = 120.0,
) -> Protocol:
    """Pairs of pulses ``isi_s`` apart (1-100 ms; 3 ms is short-interval intracortical inhibition).

    A pair is modelled as a ``burst`` of 2 pulses; pairs repeat every ``pair_interval_s`` +- ``jitter_s``.
    Conditioning 80% RMT and test 120% RMT are conventions (Kujirai 1993 used a subthreshold conditioning
    pulse), to be set per study.
    """
    return Protocol(
        name="paired_pulse",
        levels=(
            Level("pulse", 2, _us(isi_s, "isi_s")),
            Level("burst", pairs, _us(pair_interval_s, "pair_interval_s")),
        ),
        jitter=Jitter("burst", _us(jitter_s, "jitter_s")) if jitter_s else None,
        waveform="monophasic",
        intensity_value=intensity_value,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        conditioning_intensity_value=conditioning_intensity_value,
        description="paired pulses (conditioning then test), pairs at a jittered interval; the 80%/120% RMT "
        "intensities and 3 ms ISI are conventions, set them per study",
        reference="Kujirai et al. 1993, J Physiol 471:501 (paired pulse, ISI 1-100 ms)",
    )


def rtms_1hz(count: int = 1200, frequency_hz: float = 1.0, intensity_value: float = 100.0) -> Protocol:
    """Continuous low-frequency rTMS: ``count`` pulses at ``frequency_hz`` (e.g. 600-1200 pulses at 1 Hz;
    Chen 1997 used 0.9 Hz and 810 pulses). The intensity (% RMT) is a placeholder to set per study."""
    if not frequency_hz > 0:
        raise ProtocolError(f"frequency_hz must be > 0, got {frequency_hz}", field="frequency_hz")
    return Protocol(
        name="rtms_1hz",
        levels=(Level("pulse", count, round(1_000_000 / frequency_hz)),),
        waveform="biphasic",
        intensity_value=intensity_value,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        description=f"continuous {frequency_hz:g} Hz rTMS; the intensity ({intensity_value:g}% RMT) is a placeholder, "
        "not a literature value: set it per study",
        reference="Chen et al. 1997, Neurology 48:1398 (1 Hz rTMS)",
    )


def rtms_10hz_fda() -> Protocol:
    """FDA-cleared 10 Hz rTMS (O'Reardon 2007): 40 pulses at 10 Hz (4 s trains), trains every 30 s
    (stated as a 26 s gap), 75 trains, 120% RMT; 3000 pulses in 37.5 min."""
    return Protocol(
        name="rtms_10hz_fda",
        levels=(Level("pulse", 40, 100_000), Level("train", 75, 30_000_000, stated_as="gap")),
        waveform="biphasic",
        intensity_value=120.0,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        description="10 Hz rTMS, 4 s trains every 30 s, 75 trains (FDA-cleared depression protocol)",
        reference="O'Reardon et al. 2007, Biol Psychiatry 62:1208",
    )


def _huang_2005(name: str, levels: tuple[Level, ...], description: str) -> Protocol:
    """A theta-burst protocol as in Huang et al. 2005 (Neuron 45:201): biphasic pulses at 80% AMT."""
    return Protocol(
        name=name,
        levels=levels,
        waveform="biphasic",
        intensity_value=80.0,
        intensity_reference="percent_threshold",
        threshold_type="amt",
        description=description,
        reference="Huang et al. 2005, Neuron 45:201",
    )


def itbs_600() -> Protocol:
    """Intermittent theta-burst (Huang 2005): 3 pulses at 50 Hz, bursts at 5 Hz, 2 s trains every 10 s (Huang
    states the train interval onset to onset), 20 trains = 600 pulses, last pulse at 191.84 s; 80% AMT."""
    return _huang_2005(
        "itbs_600",
        (*THETA_BURST, Level("train", 20, ITBS_TRAIN_INTERVAL_US)),
        "intermittent theta-burst stimulation, 600 pulses",
    )


#: MagVenture MagPro's inter-train interval of the THREE-D iTBS: 8 s from the last pulse of one train.
THREE_D_ITI_AFTER_LAST_PULSE_US = 8_000_000


def itbs_three_d() -> Protocol:
    """iTBS as delivered in THREE-D (Blumberger et al. 2018, Lancet 391:1683) on MagVenture MagPro stimulators:
    3 pulses at 50 Hz, bursts at 5 Hz, 10 bursts per train, 20 trains, 600 pulses at 120% RMT. The MagPro
    counts the 8 s inter-train interval from the last pulse of a train (at 1.84 s), so trains start every
    9.84 s and the last pulse is at 188.8 s (the paper's "3 min 9 s")."""
    train_us = last_pulse_offset_us(THETA_BURST, 2) + THREE_D_ITI_AFTER_LAST_PULSE_US
    return Protocol(
        name="itbs_three_d",
        levels=(*THETA_BURST, Level("train", 20, train_us, stated_as="gap_after_last_pulse")),
        waveform="biphasic",
        intensity_value=120.0,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        description="iTBS of THREE-D: 600 pulses, 120% RMT, 8 s inter-train interval counted from the last "
        "pulse of each train (MagVenture MagPro), trains every 9.84 s, last pulse at 188.8 s",
        reference="Blumberger et al. 2018, Lancet 391:1683 (THREE-D); MagVenture MagPro inter-train interval",
    )


def _ctbs(bursts: int) -> Protocol:
    return _huang_2005(
        f"ctbs_{bursts * 3}",
        (THETA_BURST[0], Level("burst", bursts, THETA_BURST[1].interval_us)),
        f"continuous theta-burst stimulation, {bursts * 3} pulses in {bursts // 5} s",
    )


def ctbs_300() -> Protocol:
    """Continuous theta-burst (Huang 2005): 100 bursts of 3 pulses at 50 Hz every 200 ms, 300 pulses
    in 20 s."""
    return _ctbs(100)


def ctbs_600() -> Protocol:
    """Continuous theta-burst (Huang 2005): 200 bursts, 600 pulses in 40 s, last pulse at 39.84 s."""
    return _ctbs(200)


#: SNT/SAINT (Cole et al. 2020 Am J Psychiatry 177:716; Cole 2022 Am J Psychiatry 179:132).
SNT_TRAINS_PER_SESSION = 60
SNT_SESSIONS_PER_DAY = 10
SNT_SESSION_GAP_US = 50 * 60 * 1_000_000  # "50-minute intersession interval", read as a gap (see below)
SNT_DAYS = 5
DAY_US = 86_400 * 1_000_000


def _snt_levels(depth: str) -> tuple[Level, ...]:
    levels = (*THETA_BURST, Level("train", SNT_TRAINS_PER_SESSION, ITBS_TRAIN_INTERVAL_US))
    if depth == "session":
        return levels
    session_us = nominal_unit_duration_us((*levels, Level("session", 1, 0)), 3)
    levels = (
        *levels,
        Level("session", SNT_SESSIONS_PER_DAY, session_us + SNT_SESSION_GAP_US, stated_as="gap"),
    )
    if depth == "day":
        return levels
    return (*levels, Level("day", SNT_DAYS, DAY_US))


def _snt(depth: str, description: str) -> Protocol:
    return Protocol(
        name=f"snt_{depth}",
        levels=_snt_levels(depth),
        waveform="biphasic",
        intensity_value=90.0,
        intensity_reference="percent_threshold",
        threshold_type="rmt",
        description=description,
        reference="Cole et al. 2020, Am J Psychiatry 177:716; Cole 2022, 179:132",
    )


def snt_session() -> Protocol:
    """One SNT (SAINT) session: 60 iTBS trains, 1800 pulses; 90% RMT (depth-adjusted in Cole 2020)."""
    return _snt("session", "SNT/SAINT session: 60 iTBS trains, 1800 pulses, 90% RMT depth-adjusted")


#: How the presets read Cole 2020's "50-minute intersession interval" (the paper calls it
#: ambiguous): shown by ``nwbtms protocol show`` and written into the protocols table's notes.
SNT_GAP_CONVENTION = (
    "the 50-min intersession interval (Cole 2020) is read as the gap from the nominal end of one session "
    "(60 trains x 10 s = 10 min) to the next onset, so sessions start every 60 min"
)


def snt_day() -> Protocol:
    """One SNT day: 10 sessions, 50 min between sessions read as the gap from the nominal end of one
    session (60 trains x 10 s = 10 min) to the next, so sessions start every 60 min; 18,000 pulses."""
    return _snt("day", f"SNT/SAINT day: 10 sessions, 18,000 pulses; {SNT_GAP_CONVENTION}")


def snt_course() -> Protocol:
    """The SNT course: 5 consecutive days (onsets 24 h apart, a convention: Cole 2020 gives consecutive
    days, not start times) of 10 sessions; 90,000 pulses."""
    return _snt(
        "course",
        "SNT/SAINT course: 5 days (onsets 24 h apart) x 10 sessions x 1800 pulses = 90,000 pulses; "
        f"{SNT_GAP_CONVENTION}",
    )


def aitbs_mouse_day(
    sessions_per_day: int | None = None,
    session_interval_s: float | None = None,
    session_gap_s: float | None = None,
    intensity_value: float = 100.0,
) -> Protocol:
    """Accelerated iTBS in the mouse: ``sessions_per_day`` iTBS-600 sessions in one day.

    The session count and interval are required: they are study parameters (Gongwer et al. 2026 is cited for
    the paradigm, not for these values), so the preset has no defaults for them.

    Parameters
    ----------
    sessions_per_day : int
        Sessions in the day (required).
    session_interval_s : float
        Onset-to-onset interval of the sessions, s (this or ``session_gap_s`` is required).
    session_gap_s : float, optional
        Give the gap from the nominal end of one session (20 trains x 10 s = 200 s) to the next instead
        of ``session_interval_s``.
    intensity_value : float
        % of the rodent visual-twitch threshold (default 100, as in the ndx-tms example file).
    """
    missing = [name for name, value in (("sessions_per_day", sessions_per_day),) if value is None]
    if session_interval_s is None and session_gap_s is None:
        missing.append("session_interval_s (or session_gap_s)")
    if missing:
        raise ProtocolError(f"preset 'aitbs_mouse_day' needs {' and '.join(missing)}", field="aitbs_mouse_day",
                            hint="these are study parameters, e.g. -p sessions_per_day=3 -p session_interval_s=1800")
    levels = (*THETA_BURST, Level("train", 20, ITBS_TRAIN_INTERVAL_US))
    if session_gap_s is not None:
        session_us = nominal_unit_duration_us((*levels, Level("session", 1, 0)), 3)
        session = Level("session", int(sessions_per_day), session_us + _us(session_gap_s, "session_gap_s"),
                        "gap_after_end")
    else:
        session = Level("session", int(sessions_per_day), _us(session_interval_s, "session_interval_s"))
    return Protocol(
        name="aitbs_mouse_day",
        levels=(*levels, session),
        waveform="biphasic",
        intensity_value=intensity_value,
        intensity_reference="percent_threshold",
        threshold_type="rodent_visual_twitch",
        description=f"mouse accelerated iTBS: {sessions_per_day} iTBS-600 sessions in one day, "
        f"onsets every {session.interval_us / 1e6:g} s (study parameters)",
        reference="Gongwer et al. 2026, Cell, doi:10.1016/j.cell.2025.12.040",
    )


#: Preset name -> factory (keyword parameters as documented on each factory).
PRESETS: dict[str, Callable[..., Protocol]] = {
    "single_pulse": single_pulse,
    "paired_pulse": paired_pulse,
    "rtms_1hz": rtms_1hz,
    "rtms_10hz_fda": rtms_10hz_fda,
    "itbs_600": itbs_600,
    "itbs_three_d": itbs_three_d,
    "sici": sici,
    "icf": icf,
    "ctbs_300": ctbs_300,
    "ctbs_600": ctbs_600,
    "snt_session": snt_session,
    "snt_day": snt_day,
    "snt_course": snt_course,
    "aitbs_mouse_day": aitbs_mouse_day,
}


def preset_parameters(name: str) -> dict[str, object]:
    """The keyword parameters of preset ``name`` and their defaults."""
    return {p.name: p.default for p in inspect.signature(PRESETS[name]).parameters.values()}


def get_preset(name: str, **params) -> Protocol:
    """The preset ``name`` built with ``params``.

    Raises
    ------
    ProtocolError
        Unknown name (with close matches) or parameter (with the accepted ones).
    """
    if name not in PRESETS:
        close = difflib.get_close_matches(name, PRESETS, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"presets: {', '.join(PRESETS)}"
        raise ProtocolError(f"{name!r} is neither a protocol file nor a preset", field=name, hint=hint)
    accepted = preset_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        hint = f"accepted: {', '.join(accepted)}" if accepted else f"{name} takes no parameters"
        raise ProtocolError(f"preset {name!r} has no parameter {', '.join(unknown)}", field=name, hint=hint)
    return PRESETS[name](**params)
