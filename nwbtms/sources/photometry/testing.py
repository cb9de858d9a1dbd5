"""Write photometry files in their documented layouts, for tests, benches and the example study.

:func:`write_ppd` writes a pyPhotometry ``.ppd`` file (layout in :mod:`nwbtms.sources.photometry.pyphotometry`)
holding a fiber's response to TMS pulses: the indicator signal (``analog_1``) rises after each pulse and decays,
the isosbestic control (``analog_2``) does not, both carry the coil-discharge artefact in the samples right after
a pulse, and digital input 1 records the TMS trigger through a pulse stretcher (high for ``sync_width_s`` from
each pulse, so a theta burst is one high level), on the device clock (``clock_offset_s``, ``drift_ppm``).
:func:`write_doric` writes a Doric Neuroscience Studio 6 ``.doric`` file (HDF5) with h5py,
:func:`write_neurophotometrics` a Neurophotometrics Bonsai CSV with the csv layout of the user guide.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: volts per ADC division of pyPhotometry's board (3.3 V over 15 bits, as real headers give)
VOLTS_PER_DIVISION = 0.00010122


def _device_times(session_times_s: np.ndarray, clock_offset_s: float, drift_ppm: float) -> np.ndarray:
    """Session-clock times on the device clock: ``session = offset + (1 + drift) * device``."""
    return (np.asarray(session_times_s, dtype=np.float64) - clock_offset_s) / (1.0 + drift_ppm * 1e-6)


def _in_windows(times_s: np.ndarray, pulses_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """Samples whose time lies in ``[pulse + start_s, pulse + end_s)`` of any pulse; a window falling between
    two samples marks the next one."""
    hit = np.zeros(times_s.size, dtype=bool)
    for pulse in pulses_s:
        first, last = np.searchsorted(times_s, [pulse + start_s, pulse + end_s])
        hit[first:max(last, first + 1)] = True
    return hit


def response_trace(times_s: np.ndarray, pulses_s: np.ndarray, *, amplitude: float, rise_s: float = 0.1,
                   decay_s: float = 0.8) -> np.ndarray:
    """Sum over pulses of ``amplitude`` x a rise-then-decay kernel (peak 1) starting at each pulse."""
    out = np.zeros(times_s.size)
    if pulses_s.size == 0 or times_s.size < 2:
        return out
    rate = 1.0 / float(np.median(np.diff(times_s)))
    counts = np.histogram(pulses_s, bins=times_s.size, range=(times_s[0], times_s[0] + times_s.size / rate))[0]
    k = np.arange(int(np.ceil(6 * decay_s * rate))) / rate
    kernel = (1 - np.exp(-k / rise_s)) * np.exp(-k / decay_s)
    kernel /= kernel.max()
    return amplitude * np.convolve(counts, kernel)[:times_s.size]


def write_ppd(
    path: str | Path,
    *,
    duration_s: float,
    pulse_times_s: Sequence[float] = (),
    sampling_rate: int = 130,
    clock_offset_s: float = 0.0,
    drift_ppm: float = 0.0,
    response_amplitude_v: float = 0.02,
    artifact_v: float = 0.8,
    artifact_window_s: tuple[float, float] = (-0.001, 0.025),
    sync_width_s: float = 0.05,
    noise_v: float = 0.002,
    mode: str = "2EX_1EM_pulsed",
    version: str = "1.1.0",
    subject_id: str = "M001",
    date_time: str = "2026-03-02T10:00:00",
    seed: int = 0,
) -> Path:
    """Write a pyPhotometry ``.ppd`` file of a fiber responding to TMS pulses (see the module docstring).

    Parameters
    ----------
    duration_s : float
        Length of the recording (device clock).
    pulse_times_s : sequence of float
        TMS pulse times on the session clock; the recording's device clock is ``session = clock_offset_s +
        (1 + drift_ppm 1e-6) device``.
    mode, version : str
        pyPhotometry acquisition mode and version written in the header: ``1.1`` pulsed modes keep each signal's
        LED-on and baseline samples; ``0.2`` with ``'2 colour time div.'`` is the older layout.
    response_amplitude_v : float
        Peak of the indicator's response to one pulse (volts; responses to close pulses add up).
    artifact_v : float
        Added to both signals in samples whose time lies in a pulse's ``artifact_window_s``.
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sampling_rate))
    times = np.arange(n) / sampling_rate
    pulses = np.sort(_device_times(np.asarray(pulse_times_s, dtype=np.float64), clock_offset_s, drift_ppm))
    indicator = 1.2 + response_trace(times, pulses, amplitude=response_amplitude_v)
    control = 0.8 + np.zeros(n)
    divided = "pulsed" in mode or "time div" in mode  # signal k is read k / (2 rate) into each cycle

    def hits(offset_s: float) -> np.ndarray:
        """Samples of a signal read ``offset_s`` into each cycle whose time lies in a pulse's artefact window."""
        return _in_windows(times + offset_s, pulses, *artifact_window_s)

    offsets = [k / (2 * sampling_rate) if divided else 0.0 for k in range(2)]
    signals = [indicator + artifact_v * hits(offsets[0]), control + artifact_v * hits(offsets[1])]
    digital = _in_windows(times, pulses, 0.0, sync_width_s).astype(np.uint16)
    pulsed = tuple(int(p) for p in version.split(".")[:2]) >= (1, 1) and "pulsed" in mode
    columns = []
    for signal in signals:
        baseline = 0.05 + rng.normal(0, noise_v / 2, n) if pulsed else np.zeros(n)
        led_on = signal + baseline + rng.normal(0, noise_v, n)
        columns.append(led_on)
        if pulsed:
            columns.append(baseline)
    words = np.clip(np.round(np.stack(columns, axis=1) / VOLTS_PER_DIVISION), 0, (1 << 15) - 1).astype(np.uint16) << 1
    words[:, 0] |= digital  # digital input 1 is the low bit of the first word of each sample
    header = {"subject_ID": subject_id, "date_time": date_time, "end_time": date_time, "mode": mode,
              "sampling_rate": sampling_rate, "volts_per_division": [VOLTS_PER_DIVISION, VOLTS_PER_DIVISION],
              "LED_current": [40, 40], "version": version}
    if tuple(int(p) for p in version.split(".")[:1]) >= (1,):
        header.update(n_analog_signals=2, n_digital_signals=2, ADC_max_value=(1 << 15) - 1)
    text = json.dumps(header).encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(len(text).to_bytes(2, "little"))
        handle.write(text)
        handle.write(words.astype("<u2").tobytes())
    return path


def write_doric(
    path: str | Path,
    *,
    duration_s: float,
    pulse_times_s: Sequence[float] = (),
    lockin_rate_hz: float = 120.0,
    raw_rate_hz: float = 1200.0,
    clock_offset_s: float = 0.0,
    drift_ppm: float = 0.0,
    response_amplitude_v: float = 0.02,
    artifact_v: float = 0.5,
    sync_width_s: float = 0.05,
    seed: int = 0,
) -> Path:
    """Write a Doric Neuroscience Studio 6 ``.doric`` file (HDF5, h5py) of one fiber under two excitations.

    ``DataAcquisition/FPConsole/Signals/Series0001/``: ``AnalogIn`` (``AIN01`` raw photodetector volts and its
    ``Time``), ``AIN01xAOUT01-LockIn`` (470 nm demodulated: ``Values``, ``Time``), ``AIN01xAOUT02-LockIn``
    (405 nm), ``DigitalIO`` (``DIO01``: the TMS trigger through a pulse stretcher, and ``Time``); times in s on
    the device clock. Each dataset carries Doric's ``Username`` and ``Unit`` attributes.
    """
    import h5py

    path = Path(path)
    rng = np.random.default_rng(seed)
    pulses = np.sort(_device_times(np.asarray(pulse_times_s, dtype=np.float64), clock_offset_s, drift_ppm))
    lock_t = np.arange(int(round(duration_s * lockin_rate_hz))) / lockin_rate_hz
    raw_t = np.arange(int(round(duration_s * raw_rate_hz))) / raw_rate_hz

    def artefact(t: np.ndarray) -> np.ndarray:
        return artifact_v * _in_windows(t, pulses, -0.001, 0.025)

    gcamp = 0.9 + response_trace(lock_t, pulses, amplitude=response_amplitude_v) + artefact(lock_t)
    iso = 0.6 + artefact(lock_t)
    raw = 1.0 + 0.5 * np.sin(2 * np.pi * 208.0 * raw_t) + artefact(raw_t) + rng.normal(0, 0.002, raw_t.size)
    dio = _in_windows(raw_t, pulses, 0.0, sync_width_s).astype(np.uint8)
    with h5py.File(path, "w") as h5:
        h5.attrs["SoftwareName"] = "Doric Neuroscience Studio"
        h5.attrs["SoftwareVersion"] = "6.4.1.0"
        series = h5.create_group("DataAcquisition/FPConsole/Signals/Series0001")

        def put(group: str, name: str, data, unit: str, username: str) -> None:
            dset = series.require_group(group).create_dataset(name, data=data)
            dset.attrs["Username"] = username
            dset.attrs["Unit"] = unit

        put("AnalogIn", "AIN01", raw, "V", "AIn-1 - Raw")
        put("AnalogIn", "Time", raw_t, "s", "Time")
        put("AIN01xAOUT01-LockIn", "Values", gcamp + rng.normal(0, 0.002, lock_t.size), "V", "AIn-1 - Dem (AOut-1)")
        put("AIN01xAOUT01-LockIn", "Time", lock_t, "s", "Time")
        put("AIN01xAOUT02-LockIn", "Values", iso + rng.normal(0, 0.002, lock_t.size), "V", "AIn-1 - Dem (AOut-2)")
        put("AIN01xAOUT02-LockIn", "Time", lock_t, "s", "Time")
        put("DigitalIO", "DIO01", dio, "", "DIO-1")
        put("DigitalIO", "Time", raw_t, "s", "Time")
    return path


def write_neurophotometrics(
    path: str | Path,
    *,
    duration_s: float,
    pulse_times_s: Sequence[float] = (),
    frame_rate_hz: float = 40.0,
    start_s: float = 1000.0,
    response_amplitude: float = 20.0,
    ttl_bit: int = 4,
    legacy: bool = False,
    seed: int = 0,
) -> Path:
    """Write a Neurophotometrics Bonsai CSV (layout in :mod:`nwbtms.sources.photometry.neurophotometrics`): frames
    alternately lit at 415 and 470 nm (``Flags`` 1 and 2, or ``LedState`` with ``legacy``), ``Region0G`` (the
    fiber, responding to pulses under 470 nm) and ``Region1G``, times from ``start_s`` on the system clock, and the
    TMS trigger on the state word's bit ``ttl_bit`` (high for 50 ms from each pulse, pulses on the device clock
    less ``start_s``)."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * frame_rate_hz))
    times = np.arange(n) / frame_rate_hz
    led = np.where(np.arange(n) % 2 == 0, 1, 2)
    pulses = np.sort(np.asarray(pulse_times_s, dtype=np.float64))
    response = response_trace(times, pulses, amplitude=response_amplitude) * (led == 2)
    region0 = 500.0 + response + rng.normal(0, 1.0, n)
    region1 = 300.0 + rng.normal(0, 1.0, n)
    ttl = _in_windows(times, pulses, 0.0, 0.05).astype(np.int64)
    state = led | (ttl << ttl_bit)
    lines = [f"FrameCounter,Timestamp,{'LedState' if legacy else 'Flags'},Region0G,Region1G"]
    lines += [f"{i},{start_s + t:.6f},{s},{a:.4f},{b:.4f}"
              for i, (t, s, a, b) in enumerate(zip(times, state, region0, region1, strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


__all__ = ["VOLTS_PER_DIVISION", "response_trace", "write_doric", "write_neurophotometrics", "write_ppd"]
