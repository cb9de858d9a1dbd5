"""Roundtrip every ndx-tms type through an NWB file with pynwb's testing mixins (write, validate, read, compare)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from ndx_tms.testing import (
    _add_mock_imaging,
    add_mock_tms_devices,
    mock_tms_tables,
    mock_TMSNavigationSystem,
)
from pynwb.device import DeviceModel
from pynwb.testing import NWBH5IOFlexMixin, TestCase


class _TmpFileMixin(NWBH5IOFlexMixin):
    """Write the mixin's files into a temporary folder instead of the working directory."""

    def setUp(self):
        super().setUp()
        self._tmpdir = Path(tempfile.mkdtemp(prefix="ndx_tms_"))
        self.filename = str(self._tmpdir / self.filename)
        self.export_filename = str(self._tmpdir / self.export_filename)

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def _add_devices(self):
        return add_mock_tms_devices(self.nwbfile)


class TestDevicesRoundtrip(_TmpFileMixin, TestCase):
    def getContainerType(self):
        return "TMSCoil"

    def addContainer(self):
        self._add_devices()

    def getContainer(self, nwbfile):
        return nwbfile.devices["coil"]

    def test_links_survive(self):
        coil = self.roundtripContainer()
        self.assertEqual(coil.model.shape, "circular")
        self.assertEqual(coil.stimulator.model.manufacturer, "MagVenture")
        self.assertEqual(list(coil.stimulator.model.available_waveforms)[0], "biphasic")


class TestExperimentMetadataRoundtrip(_TmpFileMixin, TestCase):
    def getContainerType(self):
        return "TMSExperimentMetadata"

    def addContainer(self):
        coil = self._add_devices()
        mock_tms_tables(coil=coil, sessions=1, nwbfile=self.nwbfile)

    def getContainer(self, nwbfile):
        return nwbfile.lab_meta_data["tms"]

    def test_tables_read_back(self):
        meta = self.roundtripContainer()
        read = self.read_nwbfile
        pulses, sessions = read.events["tms_pulses"], read.intervals["tms_sessions"]
        self.assertEqual(len(pulses), 600)
        self.assertEqual(meta.coils["device"][0].name, "coil")
        self.assertIs(pulses["coil"].table, meta.coils)
        self.assertIs(pulses["session"].table, sessions)
        self.assertIs(meta.reconciliation["session"].table, sessions)
        self.assertIs(sessions["protocol"].table, meta.protocols)
        self.assertEqual(set(pulses["coil"].data[:]), {0})
        self.assertEqual(set(pulses["session"].data[:]), {0})
        events = read.events["tms_adverse_events"]
        self.assertEqual(events["event_type"][0], "coil_heating")
        self.assertGreater(events["timestamp"][0], 0)
        protocols = meta.protocols
        self.assertEqual(list(protocols["timing_interval_convention"][0]), ["onset_to_onset"] * 3)
        self.assertEqual(list(protocols["timing_stated_interval_in_s"][0]), [0.02, 0.2, 10.0])
        self.assertEqual(protocols["depth_adjustment_method"][0], "none")
        self.assertEqual(protocols["conditioning_intensity_reference"][0], "")
        thresholds = meta.thresholds
        self.assertEqual(thresholds["coil_orientation_in_deg"][0], 0.0)
        self.assertTrue(np.isnan(thresholds["value_in_v_per_m"][0]))
        self.assertEqual(meta.targets["atlas_term"][0], "MOs")
        self.assertEqual(meta.targets["efield_max_position"][0].shape, (3,))
        registration = meta.tms_registrations["registration"]
        self.assertEqual(list(registration.landmark_label[:]), ["bregma", "lambda"])
        self.assertIs(registration.coordinate_space, meta.tms_coordinate_spaces["bregma_stereotaxic"])
        self.assertEqual(read.devices["coil"].model.handle_axis, "+y")
        self.assertEqual(list(meta.protocols["timing_count"][0]), [3, 10, 20])
        self.assertEqual(meta.protocols["threshold"][0]["threshold_type"].iloc[0], "rodent_visual_twitch")
        self.assertEqual(meta.targets["coordinate_space"][0].space, "bregma_stereotaxic")
        self.assertEqual(meta.cell_types["cell_ontology_id"][0], "CL:4023008")
        self.assertEqual(list(meta.reconciliation["num_missing"][:]), [0])
        self.assertNotIn("measured_coil_pose", pulses.colnames)


class TestNavigationRoundtrip(_TmpFileMixin, TestCase):
    """A navigation system with its model, and a registration linked to it."""

    def getContainerType(self):
        return "TMSNavigationSystem"

    def addContainer(self):
        model = DeviceModel(name="TMS Navigator", manufacturer="Localite", description="Neuronavigation.")
        self.nwbfile.add_device_model(model)
        navigator = mock_TMSNavigationSystem(name="navigator", model=model)
        self.nwbfile.add_device(navigator)
        coil = self._add_devices()
        mock_tms_tables(coil=coil, nwbfile=self.nwbfile, pulses=False, navigation_system=navigator)

    def getContainer(self, nwbfile):
        return nwbfile.devices["navigator"]

    def test_navigation_fields(self):
        navigator = self.roundtripContainer()
        self.assertEqual(navigator.navigation_type, "hand_held")
        self.assertEqual(navigator.model.manufacturer, "Localite")
        registration = self.read_nwbfile.lab_meta_data["tms"].tms_registrations["registration"]
        self.assertIs(registration.navigation_system, navigator)
        self.assertEqual(registration.rms_error_in_mm, 0.02)
        self.assertEqual(registration.landmark_position[:].shape, (2, 3))
        self.assertNotIn("tms_pulses", self.read_nwbfile.events)


class TestImagingTypesRoundtrip(_TmpFileMixin, TestCase):
    def getContainerType(self):
        return "TMSArtifactMask"

    def addContainer(self):
        coil = self._add_devices()
        tables = mock_tms_tables(coil=coil, sessions=1, nwbfile=self.nwbfile)
        _add_mock_imaging(self.nwbfile, tables["metadata"], tables["pulses"])

    def getContainer(self, nwbfile):
        return nwbfile.processing["ophys"]["TwoPhotonSeries_tms_artifact_mask"]

    def test_mask_and_alignment(self):
        mask = self.roundtripContainer()
        self.assertTrue(mask.mask[:].any())
        self.assertIs(mask.series, self.read_nwbfile.acquisition["TwoPhotonSeries"])
        alignment = self.read_nwbfile.processing["ophys"]["scanimage_to_daq"]
        self.assertAlmostEqual(alignment.drift_in_ppm, 12.0)
        rois = self.read_nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        self.assertEqual(list(rois["cell_type"][:]["label"]), ["IT", "PT", "IT"])
