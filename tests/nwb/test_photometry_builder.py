"""Fiber photometry builders (ndx-fiber-photometry): table, devices, indicators, raw and demodulated series and
their artifact masks, written with pynwb, streamed in, read back with pynwb and with h5py alone
(``read_pulse_aligned_responses``)."""

from __future__ import annotations

import numpy as np
import pytest
from ndx_tms.testing import mock_tms_nwbfile
from pynwb import NWBHDF5IO

from nwbtms.nwb.deferred import fill_arrays
from nwbtms.nwb.entries import (
    FiberEntry,
    FiberModelEntry,
    IndicatorEntry,
    PhotodetectorEntry,
    PhotometryChannelEntry,
    PhotometryEntries,
)
from nwbtms.nwb.photometry import (
    StreamData,
    add_response_series,
    build_fiber_photometry,
    build_photometry_artifact_mask,
    raw_rows,
    signal_series_name,
)
from nwbtms.photometry.response import read_pulse_aligned_responses
from nwbtms.sources.photometry.pyphotometry import read_ppd
from nwbtms.sources.photometry.testing import write_ppd

WINDOW = (-0.001, 0.025)
ENTRIES = PhotometryEntries(
    indicators=(IndicatorEntry(key="gcamp8m", label="GCaMP8m", description="jGCaMP8m"),),
    fibers=(FiberEntry(key="mos_it", location="MOs layer 5", indicator="gcamp8m", cell_type="IT",
                       coordinates_in_mm=(1.9, -0.4, -0.6),
                       model=FiberModelEntry(name="MFC_200", manufacturer="Doric Lenses", numerical_aperture=0.57,
                                             core_diameter_in_um=200.0),
                       channels=(PhotometryChannelEntry("analog_1", 470, 525),
                                 PhotometryChannelEntry("analog_2", 405, 525))),),
    photodetector=PhotodetectorEntry(description="Femtowatt photoreceiver", manufacturer="Newport", model="2151"),
)


def _stream_data(stream, path) -> StreamData:
    return StreamData(name=stream.name, kind=stream.kind, num_samples=stream.num_samples, unit=stream.unit,
                      description=stream.description, read=stream.read, starting_time_s=0.0,
                      rate_hz=stream.rate_hz, source=str(path))


@pytest.fixture(scope="module")
def photometry_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photometry")
    nwbfile = mock_tms_nwbfile(with_imaging=False)
    pulses = nwbfile.events["tms_pulses"]
    times = np.asarray(pulses["timestamp"].data)[:90]  # the first three trains
    ppd = write_ppd(folder / "fiber.ppd", duration_s=float(times[-1]) + 5.0, pulse_times_s=times,
                    response_amplitude_v=0.01, artifact_window_s=WINDOW)
    recording = read_ppd(ppd)
    meta, rows = build_fiber_photometry(ENTRIES, nwbfile)
    table = meta.fiber_photometry_table
    pending: list = []
    ophys = nwbfile.create_processing_module(name="ophys", description="masks")
    for fiber in ENTRIES.fibers:
        for channel in fiber.channels:
            data = _stream_data(recording.stream(channel.stream), ppd)
            series = add_response_series(nwbfile, table, data, [rows[(fiber.key, channel.stream)]],
                                         name=signal_series_name(fiber.key, channel.excitation_wavelength_in_nm),
                                         pending=pending)
            ophys.add(build_photometry_artifact_mask(series, data, times, WINDOW, pulses=pulses, pending=pending))
    for raw in recording.of_kind("raw"):
        add_response_series(nwbfile, table, _stream_data(raw, ppd), raw_rows(raw.name, rows),
                            name=f"photometry_raw_{raw.name}", pending=pending)
    path = folder / "photometry.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
        fill_arrays(pending)
    recording.close()
    return path, times


def test_table_devices_and_series_round_trip(photometry_file):
    path, _ = photometry_file
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        meta = nwbfile.lab_meta_data["fiber_photometry"]
        table = meta.fiber_photometry_table.to_dataframe()
        assert list(table.excitation_wavelength_in_nm) == [470.0, 405.0]
        assert list(table.cell_type) == ["IT", "IT"] and list(table.stream) == ["analog_1", "analog_2"]
        fiber = nwbfile.devices["mos_it"]
        assert fiber.fiber_insertion.insertion_position_ap_in_mm == 1.9 and fiber.fiber_insertion.hemisphere == "left"
        assert fiber.model.numerical_aperture == 0.57
        assert meta.fiber_photometry_indicators.indicators["gcamp8m"].label == "GCaMP8m"
        signal = nwbfile.acquisition["photometry_mos_it_470nm"]
        assert list(signal.fiber_photometry_table_region.data) == [0] and signal.rate == 130.0
        raw = nwbfile.acquisition["photometry_raw_analog_1_led_on"]
        assert list(raw.fiber_photometry_table_region.data) == [0]
        mask = nwbfile.processing["ophys"]["photometry_mos_it_470nm_tms_artifact_mask"]
        assert mask.series is signal and mask.mask[:].sum() > 0
        # every sample holding the written artefact (> 1.6 V on a 1.2 V baseline) is masked
        values, masked = signal.data[:], mask.mask[:]
        assert values[~masked].max() < 1.6 and np.median(values[masked]) > 1.6


def test_pulse_aligned_responses(photometry_file):
    path, times = photometry_file
    responses = read_pulse_aligned_responses(path, window_s=(-0.5, 1.5), baseline_s=(-0.5, 0.0), min_gap_s=0.0)
    assert {r.aligned_to for r in responses} == {"every pulse"}
    by_default = read_pulse_aligned_responses(path, window_s=(-0.5, 1.5), baseline_s=(-0.5, 0.0))
    assert {(r.aligned_to, r.n_pulses) for r in by_default} == {("train onsets", 3)}  # three iTBS trains
    by_nm = {r.excitation_wavelength_in_nm: r for r in responses}
    assert set(by_nm) == {470.0, 405.0}
    gcamp, iso = by_nm[470.0], by_nm[405.0]
    assert gcamp.fiber == "mos_it" and gcamp.cell_type == "IT" and gcamp.n_pulses == times.size
    assert gcamp.time_s.shape == gcamp.mean.shape == gcamp.sem.shape
    assert gcamp.time_s[0] == pytest.approx(-0.5, abs=0.01)
    # artefact samples are excluded: nothing near the artefact's +0.8 V jump is left in the mean
    assert np.nanmax(np.abs(iso.mean)) < 0.05
    after = (gcamp.time_s > 0.1) & (gcamp.time_s < 0.6)
    assert np.nanmean(gcamp.mean[after]) > 3 * max(np.nanmax(np.abs(iso.mean[after])), 1e-4)


def test_no_photometry_gives_no_response(tmp_path):
    nwbfile = mock_tms_nwbfile(with_imaging=False)
    path = tmp_path / "plain.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    assert read_pulse_aligned_responses(path) == []
