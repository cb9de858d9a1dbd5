"""Roundtrip every ndx-tms type through an NWB file with pynwb's testing mixins (write, validate, read, compare)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ndx_tms.testing import _add_mock_imaging, add_mock_tms_devices, mock_TMSExperimentMetadata
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
        self.nwbfile.add_lab_meta_data(mock_TMSExperimentMetadata(coil=coil, sessions=1))

    def getContainer(self, nwbfile):
        return nwbfile.lab_meta_data["tms"]

    def test_tables_read_back(self):
        meta = self.roundtripContainer()
        self.assertEqual(len(meta.pulses), 600)
        self.assertEqual(meta.coils["device"][0].name, "coil")
        self.assertIs(meta.pulses["coil"].table, meta.coils)
        self.assertEqual(set(meta.pulses["coil"].data[:]), {0})
        self.assertEqual(list(meta.protocols["timing_count"][0]), [3, 10, 20])
        self.assertEqual(meta.protocols["threshold"][0]["threshold_type"].iloc[0], "rodent_visual_twitch")
        self.assertEqual(meta.targets["coordinate_space"][0].space, "bregma_stereotaxic")
        self.assertEqual(meta.cell_types["cell_ontology_id"][0], "CL:4023008")
        self.assertEqual(list(meta.reconciliation["num_missing"][:]), [0])
        self.assertEqual(meta.pulses["measured_coil_pose"] if "measured_coil_pose" in meta.pulses.colnames
                         else None, None)


class TestImagingTypesRoundtrip(_TmpFileMixin, TestCase):
    def getContainerType(self):
        return "TMSArtifactMask"

    def addContainer(self):
        coil = self._add_devices()
        meta = mock_TMSExperimentMetadata(coil=coil, sessions=1)
        self.nwbfile.add_lab_meta_data(meta)
        _add_mock_imaging(self.nwbfile, meta)

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
