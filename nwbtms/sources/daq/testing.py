"""Write small WaveSurfer-layout ``.h5`` files for tests and benchmarks (h5py, the real layout).

Follows the files in ``shared/realdata/wavesurfer``: scalars as (1, 1) float64 arrays, names as
fixed-length byte strings, ``analogScans`` int16 (active channels, samples), ``digitalScans``
(1, samples) unsigned, ``timestamp`` (1, 1) per sweep; header layout of version 0.97
(``header/AcquisitionSampleRate``, ``AI*``) or 1.0.2 (``header/Acquisition/...``).
"""

from __future__ import annotations

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
