"""Fiber photometry builders (ndx-fiber-photometry): table, devices, indicators, raw and demodulated series and
their artifact masks, written with pynwb, streamed in, read back with pynwb and with h5py alone
(``read_pulse_aligned_responses``)."""

from __future__ import annotations

import numpy as np
import pytest
from ndx_tms.testing import mock_tms_nwbfile
from pynwb import NWBHDF5IO

from nwbtms.photometry.response import read_pulse_aligned_responses
from tests.photometry_tools import write_photometry_day


@pytest.fixture(scope="module")
def photometry_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("photometry") / "photometry.nwb"
    times = write_photometry_day(path, mock_tms_nwbfile(with_imaging=False), n_pulses=90, with_raw=True)
    return path, times  # the first three trains


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
