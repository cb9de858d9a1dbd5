"""Janelia WaveSurfer ``.h5`` recordings (wavesurfer.janelia.org; format in its ws.loadDataFile), read lazily with h5py.

Layout (as h5py sees it; MATLAB wrote the arrays transposed):

- ``header/VersionString``; scalars are (1, 1) arrays.
- Sample rate: ``header/AcquisitionSampleRate`` (0.9x) or ``header/Acquisition/SampleRate`` (1.x).
- Analog inputs: ``AIChannelNames``, ``IsAIChannelActive``, ``AIChannelScales``, ``AIChannelUnits``,
  ``AIScalingCoefficients`` in ``header/`` (0.9x), or ``Analog*`` names in ``header/Acquisition/`` (1.x).
- Digital inputs: ``DIChannelNames`` / ``IsDIChannelActive`` (or ``Acquisition/Digital*``).
- ``sweep_NNNN/analogScans``: int16, (active analog channels, samples); only active channels are
  stored. ``sweep_NNNN/digitalScans``: unsigned ints, bit ``k`` = ``k``-th active digital line.
  ``sweep_NNNN/timestamp``: sweep start in seconds since the run started.

Scaling (as PyWaveSurfer does): volts at the ADC = polynomial of the counts with coefficients
``AIScalingCoefficients[channel]`` (constant term first); physical value = volts / channel scale
(``AIChannelScales``, volts per native unit).

Older versions (PyWaveSurfer's test files ``*_0p912_*``, ``*_0p913_*``, ``ws_0p74_*``):

- 0.912 and 0.913 store ``header/Acquisition/Analog*`` but no scaling coefficients; PyWaveSurfer can read
  them only as raw counts, so their analog channels read as raw ADC counts (unit ``counts``, a note in
  ``metadata["scaling"]``), never as guessed volts.
- Before 0.913 (and without ``VersionString``, the oldest files) WaveSurfer stored the requested rate, not
  the one the board ran at: the board divides its 100 MHz timebase by a whole number of ticks (floored for
  acquisition), so the true rate is ``100e6 / floor(100e6 / nominal)`` (30 kHz -> 30003.0003 Hz), as
  PyWaveSurfer corrects it.
- 0.74 (no ``VersionString``) names channels ``Acquisition/ChannelNames``, ``ChannelScales``,
  ``ChannelUnits``, ``IsChannelActive`` and stores each trial as a dataset ``trial_NNNN`` (channels,
  samples) instead of a ``sweep_NNNN`` group.

Reading: unfiltered chunked ``analogScans`` are opened without HDF5's chunk cache, so reading one
channel copies only that channel's bytes (:func:`_open_without_chunk_cache`); count -> physical
tables are built per channel on first use.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.daq.base import (
    ChannelInfo,
    Recording,
    Segment,
    check_sample_rate,
    int16_lookup_table,
)

_SWEEP_NAME = re.compile(r"^(sweep|trial)_(\d+)$")
#: WaveSurfer's acquisition timebase, Hz (NI boards): the sample rate is this over a whole number of ticks.
TIMEBASE_HZ = 100e6
#: First version that stores the rate the board ran at (PyWaveSurfer corrects the older ones).
FIRST_COERCED_RATE_VERSION = (0, 913)


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"0.912"`` -> (0, 912), ``"1.0.2"`` -> (1, 0, 2); () when absent or unreadable (the oldest files)."""
    try:
        return tuple(int(part) for part in text.strip().split("."))
    except ValueError:
        return ()


def true_acquisition_rate(nominal_hz: float, version: str) -> float:
    """The rate the board ran at: WaveSurfer before 0.913 stored the requested one (PyWaveSurfer's fix)."""
    parsed = _version_tuple(version)
    if parsed and (parsed[0] >= 1 or parsed[:2] >= FIRST_COERCED_RATE_VERSION):
        return nominal_hz
    ticks = TIMEBASE_HZ / nominal_hz
    return nominal_hz if ticks == round(ticks) else TIMEBASE_HZ / np.floor(ticks)


def _text_list(values) -> list[str]:
    out = []
    for value in np.asarray(values).reshape(-1):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        out.append(text.replace("\x00", ""))  # MATLAB pads fixed-width char arrays with NUL bytes
    return out


def _open_without_chunk_cache(group: h5py.Group, name: str) -> h5py.Dataset:
    """``group[name]``, opened so that reads of unfiltered chunked data bypass HDF5's chunk cache.

    WaveSurfer chunks hold every channel ((channels, samples) blocks). Through the cache HDF5
    copies each whole chunk to hand out one channel's row; without it, it reads only that row's
    bytes (about 1/channels of the work). Filtered (compressed) data keep the default cache, which
    saves decompressing a chunk once per channel read.
    """
    access = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
    access.set_chunk_cache(1, 0, 1.0)  # (hash slots, bytes, preemption weight): no cache (0 slots means "default")
    # Opened first with this access list: HDF5 shares one open dataset, so a handle opened
    # earlier with the default list would keep its cache.
    dataset = h5py.Dataset(h5py.h5d.open(group.id, name.encode(), dapl=access))
    if dataset.chunks is not None and dataset.id.get_create_plist().get_nfilters() == 0:
        return dataset
    del dataset
    return group[name]


class WaveSurferRecording(Recording):
    """A WaveSurfer data file; sweeps are segments; the h5py file stays open until :meth:`close`."""

    name = "wavesurfer"
    display_name = "WaveSurfer"
    suffixes = (".h5",)
    info = "Janelia WaveSurfer data files (HDF5: a /header group and sweep_NNNN groups or trial datasets)."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        try:
            with h5py.File(path, "r") as handle:
                # sweep_NNNN groups, or trial_NNNN datasets (WaveSurfer 0.74)
                return "header" in handle and any(k.startswith(("sweep_", "trial_")) for k in handle)
        except OSError:
            return False

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        try:
            self._h5 = h5py.File(path, "r")
        except OSError as exc:
            raise SourceError(
                f"cannot open as HDF5 (truncated or not a WaveSurfer file): {exc}",
                file=path,
                hint="check the file was copied completely",
            ) from exc
        try:
            self._init(path)
        except Exception:
            self._h5.close()
            raise

    # ------------------------------------------------------------------ header
    def _find(self, *names: str, required: bool = True):
        for name in names:
            if name in self._h5:
                return self._h5[name][()]
        if required:
            version = self.__dict__.get("_version_text") or "no VersionString"
            raise SourceError(
                f"missing header field (looked for {', '.join(names)}) in a WaveSurfer {version} file",
                file=self._path,
                field=names[0],
                hint="this WaveSurfer version's header layout is not known to nwbtms; open it in WaveSurfer "
                     "(or PyWaveSurfer) and report the version",
            )
        return None

    def _init(self, path: Path) -> None:
        self._path = path
        if "header" not in self._h5:
            raise SourceError("no /header group: not a WaveSurfer file", file=path, field="header")
        version = self._find("header/VersionString", required=False)
        version_text = _text_list(version)[0] if version is not None else ""
        self._version_text = version_text
        nominal_rate = check_sample_rate(
            self._find("header/AcquisitionSampleRate", "header/Acquisition/SampleRate"),
            file=path,
            field="header/AcquisitionSampleRate",
        )
        rate = true_acquisition_rate(nominal_rate, version_text)
        ai_names = _text_list(self._find("header/AIChannelNames", "header/Acquisition/AnalogChannelNames",
                                         "header/Acquisition/ChannelNames"))
        ai_active = (
            np.asarray(self._find("header/IsAIChannelActive", "header/Acquisition/IsAnalogChannelActive",
                                  "header/Acquisition/IsChannelActive"))
            .reshape(-1)
            .astype(bool)
        )
        ai_scales = np.asarray(
            self._find("header/AIChannelScales", "header/Acquisition/AnalogChannelScales",
                       "header/Acquisition/ChannelScales"), dtype=float
        ).reshape(-1)
        ai_units = self._find("header/AIChannelUnits", "header/Acquisition/AnalogChannelUnits",
                              "header/Acquisition/ChannelUnits", required=False)
        ai_units = _text_list(ai_units) if ai_units is not None else [""] * len(ai_names)
        raw_coefficients = self._find("header/AIScalingCoefficients", "header/Acquisition/AnalogScalingCoefficients",
                                      required=False)
        raw_counts = raw_coefficients is None
        if raw_counts:
            # no ADC calibration stored (WaveSurfer < 0.93): counts, unscaled (PyWaveSurfer reads them raw)
            raw_coefficients = np.tile([0.0, 1.0], (len(ai_names), 1))
            ai_units = ["counts"] * len(ai_names)
            ai_scales = np.where(np.isfinite(ai_scales) & (ai_scales != 0), 1.0, ai_scales)
        coefficients = np.atleast_2d(np.asarray(raw_coefficients, dtype=float))
        if not (len(ai_names) == len(ai_active) == len(ai_scales)):
            raise SourceError(
                f"analog header arrays disagree: {len(ai_names)} names, {len(ai_active)} active flags, "
                f"{len(ai_scales)} scales",
                file=path,
                field="header/AIChannelNames",
            )
        active_ai = [i for i in range(len(ai_names)) if ai_active[i]]
        # Coefficient rows: one per channel, or one per active channel (PyWaveSurfer indexes by active).
        if coefficients.shape[0] == len(ai_names) and len(ai_names) != len(active_ai):
            coefficients = coefficients[ai_active]
        if coefficients.shape[0] < len(active_ai):
            raise SourceError(
                f"{coefficients.shape[0]} scaling coefficient rows for {len(active_ai)} active analog channels",
                file=path,
                field="header/AIScalingCoefficients",
            )

        di_names_raw = self._find("header/DIChannelNames", "header/Acquisition/DigitalChannelNames", required=False)
        di_active_raw = self._find(
            "header/IsDIChannelActive", "header/Acquisition/IsDigitalChannelActive", required=False
        )
        di_names = _text_list(di_names_raw) if di_names_raw is not None else []
        di_active = (
            np.asarray(di_active_raw).reshape(-1).astype(bool)
            if di_active_raw is not None
            else np.zeros(len(di_names), bool)
        )
        active_di = [i for i in range(min(len(di_names), len(di_active))) if di_active[i] and di_names[i]]

        channels: list[ChannelInfo] = []
        self._analog_row: dict[str, int] = {}
        self._scaling: dict[str, tuple[np.ndarray, float]] = {}  # (polynomial, highest power first; scale)
        self._lut: dict[str, np.ndarray] = {}  # built on first use (65536 polynomial evaluations each)
        for row, i in enumerate(active_ai):
            name = ai_names[i]
            scale = ai_scales[i]
            if not np.isfinite(scale) or scale == 0:
                raise SourceError(
                    f"channel scale {scale!r} cannot be used",
                    file=path,
                    field=f"AIChannelScales[{name}]",
                    hint="the channel scale (V per native unit) must be finite and non-zero",
                )
            self._scaling[name] = (coefficients[row][::-1], float(scale))
            self._analog_row[name] = row
            channels.append(ChannelInfo(name, "analog", ai_units[i] if i < len(ai_units) else "", len(channels)))
        self._digital_bit: dict[str, int] = {}
        for bit, i in enumerate(active_di):
            self._digital_bit[di_names[i]] = bit
            channels.append(ChannelInfo(di_names[i], "digital", "", len(channels)))

        sweeps = sorted(
            ((int(m.group(2)), key) for key in self._h5 if (m := _SWEEP_NAME.match(key))),
        )
        self._sweep_keys: list[str] = []
        segments: list[Segment] = []
        next_start_s = 0.0
        for _, key in sweeps:
            group = self._h5[key]
            if isinstance(group, h5py.Dataset) or "analogScans" in group:
                scans = group if isinstance(group, h5py.Dataset) else group["analogScans"]
                if scans.ndim != 2 or scans.shape[0] != len(active_ai):
                    raise SourceError(
                        f"analogScans has shape {scans.shape}, expected ({len(active_ai)}, samples)",
                        file=path,
                        field=f"{key}/analogScans",
                    )
                n = scans.shape[1]
            elif "digitalScans" in group:
                n = max(group["digitalScans"].shape)
            else:
                n = 0
            if isinstance(group, h5py.Dataset):  # 0.74 trial: the scans themselves, no timestamp
                segments.append(Segment(len(segments), next_start_s, n))
                self._sweep_keys.append(key)
                next_start_s += n / rate
                continue
            if active_di and "digitalScans" in group and max(group["digitalScans"].shape) != n:
                raise SourceError(
                    f"digitalScans has {max(group['digitalScans'].shape)} samples, analogScans {n}",
                    file=path,
                    field=f"{key}/digitalScans",
                )
            start_s = next_start_s
            if "timestamp" in group:
                start_s = float(np.asarray(group["timestamp"][()]).reshape(-1)[0])
            segments.append(Segment(len(segments), start_s, n))
            self._sweep_keys.append(key)
            next_start_s = start_s + n / rate
        if not segments:
            raise SourceError(
                "no sweep_NNNN groups: the file holds no data",
                file=path,
                hint="was the run stopped before the first sweep was saved?",
            )

        metadata: dict = {"version": version_text or "(no VersionString: WaveSurfer < 0.9)"}
        if rate != nominal_rate:
            metadata["nominal_sample_rate_hz"] = nominal_rate
        if raw_counts:
            metadata["scaling"] = ("raw ADC counts: this WaveSurfer version stores no scaling coefficients "
                                   "(AIScalingCoefficients), so counts are not converted to volts")
        clock = self._find("header/ClockAtRunStart", required=False)
        if clock is not None:
            values = np.asarray(clock, dtype=float).reshape(-1)
            if values.size == 6:
                with_seconds = int(values[5])
                try:
                    metadata["clock_at_run_start"] = datetime(
                        *(int(v) for v in values[:5]),
                        with_seconds,
                        int(round((values[5] - with_seconds) * 1e6)),
                    ).isoformat()
                except ValueError:
                    pass
        super().__init__(
            path=path,
            format="wavesurfer",
            sample_rate_hz=rate,
            channels=channels,
            segments=segments,
            start_datetime=None,
            metadata=metadata,
        )

    # ------------------------------------------------------------------ reading
    def raw_lookup_table(self, channel_name: str) -> np.ndarray | None:
        info = self.channel(channel_name)
        return self._lookup(info.name) if info.kind == "analog" else None

    def _lookup(self, name: str) -> np.ndarray:
        """Count -> physical table of one analog channel, built on first use."""
        if name not in self._lut:
            poly, scale = self._scaling[name]
            self._lut[name] = int16_lookup_table(lambda counts: np.polyval(poly, counts) / scale)
        return self._lut[name]

    def _analog_scans(self, segment: int) -> h5py.Dataset:
        """``analogScans`` of one sweep, looked up once (h5py lookups cost more than small reads)."""
        cache = self.__dict__.setdefault("_scans_cache", {})
        if segment not in cache:
            key = self._sweep_keys[segment]
            if isinstance(self._h5[key], h5py.Dataset):  # 0.74 trial dataset
                cache[segment] = _open_without_chunk_cache(self._h5, key)
            else:
                cache[segment] = _open_without_chunk_cache(self._h5[key], "analogScans")
        return cache[segment]

    def _read_raw(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        if info.kind == "analog":
            try:
                return self._analog_scans(segment)[self._analog_row[info.name], start:stop]
            except OSError as exc:
                raise SourceError(
                    f"cannot read samples {start}:{stop} (file truncated?): {exc}",
                    file=self._path,
                    field=f"{self._sweep_keys[segment]}/analogScans",
                ) from exc
        return self._read(info, segment, start, stop)

    def _read(self, info: ChannelInfo, segment: int, start: int, stop: int) -> np.ndarray:
        group = self._h5[self._sweep_keys[segment]]
        if info.kind == "analog":
            raw = self._read_raw(info, segment, start, stop)
            return self._lookup(info.name)[raw.view(np.uint16)]
        if "digitalScans" not in group:
            raise SourceError(
                "digital channel declared but the sweep has no digitalScans",
                file=self._path,
                field=f"{self._sweep_keys[segment]}/digitalScans",
            )
        scans = group["digitalScans"]
        try:
            if scans.ndim == 1:
                words = scans[start:stop]
            elif scans.shape[0] == 1:
                words = scans[0, start:stop]
            else:
                words = scans[start:stop, 0]
        except OSError as exc:
            raise SourceError(
                f"cannot read digitalScans: {exc}",
                file=self._path,
                field=f"{self._sweep_keys[segment]}/digitalScans",
            ) from exc
        bit = self._digital_bit[info.name]
        return ((np.asarray(words).astype(np.uint64) >> np.uint64(bit)) & np.uint64(1)).astype(bool)

    def close(self) -> None:
        if getattr(self, "_h5", None) is not None and self._h5.id.valid:
            self._h5.close()
