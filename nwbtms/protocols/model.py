"""The protocol model: nested timing levels in integer microseconds, with derived totals and checks.

Timing follows docs/ARCHITECTURE.md ("A level is named by the unit it repeats"): levels innermost first, each
repeating the unit it is
named after (``pulse``, ``burst``, ``train``, ``session``, ``day``, ``course``) ``count`` times at an
onset-to-onset ``interval_us``. iTBS (Huang 2005) is::

    (Level("pulse", 3, 20_000), Level("burst", 10, 200_000), Level("train", 20, 10_000_000))

Derived quantities (totals, durations, frequencies, gaps) are computed, never stored.

Interval conventions (sources state the same timing three ways): ``onset_to_onset``; ``gap_after_end``,
from the *nominal end* of one unit (``count * interval`` of the level inside it: a 10 Hz train of 40 pulses
lasts 4 s, an iTBS train of 10 bursts 2 s) to the next onset (10 Hz trains every 30 s have a 26 s gap,
O'Reardon 2007; the "50-minute intersession interval" of Cole 2020); and ``gap_after_last_pulse``, from the
*last pulse* of one unit to the first of the next, as MagVenture MagPro counts its inter-train interval (8 s
after the last iTBS pulse at 1.84 s: trains every 9.84 s, a 600-pulse session of 188.8 s, Blumberger 2018).
A level stores the onset-to-onset interval and remembers in ``stated_as`` how its source stated it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nwbtms.errors import Problem, ProtocolError

#: Level names from innermost to outermost (docs/ARCHITECTURE.md, "Decisions").
LEVEL_ORDER: tuple[str, ...] = ("pulse", "burst", "train", "session", "day", "course")
#: Largest schedule we build (memory guard: 8 bytes per pulse per array).
MAX_TOTAL_PULSES = 20_000_000
#: Largest course duration accepted: 10 years in us keeps every sum far inside int64.
MAX_DURATION_US = 10 * 366 * 86_400 * 1_000_000
US_PER_S = 1_000_000


def seconds_to_us(value_s: float, *, what: str = "interval") -> int:
    """Convert seconds to integer microseconds; refuse values finer than 1 us."""
    scaled = float(value_s) * US_PER_S
    rounded = round(scaled)
    if abs(scaled - rounded) > 1e-3:
        raise ValueError(f"{what} {value_s!r} s is finer than 1 us; round it to 6 decimals")
    return int(rounded)


def format_us(value_us: int) -> str:
    """Readable duration: ``20 ms``, ``10 s``, ``50 min``, ``1 h``, ``1.5 d``; exact to 1 us."""
    value_us = int(value_us)
    if value_us == 0:
        return "0 s"
    for unit, size in (("d", 86_400 * US_PER_S), ("h", 3_600 * US_PER_S), ("min", 60 * US_PER_S)):
        if value_us >= size and value_us % (size // 1000) == 0:
            return f"{value_us / size:g} {unit}"
    if value_us >= US_PER_S:
        return f"{value_us / US_PER_S:.6f}".rstrip("0").rstrip(".") + " s"
    if value_us >= 1000:
        return f"{value_us / 1000:g} ms"
    return f"{value_us} us"


def format_s_exact(value_us: int) -> str:
    """Seconds with up to 6 decimals, computed from integer microseconds (no float rounding)."""
    sign = "-" if value_us < 0 else ""
    whole, frac = divmod(abs(int(value_us)), US_PER_S)
    text = f"{sign}{whole}.{frac:06d}".rstrip("0").rstrip(".")
    return text


#: How a source states a level's interval (see the module docstring); the same terms as ndx-tms.
INTERVAL_CONVENTIONS: tuple[str, ...] = ("onset_to_onset", "gap_after_end", "gap_after_last_pulse")
#: Earlier names of the conventions, still accepted.
_CONVENTION_ALIASES = {"interval": "onset_to_onset", "gap": "gap_after_end"}


@dataclass(frozen=True)
class Level:
    """One timing level: ``count`` repeats of the unit ``name`` every ``interval_us`` (onset to onset).

    ``stated_as`` records how the source stated the interval (one of :data:`INTERVAL_CONVENTIONS`; see the
    module docstring); it does not change the timing and is ignored by ``==``.
    """

    name: str
    count: int
    interval_us: int
    stated_as: str = field(default="onset_to_onset", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stated_as", _CONVENTION_ALIASES.get(self.stated_as, self.stated_as))

    @property
    def interval_s(self) -> float:
        """Onset-to-onset interval in seconds."""
        return self.interval_us / US_PER_S

    @property
    def frequency_hz(self) -> float | None:
        """Repetition rate of the units (1 / interval); None when the interval is 0."""
        return US_PER_S / self.interval_us if self.interval_us else None

    @property
    def nominal_duration_us(self) -> int:
        """``count * interval``: how long this level's block lasts by convention (e.g. a 4 s train)."""
        return self.count * self.interval_us


def last_pulse_offset_us(levels: tuple[Level, ...] | list[Level], index: int) -> int:
    """Onset of the last pulse of one unit repeated by ``levels[index]``, from the unit's first pulse:
    ``sum((count - 1) * interval)`` of the levels inside it (1.84 s for an iTBS train)."""
    return sum((lvl.count - 1) * lvl.interval_us for lvl in levels[:index])


def interval_from_stated_us(levels: tuple[Level, ...] | list[Level], index: int, stated_us: int,
                            convention: str, pulse_width_us: float | None = None) -> int:
    """Onset-to-onset interval of ``levels[index]`` from a value stated in ``convention`` (inner levels known)."""
    convention = _CONVENTION_ALIASES.get(convention, convention)
    if convention == "gap_after_end":
        return nominal_unit_duration_us(levels, index, pulse_width_us) + stated_us
    if convention == "gap_after_last_pulse":
        return last_pulse_offset_us(levels, index) + stated_us
    return stated_us


def nominal_unit_duration_us(
    levels: tuple[Level, ...] | list[Level], index: int, pulse_width_us: float | None = None
) -> int:
    """Nominal duration of one unit repeated by ``levels[index]``.

    ``count * interval`` of the level inside it (a 10 Hz train of 40 pulses: 4 s); an inner level with
    a single unit lasts as long as its interval or its own unit, whichever is longer; the unit of the
    innermost level (a pulse) lasts the pulse width, or 0 when unknown. Only ``levels[:index]`` is used.
    """
    if index == 0:
        return int(round(pulse_width_us or 0))
    inner = levels[index - 1]
    if inner.count == 1:
        return max(inner.interval_us, nominal_unit_duration_us(levels, index - 1, pulse_width_us))
    return inner.nominal_duration_us


@dataclass(frozen=True)
class Ramp:
    """Intensity ramp: the first ``count`` units of ``level`` rise linearly from ``start_fraction`` to 1."""

    level: str
    count: int
    start_fraction: float

    def text(self) -> str:
        """``first 4 train(s) from 0.5 to 1 of the intensity``."""
        return f"first {self.count} {self.level}(s) from {self.start_fraction:g} to 1 of the intensity"


@dataclass(frozen=True)
class Jitter:
    """Uniform integer jitter of +-``max_us`` added to every onset-to-onset interval of ``level``."""

    level: str
    max_us: int

    def text(self) -> str:
        """``+-1 s on every pulse interval``."""
        return f"+-{format_us(self.max_us)} on every {self.level} interval"


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """A TMS protocol: timing levels plus pulse, intensity and sham parameters.

    Attributes
    ----------
    name : str
        Short identifier (``itbs_600``).
    levels : tuple of Level
        Innermost first; names follow :data:`LEVEL_ORDER`, the first is ``pulse``.
    intensity_value : float
        Intensity in the unit of ``intensity_reference``.
    intensity_reference : str
        ``percent_mso`` or ``percent_threshold``.
    threshold_type : str
        ``rmt``, ``amt``, ``rodent_visual_twitch``...; required with ``percent_threshold``.
    waveform : str
        ``monophasic``, ``biphasic``, ``half_sine`` or ``biphasic_burst``.
    pulse_width_us : float or None
        Pulse width in us; None when unknown.
    conditioning_intensity_value : float or None
        Paired-pulse protocols: intensity of the first (conditioning) pulse of each pair; ``intensity_*`` is
        then the test pulse.
    conditioning_intensity_reference, conditioning_threshold_type : str
        What the conditioning intensity is relative to (default: the test pulse's reference and threshold).
    ramp, jitter : Ramp or Jitter, optional
        Intensity ramp and interval jitter.
    """

    name: str
    levels: tuple[Level, ...]
    intensity_value: float
    intensity_reference: str
    threshold_type: str = ""
    waveform: str = "biphasic"
    pulse_width_us: float | None = None
    conditioning_intensity_value: float | None = None
    conditioning_intensity_reference: str = ""
    conditioning_threshold_type: str = ""
    coil_current_direction: str = "normal"
    induced_current_direction: str = "unknown"
    sham: bool = False
    sham_type: str = ""
    ramp: Ramp | None = None
    jitter: Jitter | None = None
    description: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        if self.conditioning_intensity_value is not None:
            if not self.conditioning_intensity_reference:
                object.__setattr__(self, "conditioning_intensity_reference", self.intensity_reference)
            if self.conditioning_intensity_reference == "percent_threshold" and not self.conditioning_threshold_type:
                object.__setattr__(self, "conditioning_threshold_type", self.threshold_type)
        problems = protocol_problems(self)
        if problems:
            raise ProtocolError(
                f"protocol {self.name!r} is inconsistent ({len(problems)} problem(s))",
                problems=problems,
                hint="fix the listed levels or fields",
            )

    # ------------------------------------------------------------------ derived timing
    def level(self, name: str) -> Level:
        """The level called ``name``; KeyError when the protocol has none."""
        for lvl in self.levels:
            if lvl.name == name:
                return lvl
        raise KeyError(f"protocol {self.name!r} has no {name!r} level; it has {self.level_names}")

    @property
    def level_names(self) -> tuple[str, ...]:
        """Level names, innermost first."""
        return tuple(lvl.name for lvl in self.levels)

    @property
    def total_pulses(self) -> int:
        """Product of the counts."""
        total = 1
        for lvl in self.levels:
            total *= lvl.count
        return total

    @property
    def duration_us(self) -> int:
        """First to last pulse onset, in us (without jitter): sum of ``(count - 1) * interval``."""
        return sum((lvl.count - 1) * lvl.interval_us for lvl in self.levels)

    @property
    def duration_s(self) -> float:
        """First to last pulse onset, in s (without jitter)."""
        return self.duration_us / US_PER_S

    @property
    def nominal_duration_us(self) -> int:
        """Conventional length: ``count * interval`` of the outermost level (10 Hz FDA rTMS: 37.5 min)."""
        return nominal_unit_duration_us(
            (*self.levels, Level("course", 1, 0)), len(self.levels), self.pulse_width_us
        )

    @property
    def frequency_hz(self) -> dict[str, float | None]:
        """Repetition rate of each level's units, by level name (None where the interval is 0)."""
        return {lvl.name: lvl.frequency_hz for lvl in self.levels}

    def unit_duration_us(self, index: int) -> int:
        """Nominal duration of one unit repeated by level ``index`` (see :func:`nominal_unit_duration_us`)."""
        return nominal_unit_duration_us(self.levels, index, self.pulse_width_us)

    def gap_us(self, index: int) -> int:
        """Gap of level ``index``: onset-to-onset interval minus the nominal duration of one unit."""
        return self.levels[index].interval_us - self.unit_duration_us(index)

    def stated_interval_us(self, index: int, convention: str | None = None) -> int:
        """Level ``index``'s interval in ``convention`` (default: the one its source used)."""
        lvl = self.levels[index]
        convention = _CONVENTION_ALIASES.get(convention or lvl.stated_as, convention or lvl.stated_as)
        if index == 0 or convention == "onset_to_onset":
            return lvl.interval_us
        if convention == "gap_after_end":
            return self.gap_us(index)
        return lvl.interval_us - last_pulse_offset_us(self.levels, index)

    def reread(self, level: str, stated_as: str, read_as: str) -> Protocol:
        """The protocol delivered when ``level``'s interval, written in ``stated_as``, is entered into a
        stimulator that reads the number in ``read_as`` (e.g. "8 s between trains", a gap after the end of a
        2 s iTBS train, taken by a MagVenture MagPro as the gap after the train's last pulse: trains every
        9.84 s instead of 10 s). Raises ProtocolError when that reading is impossible (units overlap)."""
        i = self.level_names.index(level)
        value_us = self.stated_interval_us(i, stated_as)
        interval_us = interval_from_stated_us(self.levels, i, value_us, read_as, self.pulse_width_us)
        levels = list(self.levels)
        levels[i] = Level(level, levels[i].count, interval_us, stated_as=read_as)
        return replace(self, levels=tuple(levels))

    def pulses_per_unit(self, name: str) -> int:
        """Pulses in one unit of level ``name`` (1 for ``pulse``, 3 for an iTBS ``burst``)."""
        total = 1
        for lvl in self.levels:
            if lvl.name == name:
                return total
            total *= lvl.count
        raise KeyError(f"protocol {self.name!r} has no {name!r} level")

    # ------------------------------------------------------------------ text
    def intensity_text(self) -> str:
        """``80% AMT`` or ``60% MSO``."""
        if self.intensity_reference == "percent_threshold":
            text = f"{self.intensity_value:g}% {_threshold_label(self.threshold_type)}"
        else:
            text = f"{self.intensity_value:g}% MSO"
        if self.conditioning_intensity_value is not None:
            if self.conditioning_intensity_reference == "percent_threshold":
                unit = _threshold_label(self.conditioning_threshold_type)
            else:
                unit = "MSO"
            text = f"test pulse {text}, conditioning pulse {self.conditioning_intensity_value:g}% {unit}"
        return text

    def describe(self) -> str:
        """A human summary: levels, totals, duration, pulse and intensity."""
        head = f"{self.name}: {self.description}" if self.description else self.name
        lines = [head]
        if self.reference:
            lines.append(f"  source: {self.reference}")
        lines.append("  levels (innermost first):")
        for i, lvl in enumerate(self.levels):
            text = f"    {lvl.name:<8} x{lvl.count:<6}"
            if lvl.count > 1 or lvl.interval_us:
                text += f" every {format_us(lvl.interval_us)}"
                if lvl.frequency_hz is not None and lvl.interval_us < 60 * US_PER_S:
                    text += f" ({lvl.frequency_hz:g} Hz)"
                if i > 0:
                    text += f", gap {format_us(self.gap_us(i))}"
                    if lvl.stated_as != "onset_to_onset":
                        text += (f"; stated as {format_us(self.stated_interval_us(i))} "
                                 f"{lvl.stated_as.replace('_', ' ')}")
            lines.append(text)
        lines.append(
            f"  total: {self.total_pulses:,} pulses; first to last pulse "
            f"{format_s_exact(self.duration_us)} s ({format_us(self.duration_us)}); "
            f"nominal length {format_us(self.nominal_duration_us)}"
        )
        width = "unknown" if self.pulse_width_us is None else f"{self.pulse_width_us:g} us"
        lines.append(
            f"  pulse: {self.waveform}, width {width}; coil current {self.coil_current_direction}, "
            f"induced current {self.induced_current_direction}"
        )
        lines.append(f"  intensity: {self.intensity_text()}")
        if self.ramp:
            lines.append(f"  ramp: {self.ramp.text()}")
        if self.jitter:
            lines.append(f"  jitter: {self.jitter.text()}")
        if self.sham:
            lines.append(f"  sham: {self.sham_type}")
        return "\n".join(lines)


def _threshold_label(kind: str) -> str:
    """``RMT``, ``AMT``, ``S1mV`` (intensity for a 1 mV MEP); longer names as they are."""
    return {"s1mv": "S1mV"}.get(kind, kind.upper() if len(kind) <= 3 else kind)


def _check_vocab(protocol: Protocol, problems: list[Problem]) -> None:
    """Vocabulary fields against the ndx-tms vocabularies (their pynwb-free module)."""
    import ndx_tms_vocabulary as vocab

    for name, value, choices in (
        ("waveform", protocol.waveform, vocab.WAVEFORMS),
        ("intensity_reference", protocol.intensity_reference, vocab.INTENSITY_REFERENCES),
        ("coil_current_direction", protocol.coil_current_direction, vocab.COIL_CURRENT_DIRECTIONS),
        ("induced_current_direction", protocol.induced_current_direction, vocab.INDUCED_CURRENT_DIRECTIONS),
    ):
        if value not in choices:
            problems.append(
                Problem(
                    f"{value!r} is not an accepted term",
                    field=f"/{name}",
                    hint=f"use one of {', '.join(sorted(choices))}",
                )
            )
    if protocol.intensity_reference == "percent_threshold":
        if protocol.threshold_type not in vocab.THRESHOLD_TYPES:
            what = (
                "missing" if not protocol.threshold_type else f"{protocol.threshold_type!r} is not accepted"
            )
            problems.append(
                Problem(
                    f"threshold_type {what}; a relative intensity needs the threshold it refers to",
                    field="/threshold_type",
                    hint=f"use one of {', '.join(sorted(vocab.THRESHOLD_TYPES))}",
                )
            )
    elif protocol.intensity_value > 100:
        problems.append(Problem(f"{protocol.intensity_value:g}% MSO exceeds 100", field="/intensity_value"))
    for i, lvl in enumerate(protocol.levels):
        if lvl.stated_as not in INTERVAL_CONVENTIONS:
            problems.append(Problem(f"level {lvl.name!r}: interval convention {lvl.stated_as!r} is unknown",
                                    field=f"/levels/{i}", hint=f"use {', '.join(INTERVAL_CONVENTIONS)}"))
    if protocol.conditioning_intensity_value is not None:
        if protocol.conditioning_intensity_reference not in vocab.INTENSITY_REFERENCES:
            problems.append(Problem(f"{protocol.conditioning_intensity_reference!r} is not an accepted term",
                                    field="/conditioning_intensity_reference",
                                    hint=f"use one of {', '.join(sorted(vocab.INTENSITY_REFERENCES))}"))
        elif (protocol.conditioning_intensity_reference == "percent_threshold"
              and protocol.conditioning_threshold_type not in vocab.THRESHOLD_TYPES):
            problems.append(Problem("the conditioning intensity is relative to a threshold: give "
                                    "conditioning_threshold_type", field="/conditioning_threshold_type",
                                    hint=f"use one of {', '.join(sorted(vocab.THRESHOLD_TYPES))}"))
    if protocol.sham:
        if protocol.sham_type not in vocab.SHAM_TYPES:
            problems.append(
                Problem(
                    f"sham protocol needs a sham_type, got {protocol.sham_type!r}",
                    field="/sham_type",
                    hint=f"use one of {', '.join(sorted(vocab.SHAM_TYPES))}",
                )
            )
    elif protocol.sham_type:
        problems.append(
            Problem(
                "sham_type is set but sham is false",
                field="/sham_type",
                hint="set sham: true or remove sham_type",
            )
        )


def _check_levels(protocol: Protocol, problems: list[Problem]) -> None:
    """Order, counts and physical consistency of the timing levels."""
    levels = protocol.levels
    if not levels:
        problems.append(Problem("a protocol needs at least one level (pulse)", field="/levels"))
        return
    ranks = []
    for i, lvl in enumerate(levels):
        where = f"/levels/{i}"
        if lvl.name not in LEVEL_ORDER:
            problems.append(
                Problem(
                    f"level {lvl.name!r} is not a level name",
                    field=f"{where}/name",
                    hint=f"use {', '.join(LEVEL_ORDER)}",
                )
            )
            return
        ranks.append(LEVEL_ORDER.index(lvl.name))
        if not isinstance(lvl.count, int) or lvl.count < 1:
            problems.append(
                Problem(
                    f"level {lvl.name!r}: count is {lvl.count}; a level repeats its unit at least once",
                    field=f"{where}/count",
                    hint="set count >= 1, or remove the level",
                )
            )
        if not isinstance(lvl.interval_us, int) or lvl.interval_us < 0:
            problems.append(
                Problem(
                    f"level {lvl.name!r}: interval {lvl.interval_us} us must be >= 0",
                    field=f"{where}/interval_s",
                )
            )
    if problems:
        return
    if ranks[0] != 0:
        problems.append(
            Problem(
                f"the innermost level must be 'pulse', got {levels[0].name!r}",
                field="/levels/0/name",
                hint="list levels innermost first",
            )
        )
    if any(b <= a for a, b in zip(ranks, ranks[1:], strict=False)):
        problems.append(
            Problem(
                f"levels must go from inner to outer without repeats ({', '.join(LEVEL_ORDER)}), got "
                f"{', '.join(protocol.level_names)}",
                field="/levels",
                hint="reorder the levels innermost first",
            )
        )
        return
    if protocol.total_pulses > MAX_TOTAL_PULSES:
        problems.append(
            Problem(
                f"{protocol.total_pulses:,} pulses is more than {MAX_TOTAL_PULSES:,}",
                field="/levels",
                hint="check the counts",
            )
        )
    if protocol.duration_us > MAX_DURATION_US:
        problems.append(
            Problem("the protocol lasts more than 10 years", field="/levels", hint="check the intervals")
        )
    if protocol.pulse_width_us is not None and not protocol.pulse_width_us > 0:
        problems.append(
            Problem(f"pulse_width_us must be > 0, got {protocol.pulse_width_us}", field="/pulse_width_us")
        )
        return
    for i, lvl in enumerate(levels):
        where = f"/levels/{i}/interval_s"
        unit = "pulses" if i == 0 else f"{levels[i - 1].name}s"
        if lvl.count > 1 and lvl.interval_us == 0:
            problems.append(
                Problem(
                    f"level {lvl.name!r}: {lvl.count} {lvl.name}s with a 0 s interval would coincide",
                    field=where,
                    hint="give the onset-to-onset interval",
                )
            )
            continue
        if lvl.count == 1:
            continue
        unit_us = protocol.unit_duration_us(i)
        if i == 0 and unit_us and lvl.interval_us <= unit_us:
            problems.append(
                Problem(
                    f"level 'pulse': pulses every {format_us(lvl.interval_us)} are not longer than the "
                    f"{format_us(unit_us)} pulse width",
                    field=where,
                    hint="lengthen the interval or check pulse_width_us",
                )
            )
        elif i > 0 and lvl.interval_us < unit_us:
            inner = levels[i - 1]
            problems.append(
                Problem(
                    f"level {lvl.name!r}: one {lvl.name} lasts {format_us(unit_us)} ({inner.count} {unit} "
                    f"every {format_us(inner.interval_us)}) but {lvl.name}s start every "
                    f"{format_us(lvl.interval_us)}; a {lvl.name} cannot be longer than its interval",
                    field=where,
                    hint=f"set the {lvl.name} interval to at least {format_us(unit_us)} "
                    f"or reduce the {inner.name} count",
                )
            )


def _check_ramp_jitter(protocol: Protocol, problems: list[Problem]) -> None:
    names = protocol.level_names

    def known_level(what: str, level: str) -> bool:
        if level in names:
            return True
        problems.append(
            Problem(
                f"{what} level {level!r} is not a level of this protocol",
                field=f"/{what}/level",
                hint=f"use one of {', '.join(names)}",
            )
        )
        return False

    if protocol.ramp is not None:
        ramp = protocol.ramp
        known_level("ramp", ramp.level)
        if ramp.count < 1:
            problems.append(Problem(f"ramp count must be >= 1, got {ramp.count}", field="/ramp/count"))
        if not 0 < ramp.start_fraction <= 1:
            problems.append(
                Problem(
                    f"ramp start_fraction must be in (0, 1], got {ramp.start_fraction}",
                    field="/ramp/start_fraction",
                )
            )
    if protocol.jitter is not None:
        jitter = protocol.jitter
        if not known_level("jitter", jitter.level):
            return
        if jitter.max_us < 0:
            problems.append(Problem(f"jitter must be >= 0, got {jitter.max_us} us", field="/jitter/max_s"))
            return
        i = names.index(jitter.level)
        lvl = protocol.levels[i]
        room_us = lvl.interval_us - protocol.unit_duration_us(i) - (1 if i == 0 else 0)
        if lvl.count > 1 and jitter.max_us > room_us:
            problems.append(
                Problem(
                    f"jitter of +-{format_us(jitter.max_us)} on {lvl.name} intervals of "
                    f"{format_us(lvl.interval_us)} could make {lvl.name}s overlap",
                    field="/jitter/max_s",
                    hint=f"use at most {format_us(max(room_us, 0))}",
                )
            )
        elif i + 1 < len(protocol.levels) and protocol.levels[i + 1].count > 1:
            outer = protocol.levels[i + 1]
            longest_us = lvl.count * (lvl.interval_us + jitter.max_us)
            if longest_us > outer.interval_us:
                problems.append(
                    Problem(
                        f"with jitter, one {outer.name} can last {format_us(longest_us)}, longer than the "
                        f"{format_us(outer.interval_us)} {outer.name} interval",
                        field="/jitter/max_s",
                        hint=f"reduce the jitter or lengthen the {outer.name} interval",
                    )
                )


def protocol_problems(protocol: Protocol) -> list[Problem]:
    """Every inconsistency of ``protocol``; fields are JSON pointers into the protocol file format."""
    problems: list[Problem] = []
    _check_levels(protocol, problems)
    _check_vocab(protocol, problems)
    if not problems:
        _check_ramp_jitter(protocol, problems)
    return problems
