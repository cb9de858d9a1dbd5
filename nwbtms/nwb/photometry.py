"""Build fiber photometry (ndx-fiber-photometry 0.2, on ndx-ophys-devices 0.3) from typed entries and streams.

What goes where:

- devices (``nwbfile.devices``): one ``OpticalFiber`` per fiber (its ``FiberInsertion`` with AP/ML/DV from the
  fiber's coordinates, its ``OpticalFiberModel`` in ``nwbfile.device_models`` when a model is given), one
  ``ExcitationSource`` per excitation wavelength (``excitation_source_<nm>nm``), one ``Photodetector``;
- ``/general/fiber_photometry`` (``FiberPhotometry`` LabMetaData): the ``FiberPhotometryTable`` (one row per
  fiber x recorded signal, with the required location, wavelengths and device/indicator references, plus the
  columns ``fiber`` (its key), ``cell_type`` (the label of the cell type the fiber records, the ndx-tms cell
  types' vocabulary: IT, PT, ...) and ``stream`` (the source file's stream)) and ``FiberPhotometryIndicators``;
- ``acquisition``: one ``FiberPhotometryResponseSeries`` per demodulated signal, ``photometry_<fiber>_<nm>nm``
  (region: its row), and one per raw photodetector stream, ``photometry_raw_<stream>`` (region: the rows
  recorded through it), on the session clock; data streamed in after the write (``nwb/deferred.py``);
- the samples inside each TMS pulse's artifact window: an ndx-tms ``TMSArtifactMask`` per signal series (the
  type imaging frames use; it links any TimeSeries and the pulses table), in ``processing/ophys``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import GenericDataChunkIterator

from nwbtms.imaging.artifacts import artifact_mask
from nwbtms.nwb.entries import FiberEntry, PhotodetectorEntry, PhotometryEntries

#: samples per HDF5 chunk of a photometry series (64 Ki float32 = 256 KiB) and per buffer read from the source
CHUNK_SAMPLES = 1 << 16
BUFFER_SAMPLES = CHUNK_SAMPLES * 16
SIGNAL_PREFIX = "photometry_"
RAW_PREFIX = "photometry_raw_"
MASK_METHOD = ("sample i acquired during [t_i, t_i + 1 / rate) is masked when it overlaps the closed window "
               "[pulse + artifact_window_in_s[0], pulse + artifact_window_in_s[1]] of any pulse; all times on the "
               "session clock (nwbtms.imaging.artifacts.artifact_mask, per block of samples)")


@dataclass
class StreamData:
    """One photometry stream to write: values read by sample range and its session-clock times.

    Regular sampling gives ``starting_time_s`` and ``rate_hz`` (session clock); otherwise ``times(start, stop)``
    gives each sample's session-clock time.
    """

    name: str
    kind: str  # "signal" or "raw"
    num_samples: int
    unit: str
    description: str
    read: Callable[[int, int], np.ndarray]
    starting_time_s: float | None = None
    rate_hz: float | None = None
    times: Callable[[int, int], np.ndarray] | None = None
    source: str = ""

    def session_times(self, start: int, stop: int) -> np.ndarray:
        """Session-clock times of samples ``start:stop``."""
        if self.times is not None:
            return np.asarray(self.times(start, stop), dtype=np.float64)
        return self.starting_time_s + np.arange(start, stop, dtype=np.float64) / self.rate_hz

    @property
    def sample_period_s(self) -> float:
        """The sampling interval (from the rate, or the median of the first samples' intervals)."""
        if self.rate_hz:
            return 1.0 / self.rate_hz
        head = self.session_times(0, min(self.num_samples, 10_000))
        return float(np.median(np.diff(head))) if head.size > 1 else 1.0


class _RangeIterator(GenericDataChunkIterator):
    """Streams ``read(start, stop)`` (1-D) into an HDF5 dataset, buffer by buffer."""

    def __init__(self, read: Callable[[int, int], np.ndarray], num_samples: int, dtype):
        self._read = read
        self._n = int(num_samples)
        self._dtype = np.dtype(dtype)
        chunk = max(1, min(CHUNK_SAMPLES, self._n))
        buffer = min(max(chunk, BUFFER_SAMPLES // chunk * chunk), self._n)
        super().__init__(chunk_shape=(chunk,), buffer_shape=(max(buffer, 1),), display_progress=False)

    def _get_data(self, selection) -> np.ndarray:
        start, stop, _ = selection[0].indices(self._n)
        return np.asarray(self._read(start, stop)).astype(self._dtype, copy=False)

    def _get_maxshape(self) -> tuple[int]:
        return (self._n,)

    def _get_dtype(self) -> np.dtype:
        return self._dtype


def _streamed(read, n: int, dtype, *, name: str, source: str, pending: list | None):
    iterator = _RangeIterator(read, n, dtype)
    if pending is None:
        return H5DataIO(iterator, compression="gzip")
    from nwbtms.nwb.deferred import deferred_data

    data, job = deferred_data(iterator, name=name, source=source, profile="archive")
    pending.append(job)
    return data


def safe_name(text: str) -> str:
    """Letters, digits and ``_`` only (an NWB object name)."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "stream"


def signal_series_name(fiber: str, excitation_nm: float) -> str:
    """``photometry_<fiber>_<nm>nm``: the demodulated signal of one fiber under one excitation."""
    return f"{SIGNAL_PREFIX}{safe_name(fiber)}_{excitation_nm:g}nm".replace(".", "p")


def _fiber_device(fiber: FiberEntry, nwbfile):
    from ndx_ophys_devices import FiberInsertion, OpticalFiber, OpticalFiberModel

    insertion = {}
    if fiber.coordinates_in_mm is not None:
        ap, ml, dv = (float(v) for v in fiber.coordinates_in_mm)
        insertion = {"insertion_position_ap_in_mm": ap, "insertion_position_ml_in_mm": ml,
                     "insertion_position_dv_in_mm": dv, "position_reference": fiber.reference,
                     "hemisphere": "left" if ml < 0 else "right" if ml > 0 else "midline"}
    kwargs = {}
    model = fiber.model
    if model is not None:
        # an HDF5 name cannot hold '/' or ':'; the product name stays the model number
        name = model.name.replace("/", "_").replace(":", "_")
        if name in nwbfile.device_models:
            kwargs["model"] = nwbfile.device_models[name]
        else:
            optional = {k: v for k, v in (("core_diameter_in_um", model.core_diameter_in_um),
                                          ("ferrule_diameter_in_mm", model.ferrule_diameter_in_mm),
                                          ("ferrule_name", model.ferrule_name)) if v}
            kwargs["model"] = OpticalFiberModel(
                name=name, manufacturer=model.manufacturer, numerical_aperture=float(model.numerical_aperture),
                model_number=model.model_number or (model.name if name != model.name else ""), **optional)
            nwbfile.add_device_model(kwargs["model"])
    device = OpticalFiber(name=fiber.key, description=fiber.description or f"Optical fiber in {fiber.location}",
                          fiber_insertion=FiberInsertion(name="fiber_insertion", **insertion), **kwargs)
    nwbfile.add_device(device)
    return device


def _photodetector(detector: PhotodetectorEntry, nwbfile):
    """The ``Photodetector`` (with a ``PhotodetectorModel`` when a ``model`` or ``manufacturer`` is given)."""
    from ndx_ophys_devices import Photodetector, PhotodetectorModel

    kwargs = {}
    if detector.model or detector.manufacturer:
        model = PhotodetectorModel(name=detector.model or "photodetector_model", manufacturer=detector.manufacturer,
                                   detector_type=detector.detector_type or "photodiode")
        nwbfile.add_device_model(model)
        kwargs["model"] = model
    return Photodetector(name="photodetector",
                         description=detector.description or "Photodetector of the fiber photometry system", **kwargs)


def build_fiber_photometry(entries: PhotometryEntries, nwbfile) -> tuple[object, dict[tuple[str, str], int]]:
    """Devices, ``FiberPhotometryTable``, indicators and the ``FiberPhotometry`` LabMetaData (added to
    ``nwbfile``). Returns the LabMetaData and the table row of each ``(fiber key, stream)``."""
    from ndx_fiber_photometry import FiberPhotometry, FiberPhotometryIndicators, FiberPhotometryTable
    from ndx_ophys_devices import ExcitationSource, Indicator

    design = nwbfile.lab_meta_data.get("study_design") if nwbfile.lab_meta_data else None
    injections = dict(getattr(design, "viral_vector_injections", None) or {})
    indicators = {}
    for e in entries.indicators:
        extra = {"manufacturer": e.manufacturer} if e.manufacturer else {}
        if e.injection:  # the injection that delivered it, in /general/study_design
            if e.injection not in injections:
                raise ValueError(f"indicator {e.key!r}: no viral vector injection {e.injection!r} in the study design")
            extra["viral_vector_injection"] = injections[e.injection]
        indicators[e.key] = Indicator(name=e.key, label=e.label, description=e.description or e.label, **extra)
    photodetector = _photodetector(entries.photodetector, nwbfile)
    nwbfile.add_device(photodetector)
    sources: dict[float, object] = {}
    table = FiberPhotometryTable(name="fiber_photometry_table",
                                 description=entries.description or "Fibers and the signals recorded through them.")
    table.add_column(name="fiber", description="Key of the fiber (its OpticalFiber device's name).")
    table.add_column(name="cell_type", description="Cell type the fiber records (label of the file's TMS cell "
                                                   "types, e.g. IT or PT; empty: not given).")
    table.add_column(name="stream", description="Stream of the photometry file this row's signal comes from.")
    rows: dict[tuple[str, str], int] = {}
    for fiber in entries.fibers:
        device = _fiber_device(fiber, nwbfile)
        for channel in fiber.channels:
            nm = float(channel.excitation_wavelength_in_nm)
            if nm not in sources:
                sources[nm] = ExcitationSource(name=f"excitation_source_{nm:g}nm".replace(".", "p"),
                                               description=f"Excitation light at {nm:g} nm")
                nwbfile.add_device(sources[nm])
            rows[(fiber.key, channel.stream)] = len(table)
            table.add_row(location=fiber.location, excitation_wavelength_in_nm=nm,
                          emission_wavelength_in_nm=float(channel.emission_wavelength_in_nm),
                          indicator=indicators[fiber.indicator], optical_fiber=device,
                          excitation_source=sources[nm], photodetector=photodetector, fiber=fiber.key,
                          cell_type=fiber.cell_type, stream=channel.stream)
    meta = FiberPhotometry(name="fiber_photometry", fiber_photometry_table=table,
                           fiber_photometry_indicators=FiberPhotometryIndicators(indicators=list(indicators.values())))
    nwbfile.add_lab_meta_data(meta)
    return meta, rows


def add_response_series(nwbfile, table, stream: StreamData, rows: Sequence[int], *, name: str,
                        pending: list | None = None):
    """A ``FiberPhotometryResponseSeries`` of ``stream`` (float32, streamed) referring to ``rows`` of ``table``,
    added to acquisition."""
    from ndx_fiber_photometry import FiberPhotometryResponseSeries

    region = table.create_fiber_photometry_table_region(
        region=[int(r) for r in rows], description="The fiber(s) and excitation(s) this series was recorded from.")
    data = _streamed(stream.read, stream.num_samples, np.float32, name=name, source=stream.source, pending=pending)
    timing: dict = {}
    if stream.times is None:
        timing = {"starting_time": float(stream.starting_time_s), "rate": float(stream.rate_hz)}
    else:
        timing = {"timestamps": _streamed(stream.session_times, stream.num_samples, np.float64,
                                          name=f"{name}_timestamps", source=stream.source, pending=pending)}
    series = FiberPhotometryResponseSeries(name=name, description=stream.description, data=data, unit=stream.unit,
                                           fiber_photometry_table_region=region, **timing)
    nwbfile.add_acquisition(series)
    return series


def build_photometry_artifact_mask(series, stream: StreamData, pulse_times_s: np.ndarray,
                                   window_s: tuple[float, float], *, pulses=None, pending: list | None = None):
    """``TMSArtifactMask`` of ``series``: True for each sample overlapping a pulse's artifact window (computed
    block by block, never for the whole stream at once)."""
    from ndx_tms import TMSArtifactMask

    pulses_s = np.sort(np.asarray(pulse_times_s, dtype=np.float64))
    period = stream.sample_period_s

    def block(start: int, stop: int) -> np.ndarray:
        return artifact_mask(stream.session_times(start, stop), period, pulses_s, window_s)

    mask = _streamed(block, stream.num_samples, np.bool_, name=f"{series.name}_tms_artifact_mask",
                     source=stream.source, pending=pending)
    return TMSArtifactMask(name=f"{series.name}_tms_artifact_mask", mask=mask,
                           artifact_window_in_s=[float(v) for v in window_s], frame_duration_in_s=float(period),
                           series=series, pulses=pulses, method=MASK_METHOD)


def raw_rows(raw_stream: str, rows: dict[tuple[str, str], int]) -> list[int]:
    """Rows recorded through a raw detector stream: those whose signal stream and the raw one name the same
    input (``analog_1`` / ``analog_1_led_on``; ``AIN01xAOUT01-LockIn/Values`` / ``AnalogIn/AIN01``)."""
    raw = raw_stream.rsplit("/", 1)[-1]
    found = []
    for (_fiber, stream), row in rows.items():
        signal = stream.split("/", 1)[0]
        if raw.startswith(signal) or signal.startswith(raw):
            found.append(row)
    return sorted(set(found))


__all__ = ["MASK_METHOD", "RAW_PREFIX", "SIGNAL_PREFIX", "StreamData", "add_response_series",
           "build_fiber_photometry", "build_photometry_artifact_mask", "raw_rows", "safe_name",
           "signal_series_name"]
