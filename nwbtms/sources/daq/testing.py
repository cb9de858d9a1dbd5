"""Write DAQ files in their real layouts for tests and benchmarks: WaveSurfer ``.h5`` (h5py), Open Ephys.

Follows the files in ``shared/realdata/wavesurfer``: scalars as (1, 1) float64 arrays, names as
fixed-length byte strings, ``analogScans`` int16 (active channels, samples), ``digitalScans``
(1, samples) unsigned, ``timestamp`` (1, 1) per sweep; header layout of version 0.97
(``header/AcquisitionSampleRate``, ``AI*``) or 1.0.2 (``header/Acquisition/...``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py
import numpy as np

#: AIScalingCoefficients of the real 0.97 example file (volts at the ADC from counts, constant first).
EXAMPLE_COEFFICIENTS = (-5.04247e-03, 3.22398746e-04, -9.82120846e-15, 6.78201344e-18)


def _scalar(value: float) -> np.ndarray:
    return np.asarray([[float(value)]])


def _names(names: Sequence[str]) -> np.ndarray:
    if not names:
        return np.asarray([b""], dtype=object)
    width = max(1, max(len(n) for n in names))
    return np.asarray([n.encode() for n in names], dtype=f"S{width}")


def write_header(
    h5: h5py.File,
    *,
    sample_rate_hz: float,
    channel_names: Sequence[str],
    scales: Sequence[float] | None = None,
    units: Sequence[str] | None = None,
    coefficients: np.ndarray | None = None,
    active: Sequence[bool] | None = None,
    digital_names: Sequence[str] = (),
    version: str = "1.0.2",
    clock: Sequence[float] = (2024, 5, 17, 10, 30, 12.5),
) -> None:
    """Write ``/header`` in the layout of ``version`` ("0.97" or "1.0.2")."""
    n = len(channel_names)
    scales = np.asarray(scales if scales is not None else [1.0] * n, dtype=float).reshape(n, 1)
    units = list(units if units is not None else ["V"] * n)
    coefficients = np.asarray(coefficients if coefficients is not None else [EXAMPLE_COEFFICIENTS] * n, dtype=float)
    active_arr = np.asarray(active if active is not None else [True] * n, dtype=float).reshape(n, 1)
    di_active = np.ones((max(1, len(digital_names)), 1)) if digital_names else np.zeros((1, 1))
    header = h5.create_group("header")
    header["VersionString"] = np.asarray([version.encode()])
    header["ClockAtRunStart"] = np.asarray(clock, dtype=float).reshape(6, 1)
    if version.startswith("0."):
        header["AcquisitionSampleRate"] = _scalar(sample_rate_hz)
        header["AIChannelNames"] = _names(channel_names)
        header["AIChannelScales"] = scales
        header["AIChannelUnits"] = _names(units)
        header["AIScalingCoefficients"] = coefficients
        header["IsAIChannelActive"] = active_arr
        header["NAIChannels"] = _scalar(n)
        header["DIChannelNames"] = _names(digital_names)
        header["IsDIChannelActive"] = di_active
        header["NDIChannels"] = _scalar(len(digital_names))
    else:
        acq = header.create_group("Acquisition")
        acq["SampleRate"] = _scalar(sample_rate_hz)
        acq["AnalogChannelNames"] = _names(channel_names)
        acq["AnalogChannelScales"] = scales
        acq["AnalogChannelUnits"] = _names(units)
        acq["AnalogScalingCoefficients"] = coefficients
        acq["IsAnalogChannelActive"] = active_arr
        acq["DigitalChannelNames"] = _names(digital_names)
        acq["IsDigitalChannelActive"] = di_active
        header["NDigitalChannels"] = _scalar(len(digital_names))


def write_wavesurfer(
    path: str | Path,
    sweeps: Sequence[np.ndarray],
    *,
    sample_rate_hz: float,
    channel_names: Sequence[str],
    digital: Sequence[np.ndarray] | None = None,
    timestamps_s: Sequence[float] | None = None,
    **header_options,
) -> Path:
    """Write a WaveSurfer file: ``sweeps[i]`` int16 (active channels, samples); ``digital[i]`` words."""
    path = Path(path)
    with h5py.File(path, "w") as h5:
        write_header(h5, sample_rate_hz=sample_rate_hz, channel_names=channel_names, **header_options)
        start = 0.0
        for i, scans in enumerate(sweeps):
            group = h5.create_group(f"sweep_{i + 1:04d}")
            group["analogScans"] = np.asarray(scans, dtype=np.int16)
            if digital is not None:
                group["digitalScans"] = np.asarray(digital[i]).reshape(1, -1)
            stamp = timestamps_s[i] if timestamps_s is not None else start
            group["timestamp"] = _scalar(stamp)
            start = stamp + np.asarray(scans).shape[1] / sample_rate_hz if sample_rate_hz else stamp
    return path


def write_wavesurfer_blocks(
    path: str | Path,
    *,
    num_samples: int,
    sample_rate_hz: float,
    channel_names: Sequence[str],
    fill: Callable[[int, int], np.ndarray],
    block_samples: int = 1 << 20,
    chunk_samples: int | None = None,
    **header_options,
) -> Path:
    """Write one large sweep block by block (``fill(start, stop)`` -> int16 (channels, stop-start))."""
    path = Path(path)
    n = len(channel_names)
    chunk = chunk_samples or int(sample_rate_hz)
    with h5py.File(path, "w") as h5:
        write_header(h5, sample_rate_hz=sample_rate_hz, channel_names=channel_names, **header_options)
        group = h5.create_group("sweep_0001")
        scans = group.create_dataset(
            "analogScans", shape=(n, num_samples), dtype=np.int16, chunks=(n, min(chunk, num_samples))
        )
        for start in range(0, num_samples, block_samples):
            stop = min(start + block_samples, num_samples)
            scans[:, start:stop] = fill(start, stop)
        group["timestamp"] = _scalar(0.0)
    return path


def write_openephys(
    folder: Path,
    data: np.ndarray,
    *,
    rate: float = 30000,
    first_sample: int = 1000,
    ttl: tuple | None = None,
    new_layout: bool = True,
    bit_volts: float = 0.195,
) -> Path:
    """An Open Ephys recording folder: structure.oebin, continuous.dat (interleaved int16), TTL arrays.

    ``data`` is (samples, channels) int16; the last channel is an ADC input (``ADC1``, volts). ``ttl`` is
    ``(positions, lines, rising)`` (sample positions from the first sample, 1-based lines). ``new_layout``
    writes the GUI 0.6+ layout (``sample_numbers.npy``, signed ``states.npy``), else the 0.5 layout
    (``timestamps.npy`` sample numbers, ``channels.npy``, ``channel_states.npy``).
    """
    folder.mkdir(parents=True)
    stream = "Acquisition_Board-100.Rhythm Data" if new_layout else "Rhythm_FPGA-100.0"
    cont = folder / "continuous" / stream
    cont.mkdir(parents=True)
    np.asarray(data, dtype="<i2").tofile(cont / "continuous.dat")
    numbers = np.arange(first_sample, first_sample + data.shape[0], dtype=np.int64)
    np.save(cont / ("sample_numbers.npy" if new_layout else "timestamps.npy"), numbers)
    channels = [
        {"channel_name": f"CH{i + 1}", "bit_volts": bit_volts, "units": "uV"} for i in range(data.shape[1])
    ]
    channels[-1].update(channel_name="ADC1", bit_volts=0.00015, units="V")
    structure = {
        "GUI version": "0.6.4" if new_layout else "0.5.3",
        "continuous": [
            {
                "folder_name": stream + "/",
                "sample_rate": rate,
                "num_channels": data.shape[1],
                "stream_name": "Rhythm Data",
                "channels": channels,
            }
        ],
        "events": [],
        "spikes": [],
    }
    if ttl is not None:
        positions, lines, rising = ttl
        event_folder = (stream + "/TTL/") if new_layout else "Rhythm_FPGA-100.0/TTL_1/"
        ev = folder / "events" / event_folder
        ev.mkdir(parents=True)
        signed = np.where(rising, lines, -lines).astype(np.int16)
        if new_layout:
            np.save(ev / "sample_numbers.npy", np.asarray(positions, np.int64) + first_sample)
            np.save(ev / "states.npy", signed)
            np.save(ev / "timestamps.npy", (np.asarray(positions) + first_sample) / rate)
        else:
            np.save(ev / "timestamps.npy", np.asarray(positions, np.int64) + first_sample)
            np.save(ev / "channels.npy", np.asarray(lines, np.uint16))
            np.save(ev / "channel_states.npy", np.where(rising, 1, -1).astype(np.int16))
        structure["events"].append(
            {
                "folder_name": event_folder,
                "sample_rate": rate,
                "num_channels": 8,
                "stream_name": "Rhythm Data",
                "type": "int16",
            }
        )
    (folder / "structure.oebin").write_text(json.dumps(structure, indent=2))
    return folder


def write_voltage_recording(
    stem: Path,
    signals: Sequence[tuple[str, str, bool]],
    columns: np.ndarray,
    *,
    rate_hz: float,
    t0_ms: float = 0.0,
    header: str | None = None,
) -> tuple[Path, Path]:
    """A Bruker PrairieView ``<stem>.xml`` + ``<stem>.csv`` VoltageRecording pair (5.x layout, XML with a BOM).

    ``signals`` are ``(name, input channel, enabled)`` in XML order; ``columns`` is (samples, enabled
    signals) in volts. The CSV header names the inputs (``Time(ms), Input 0, ...``) unless ``header`` is
    given; its first column is time in ms from ``t0_ms`` at ``rate_hz``.
    """
    stem = Path(stem)
    columns = np.asarray(columns, dtype=np.float64).reshape(len(columns), -1)
    entries = "".join(
        f"<VRecSignal><Name>{name}</Name><Channel>{channel}</Channel><Enabled>{str(enabled).lower()}</Enabled>"
        "<Unit><UnitName>V</UnitName><Multiplier>1</Multiplier><Divisor>1</Divisor></Unit></VRecSignal>"
        for name, channel, enabled in signals
    )
    duration_ms = columns.shape[0] / rate_hz * 1000
    stem.with_suffix(".xml").write_text(
        '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<VRecSessionEntry><DateTime>2019-01-14T15:12:36</DateTime>'
        f"<Experiment><Rate>{rate_hz:g}</Rate><AcquisitionTime>{duration_ms:g}</AcquisitionTime>"
        f"<SignalList>{entries}</SignalList></Experiment></VRecSessionEntry>",
        encoding="utf-8",
    )
    if header is None:
        header = ", ".join(["Time(ms)"] + [f"Input {channel}" for _, channel, enabled in signals if enabled])
    time_ms = t0_ms + np.arange(columns.shape[0]) * (1000.0 / rate_hz)
    with open(stem.with_suffix(".csv"), "w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        np.savetxt(handle, np.column_stack([time_ms, columns]), delimiter=",", fmt="%.6f")
    return stem.with_suffix(".xml"), stem.with_suffix(".csv")


def write_old_wavesurfer(path: str | Path, scans: np.ndarray, *, version: str, sample_rate_hz: float,
                         channel_names: Sequence[str], timestamp_s: float = 0.25) -> Path:
    """A one-sweep file in the layout of WaveSurfer 0.912/0.913 or 0.74 (``version="0.74"``).

    As PyWaveSurfer's test files ``30_kHz_sampling_rate_0p912_0001.h5`` and ``ws_0p74_data_0001.h5``:
    ``header/Acquisition/SampleRate`` (the nominal rate), ``Analog*`` (0.91x) or ``Channel*`` (0.74) names,
    scales, units and active flags, no scaling coefficients; 0.91x keeps ``VersionString`` and a
    ``sweep_0001`` group, 0.74 has no ``VersionString`` and stores the scans as dataset ``trial_0001``.
    """
    path = Path(path)
    n = len(channel_names)
    with h5py.File(path, "w") as h5:
        header = h5.create_group("header")
        acq = header.create_group("Acquisition")
        acq["SampleRate"] = _scalar(sample_rate_hz)
        prefix = "" if version == "0.74" else "Analog"
        acq[f"{prefix}ChannelNames"] = _names(channel_names)
        acq[f"{prefix}ChannelScales"] = np.ones((n, 1))
        acq[f"{prefix}ChannelUnits"] = _names(["V"] * n)
        acq["IsChannelActive" if version == "0.74" else "IsAnalogChannelActive"] = np.ones((n, 1))
        if version == "0.74":
            h5["trial_0001"] = np.asarray(scans, dtype=np.int16)
            return path
        header["VersionString"] = np.asarray([version.encode()])
        acq["DigitalChannelNames"] = np.asarray([b""], dtype=object)
        acq["IsDigitalChannelActive"] = _scalar(0)
        group = h5.create_group("sweep_0001")
        group["analogScans"] = np.asarray(scans, dtype=np.int16)
        group["timestamp"] = _scalar(timestamp_s)
    return path


def write_voltage_recording_master(folder: Path, name: str, signals: Sequence[tuple[str, str, bool]],
                                   columns: np.ndarray, *, rate_hz: float) -> Path:
    """A PrairieView voltage-recording-only acquisition: master ``<name>.xml`` (PVScan 5.3 layout) naming
    ``<name>_Cycle00001_VoltageRecording_001.xml`` + ``.csv`` through ``configurationFile`` and ``dataFile``."""
    folder = Path(folder)
    stem = f"{name}_Cycle00001_VoltageRecording_001"
    write_voltage_recording(folder / stem, signals, columns, rate_hz=rate_hz)
    master = folder / f"{name}.xml"
    master.write_text(
        '<PVScan version="5.3.64.300" date="4/11/2019 3:17:18 PM" notes="">\n'
        '  <Sequence type="VoltageRecording" cycle="1" time="15:17:18.1161356">\n'
        f'    <VoltageRecording name=" LIVE" triggerMode="None" cycle="1" index="1" configurationFile="{stem}.xml" '
        f'dataFile="{stem}.csv" relativeTime="0" absoluteTime="0" />\n'
        f'    <VoltageOutput name="Step 1" triggerMode="None" filename="{name}_Cycle00001_VoltageOutput_001.xml" '
        'relativeTime="0" absoluteTime="0" />\n  </Sequence>\n</PVScan>\n', encoding="utf-8")
    return master
