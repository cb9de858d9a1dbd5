"""Doric Neuroscience Studio ``.doric`` files (HDF5, read with h5py; layout: Doric's "Read Doric File" notes
and the files DNS 6 writes).

DNS 6 layout: ``DataAcquisition/<console>/Signals/<series>/<group>/<dataset>``, every group holding its own
``Time`` dataset (s, device clock) beside 1-D datasets of the same length:

- a lock-in group ``AIN01xAOUT01-LockIn`` (``Values``: the detector input ``AIN01`` demodulated at the
  excitation ``AOUT01``'s frequency), and camera systems' ``ROISignals`` groups: kind ``signal``;
- ``AnalogIn`` (``AIN01``...: the raw photodetector voltage before demodulation): kind ``raw``;
- ``DigitalIO`` (``DIO01``...): digital inputs, kept as rising-edge times;
- ``AnalogOut`` (the excitation drive) is not a measured stream and is left out.

Streams are named by their path under the series (``AIN01xAOUT01-LockIn/Values``, ``AnalogIn/AIN01``). A file
with several series (``Series0001``, ``Series0002``: acquisitions started and stopped in one file) needs the
``series`` option. The older DNS 5 layout (``Traces/<console>/<stream>/<stream>`` sharing
``Traces/<console>/Time(s)/...``) is read too: a stream whose name has ``Dem`` is a signal, ``DI--O-<n>`` a
digital input, any other a raw input. Values are read by sample range from the open file, never whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.photometry.base import BLOCK_SAMPLES, PhotometryRecording, PhotometryStream, rising_edges_in_blocks
from nwbtms.sources.registry import Reader, head_bytes

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.reshape(-1)[0])
    return str(value)


def _rate(path: Path, time, where: str) -> float:
    head = np.asarray(time[: min(int(time.shape[0]), 10_000)], dtype=np.float64)
    steps = np.diff(head)
    if head.size < 2 or not np.all(np.isfinite(steps)) or np.median(steps) <= 0:
        raise SourceError("time does not increase", file=path, field=where,
                          hint="the series' Time dataset must hold increasing seconds")
    return 1.0 / float(np.median(steps))


def _classify(group: str) -> str | None:
    low = group.lower()
    if "lockin" in low or "roisignals" in low:
        return "signal"
    if low.startswith("analogin"):
        return "raw"
    if low.startswith("digitalio"):
        return "digital"
    return None  # AnalogOut (the excitation drive), Camera images, ...


def read_doric(path: str | Path, *, series: str | None = None) -> PhotometryRecording:
    """Open a ``.doric`` file (see the module docstring); ``series`` picks one of several series.

    Raises
    ------
    SourceError
        Not HDF5, neither layout, several series without ``series`` (or an unknown one), a stream whose length
        differs from its ``Time``, time that does not increase.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise SourceError("Doric file not found", file=path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise SourceError(f"not an HDF5 file ({exc})", file=path,
                          hint="a .doric file is HDF5, written by Doric Neuroscience Studio") from None
    try:
        if "DataAcquisition" in h5:
            recording = _read_v6(path, h5, series)
        elif "Traces" in h5:
            recording = _read_legacy(path, h5)
        else:
            raise SourceError("neither DataAcquisition (DNS 6) nor Traces (DNS 5) in the file", file=path,
                              field="/", hint="not a Doric Neuroscience Studio recording")
    except BaseException:
        h5.close()
        raise
    recording.closer = h5.close
    recording.header = {name: _text(value) for name, value in h5.attrs.items()}
    created = recording.header.get("Created")
    recording.start_time = created or None
    return recording


def _stream(path: Path, name: str, kind: str, values, time, where: str) -> PhotometryStream:
    if values.shape[0] != time.shape[0]:
        raise SourceError(f"{values.shape[0]} samples but {time.shape[0]} times", file=path, field=where,
                          hint="the stream and its Time dataset must have one entry per sample")
    unit = _text(values.attrs.get("Unit", "")) or "volts"
    label = _text(values.attrs.get("Username", "")) or name
    return PhotometryStream(
        name=name, kind=kind, num_samples=int(values.shape[0]), rate_hz=_rate(path, time, where), unit=unit,
        description=f"Doric {label} ({where})", reader=lambda a, b: values[a:b], time_reader=lambda a, b: time[a:b])


def _digital(values, time):
    def edges() -> np.ndarray:
        n = int(values.shape[0])
        blocks = ((s, np.asarray(values[s:s + BLOCK_SAMPLES], dtype=np.float64)) for s in range(0, n, BLOCK_SAMPLES))
        return rising_edges_in_blocks(blocks, lambda i: np.asarray(time[np.sort(i)], dtype=np.float64)
                                      if i.size else np.zeros(0))
    return edges


def _read_v6(path: Path, h5, series: str | None) -> PhotometryRecording:
    import h5py

    found: dict[str, h5py.Group] = {}
    for console_name, console in h5["DataAcquisition"].items():
        signals = console.get("Signals") if isinstance(console, h5py.Group) else None
        if isinstance(signals, h5py.Group):
            for name, group in signals.items():
                if isinstance(group, h5py.Group):
                    found[name if name not in found else f"{console_name}/{name}"] = group
    if not found:
        raise SourceError("no series under DataAcquisition/<console>/Signals", file=path, field="DataAcquisition",
                          hint="the file holds no recorded signals")
    if series is None:
        if len(found) > 1:
            raise SourceError(f"{len(found)} series in the file", file=path, field="series",
                              hint=f"choose one with options: {{series: <name>}}; series: {', '.join(found)}")
        series = next(iter(found))
    if series not in found:
        raise SourceError(f"no series {series!r}", file=path, field="series",
                          hint=f"series of this file: {', '.join(found)}")
    group = found[series]
    streams: dict[str, PhotometryStream] = {}
    inputs = {}
    for group_name, child in group.items():
        kind = _classify(group_name)
        if kind is None or not isinstance(child, h5py.Group) or "Time" not in child:
            continue
        time = child["Time"]
        for name, values in child.items():
            if name == "Time" or not isinstance(values, h5py.Dataset) or values.ndim != 1:
                continue
            where = f"{group.name}/{group_name}/{name}"
            if kind == "digital":
                inputs[name] = _digital(values, time)
            else:
                streams[f"{group_name}/{name}"] = _stream(path, f"{group_name}/{name}", kind, values, time, where)
    if not streams:
        raise SourceError(f"series {series!r} has no lock-in, ROI or analog input stream", file=path,
                          field=group.name, hint="record the photodetector inputs (AnalogIn) or a lock-in signal")
    mode = "lock-in" if any("lockin" in n.lower() for n in streams) else "analog"
    return PhotometryRecording(path=path, reader="doric", streams=streams, digital_inputs=inputs, mode=mode)


def _read_legacy(path: Path, h5) -> PhotometryRecording:
    import h5py

    streams: dict[str, PhotometryStream] = {}
    inputs = {}
    for console in h5["Traces"].values():
        if not isinstance(console, h5py.Group):
            continue
        time_group = next((g for n, g in console.items() if n.strip().lower() in ("time(s)", "time")
                           and isinstance(g, h5py.Group)), None)
        if time_group is None:
            continue
        times = [d for d in time_group.values() if isinstance(d, h5py.Dataset)]
        if len(times) != 1:
            continue
        time = times[0]
        for name, child in console.items():
            if child == time_group or not isinstance(child, h5py.Group) or name not in child:
                continue
            values = child[name]
            where = f"{child.name}/{name}"
            if name.replace("-", "").replace(" ", "").upper().startswith("DIO"):  # DNS 5 names it DI--O-1
                inputs[name] = _digital(values, time)
                continue
            kind = "signal" if "Dem" in name else "raw"
            streams[name] = _stream(path, name, kind, values, time, where)
    if not streams:
        raise SourceError("no stream with a Time(s) group under Traces/<console>", file=path, field="Traces",
                          hint="not a Doric Neuroscience Studio 5 recording")
    return PhotometryRecording(path=path, reader="doric", streams=streams, digital_inputs=inputs,
                               mode="lock-in" if any(s.kind == "signal" for s in streams.values()) else "analog")


class DoricReader(Reader):
    """Doric ``.doric`` as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "doric"
    kind = "photometry"
    display_name = "Doric Neuroscience Studio .doric"
    suffixes = (".doric",)
    info = "Doric Neuroscience Studio 5/6 recording (HDF5): lock-in demodulated signals, raw analog inputs, DIO."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """An HDF5 file (the suffix says it is Doric's)."""
        return head_bytes(path, 8) == HDF5_SIGNATURE

    @classmethod
    def open(cls, path: Path, series: str | None = None) -> PhotometryRecording:
        return read_doric(path, series=series)


__all__ = ["DoricReader", "read_doric"]
