"""Fiber photometry end to end: a pyPhotometry (and a Doric) recording beside the TMS pulses -> convert ->
ndx-fiber-photometry table, raw and demodulated series on the session clock (fitted from the TMS trigger the
photometry system recorded), artifact masks, and the pulse-aligned response read back with h5py."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from pynwb import NWBHDF5IO, validate

from examples.aitbs_mouse.generator import ExampleParameters, generate
from nwbtms import convert_session
from nwbtms.errors import MetadataError, SourceError
from nwbtms.photometry import read_pulse_aligned_responses
from nwbtms.sources.photometry.testing import write_doric, write_ppd

OFFSET_S, DRIFT_PPM = 3.0, 40.0
PHOTOMETRY = {
    "source": "fiber",
    "description": "One fiber over MOs layer 5, GCaMP8m in IT neurons, 470 nm signal and 405 nm isosbestic control.",
    "sync": {"digital_input": "digital_1", "min_gap_s": 0.1},
    "photodetector": {"description": "Femtowatt photoreceiver", "manufacturer": "Newport", "model": "2151"},
    "indicators": {"gcamp8m": {"label": "GCaMP8m", "description": "jGCaMP8m, Cre-dependent",
                               "injection": "mos_gcamp"}},
    "fibers": {"mos_it": {
        "location": "secondary motor area (MOs), layer 5", "coordinates_in_mm": [1.9, -0.4, -0.6],
        "model": {"name": "MFC_200/245-0.37", "manufacturer": "Doric Lenses", "numerical_aperture": 0.37,
                  "core_diameter_in_um": 200},
        "cell_type": "it", "indicator": "gcamp8m",
        "signals": {"analog_1": {"excitation_wavelength_in_nm": 470, "emission_wavelength_in_nm": 525},
                    "analog_2": {"excitation_wavelength_in_nm": 405, "emission_wavelength_in_nm": 525}}}},
}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The example session without imaging, pulses from its stimulator log, and a photometry recording whose
    clock runs OFFSET_S behind and DRIFT_PPM fast."""
    folder = tmp_path_factory.mktemp("photometry")
    metadata = generate(folder, ExampleParameters(sessions=1, num_frames=8, frame_size=32))
    data = yaml.safe_load(metadata.read_text())
    data["stimulation"]["pulses_from"] = "stim_log"
    data["stimulation"].pop("stimulator_log")
    data.pop("imaging_planes")
    for key in ("daq", "scanimage", "suite2p", "rois"):
        data["sources"].pop(key)
    log = np.loadtxt(folder / "raw" / "stimulator_log.csv", delimiter=",", skiprows=2, usecols=0)
    write_ppd(folder / "raw" / "fiber.ppd", duration_s=float(log[-1]) + 10.0, pulse_times_s=log,
              clock_offset_s=OFFSET_S, drift_ppm=DRIFT_PPM, response_amplitude_v=0.01)
    data["sources"]["fiber"] = {"reader": "pyphotometry", "path": "raw/fiber.ppd"}
    data["photometry"] = copy.deepcopy(PHOTOMETRY)
    data["viral_vectors"]["gcamp8m_aav"] = {"construct_name": "AAV9-syn-FLEX-jGCaMP8m-WPRE", "manufacturer": "Addgene",
                                            "titer_in_vg_per_ml": 1.0e13}
    data["injections"]["mos_gcamp"] = {"viral_vector": "gcamp8m_aav", "volume_in_uL": 0.3, "date": "2026-01-19",
                                       "anatomical_target": "secondary motor area (MOs), layer 5", "origin": "bregma",
                                       "orientation": "RAS", "x_in_mm": -0.4, "y_in_mm": 1.9, "z_in_mm": -0.6}
    return folder, data, log


@pytest.fixture(scope="module")
def converted(session):
    folder, data, log = session
    out = folder / "photometry.nwb"
    result = convert_session(data, out, quiet=True, base_dir=folder)
    return out, result, log


def test_convert_writes_fiber_photometry_on_the_session_clock(converted):
    out, result, log = converted
    assert any("photometry 'fiber' (pyphotometry, 2EX_1EM_pulsed): wrote photometry_mos_it_470nm" in n
               for n in result.notes)
    with NWBHDF5IO(out, "r") as io:
        nwbfile = io.read()
        table = nwbfile.lab_meta_data["fiber_photometry"].fiber_photometry_table.to_dataframe()
        assert list(table.cell_type) == ["IT", "IT"] and list(table.fiber) == ["mos_it", "mos_it"]
        assert set(nwbfile.acquisition) >= {"photometry_mos_it_470nm", "photometry_mos_it_405nm",
                                            "photometry_raw_analog_1_led_on", "photometry_raw_analog_2_baseline"}
        signal = nwbfile.acquisition["photometry_mos_it_470nm"]
        # the fit recovers the device clock (session = offset + (1 + drift) device) within a sample over the
        # whole recording (130 Hz edges cannot resolve 40 ppm over 200 s; the times they give are what counts)
        device = np.arange(signal.data.shape[0]) / 130.0
        fitted = signal.starting_time + np.arange(signal.data.shape[0]) / signal.rate
        assert np.max(np.abs(fitted - (OFFSET_S + (1 + DRIFT_PPM * 1e-6) * device))) < 1 / 130
        alignment = nwbfile.processing["ophys"]["photometry_clock_alignment"]
        assert alignment.offset_in_s == pytest.approx(OFFSET_S, abs=1 / 130)
        mask = nwbfile.processing["ophys"]["photometry_mos_it_470nm_tms_artifact_mask"]
        assert mask.pulses is nwbfile.events["tms_pulses"] and mask.mask.shape == signal.data.shape
        times = signal.starting_time + np.arange(signal.data.shape[0]) / signal.rate
        masked = times[mask.mask[:]]
        nearest = np.min(np.abs(masked[:, None] - log[None, :60]), axis=1) if masked.size else masked
        assert masked.size and np.all(nearest[masked < log[59]] < 0.04)
        assert nwbfile.devices["mos_it"].fiber_insertion.insertion_position_dv_in_mm == -0.6
        indicator = nwbfile.lab_meta_data["fiber_photometry"].fiber_photometry_indicators.indicators["gcamp8m"]
        assert indicator.viral_vector_injection is nwbfile.lab_meta_data["study_design"].viral_vector_injections[
            "mos_gcamp"]


def test_file_is_valid_nwb_with_design_and_photometry(converted):
    out, result, _ = converted
    assert list(validate(path=str(out))) == []
    assert result.exit_code == 0, [f.message for f in result.findings]


def test_pulse_aligned_response_per_fiber(converted):
    out, _, log = converted
    by_train = read_pulse_aligned_responses(out, window_s=(-0.5, 1.5), baseline_s=(-0.5, 0.0))
    # iTBS: by default one onset per train, read from the pulses table's train numbers
    assert {(r.aligned_to, r.n_pulses) for r in by_train} == {("train onsets", log.size // 30)}
    responses = {r.excitation_wavelength_in_nm: r for r in
                 read_pulse_aligned_responses(out, window_s=(-0.5, 1.5), baseline_s=(-0.5, 0.0), min_gap_s=0)}
    gcamp, iso = responses[470.0], responses[405.0]
    assert (gcamp.fiber, gcamp.cell_type, gcamp.unit) == ("mos_it", "IT", "dF/F")
    assert gcamp.n_pulses == log.size and gcamp.aligned_to == "every pulse"
    after = (gcamp.time_s > 0.1) & (gcamp.time_s < 0.6)
    assert np.nanmean(gcamp.mean[after]) > 0.002 > np.nanmax(np.abs(iso.mean[after]))


def test_doric_without_sync_uses_the_start_offset(session, tmp_path):
    folder, data, log = session
    write_doric(folder / "raw" / "fiber.doric", duration_s=float(log[-1]) + 5.0, pulse_times_s=log,
                clock_offset_s=2.0)
    data = copy.deepcopy(data)
    data["sources"]["fiber"] = {"reader": "doric", "path": "raw/fiber.doric"}
    data["photometry"].pop("sync")
    data["photometry"]["start_offset_s"] = 2.0
    data["photometry"]["fibers"]["mos_it"]["signals"] = {
        "AIN01xAOUT01-LockIn/Values": {"excitation_wavelength_in_nm": 465, "emission_wavelength_in_nm": 525},
        "AIN01xAOUT02-LockIn/Values": {"excitation_wavelength_in_nm": 405, "emission_wavelength_in_nm": 525}}
    out = tmp_path / "doric.nwb"
    convert_session(data, out, quiet=True, validate=False, base_dir=folder)
    with NWBHDF5IO(out, "r") as io:
        nwbfile = io.read()
        signal = nwbfile.acquisition["photometry_mos_it_465nm"]
        assert signal.timestamps[0] == pytest.approx(2.0) and signal.timestamps.shape == signal.data.shape
        raw = nwbfile.acquisition["photometry_raw_AnalogIn_AIN01"]
        assert sorted(raw.fiber_photometry_table_region.data[:]) == [0, 1]
        assert "photometry_clock_alignment" not in nwbfile.processing["ophys"].data_interfaces


@pytest.mark.parametrize(("change", "field", "error"), [
    (lambda p: p["fibers"]["mos_it"]["signals"].update({"analog_7": {"excitation_wavelength_in_nm": 560,
                                                                     "emission_wavelength_in_nm": 600}}),
     "/photometry/fibers/mos_it/signals/analog_7", MetadataError),
    (lambda p: p["fibers"]["mos_it"].update(indicator="gcamp6f"), "/photometry/fibers/mos_it/indicator",
     MetadataError),
    (lambda p: p["fibers"]["mos_it"].update(cell_type="pt"), "/photometry/fibers/mos_it/cell_type", MetadataError),
    (lambda p: p["indicators"]["gcamp8m"].update(injection="nowhere"), "/photometry/indicators/gcamp8m/injection",
     MetadataError),
    (lambda p: p["sync"].update(digital_input="digital_9"), "/photometry/sync/digital_input", MetadataError),
    (lambda p: p["sync"].update(digital_input="digital_2"), "digital_2", SourceError),
])
def test_wrong_photometry_metadata_is_located(session, tmp_path, change, field, error):
    folder, data, _ = session
    data = copy.deepcopy(data)
    change(data["photometry"])
    with pytest.raises(error) as info:
        convert_session(data, tmp_path / "x.nwb", quiet=True, validate=False, base_dir=folder)
    fields = [info.value.field, *(p.field for p in info.value.problems)]
    assert field in fields, (fields, str(info.value))
    assert not (tmp_path / "x.nwb").exists()
