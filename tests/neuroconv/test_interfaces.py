"""nwbtms's TMS interfaces pass NeuroConv's own interface test mixins, on the demo's raw files.

``DataInterfaceTestMixin`` checks the source, conversion-options and metadata schemas, metadata validation,
that ``add_to_nwbfile`` does not mutate the metadata, and writes each interface with ``run_conversion`` to
HDF5 and Zarr; ``TemporalAlignmentMixin`` checks the timestamp getters and setters. ``check_read_nwb``
reads the file back with pynwb and compares what nwbtms wrote with what the interface reports.
"""

from __future__ import annotations

import numpy as np
import pytest
from neuroconv.tools.testing.data_interface_mixins import DataInterfaceTestMixin, TemporalAlignmentMixin
from numpy.testing import assert_allclose
from pynwb import read_nwb

from nwbtms.neuroconv.interfaces import (
    NavigatorInterface,
    ROIAnnotationsInterface,
    StimulatorLogInterface,
    TMSMetadataInterface,
    TMSPulsesInterface,
)
from nwbtms.nwb.read import tms_tables


def _read_tables(nwbfile_path: str):
    nwbfile = read_nwb(nwbfile_path)
    return nwbfile, tms_tables(nwbfile)


class _PulsesChecks(DataInterfaceTestMixin, TemporalAlignmentMixin):
    """What every pulses interface writes: one pulse per timestamp, the TMS metadata, the source."""

    source: str

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _kwargs(cls, demo):
        cls.interface_kwargs = cls.kwargs(demo)

    def check_read_nwb(self, nwbfile_path: str):
        nwbfile, tables = _read_tables(nwbfile_path)
        assert {"tms_pulses", "tms_sessions", "reconciliation", "protocols", "targets", "thresholds"} <= set(tables)
        pulses = tables["tms_pulses"]
        assert_allclose(pulses["timestamp"][:] if "timestamp" in pulses.colnames else pulses["time"][:],
                        self.interface.get_timestamps(), atol=1e-9)
        assert set(np.asarray(pulses["source"][:]).astype(str)) == {self.source}
        assert {"stimulator", "coil"} <= set(nwbfile.devices)


class TestTMSPulsesInterface(_PulsesChecks):
    data_interface_cls = TMSPulsesInterface
    source = "trigger_ttl"

    @staticmethod
    def kwargs(demo):
        raw = demo.parent / "raw"
        return dict(file_path=str(raw / "daq.h5"), trigger_channel="TMS_trigger", frame_clock_channel="frame_clock",
                    stimulator_log_file_path=str(raw / "stimulator_log.csv"),
                    navigator_file_path=TestNavigatorInterface.kwargs(demo)["file_path"], navigator_reader="localite",
                    metadata_file_path=str(demo))

    def check_read_nwb(self, nwbfile_path: str):
        super().check_read_nwb(nwbfile_path)
        _, tables = _read_tables(nwbfile_path)
        pulses = tables["tms_pulses"]
        # merged as convert merges: the log's dI/dt and the navigator's pose on every pulse
        assert np.isfinite(np.asarray(pulses["di_dt_in_a_per_us"][:], dtype=float)).all()
        assert np.isfinite(np.asarray(pulses["measured_coil_pose"][:], dtype=float)).all()

    def check_extracted_metadata(self, metadata: dict):
        assert metadata["NWBFile"]["session_id"] == "aitbs-day1"
        assert metadata["Subject"]["subject_id"] == "M001"
        assert metadata["TMS"]["stimulation"]["protocol"] == "itbs"
        assert "pulses_from" not in metadata["TMS"]["stimulation"]  # the source data names the DAQ

    def run_custom_checks(self):
        # aligned on a shifted clock: every DAQ-derived time moves with the pulses (frame clock, sessions, the
        # declared schedule) and the written file holds the aligned times
        interface = self.data_interface_cls(**self.interface_kwargs)
        frames, pulses = interface.get_frame_clock_times(), interface.get_original_timestamps()
        plain = tms_tables(interface.create_nwbfile())
        interface.set_aligned_starting_time(2.5)
        assert_allclose(interface.get_frame_clock_times(), frames + 2.5)
        shifted = tms_tables(interface.create_nwbfile())
        assert_allclose(shifted["tms_pulses"]["timestamp"][:], pulses + 2.5)
        for table, column in (("tms_sessions", "start_time"), ("tms_pulses", "scheduled_time_in_s")):
            assert_allclose(np.asarray(shifted[table][column][:]), np.asarray(plain[table][column][:]) + 2.5)


class TestStimulatorLogInterface(_PulsesChecks):
    data_interface_cls = StimulatorLogInterface
    source = "stimulator_log"

    @staticmethod
    def kwargs(demo):
        return dict(file_path=str(demo.parent / "raw" / "stimulator_log.csv"), metadata_file_path=str(demo))


def _write_localite(path, times_s):
    """Localite TMS Navigator TriggerMarkers file (the 2024 layout), one marker per time, one tracked pose."""
    matrix = np.eye(4)
    c, s = np.cos(0.3), np.sin(0.3)
    matrix[:2, :2] = [[c, -s], [s, c]]
    matrix[:3, 3] = (-40.0, -2.0, 90.0)  # an identity matrix would be Localite's "not tracked"
    pose = " ".join(f'data{r}{k}="{float(v)!r}"' for r, row in enumerate(matrix) for k, v in enumerate(row))
    markers = "".join(
        f'  <TriggerMarker recordingTime="{round(t * 1000)}" set="true">\n'
        '    <ResponseValues><Value key="valueA" response="NaN"/><Value key="amplitudeA" response="45"/>'
        f'</ResponseValues>\n    <Matrix4D {pose}/>\n'
        "  </TriggerMarker>\n" for t in times_s)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<TriggerMarkerList coordinateSpace="RAS" isOnlineReading="true" startTime="09:30:00.000">\n'
                    f"{markers}</TriggerMarkerList>\n", encoding="utf-8")
    return path


class TestNavigatorInterface(_PulsesChecks):
    data_interface_cls = NavigatorInterface
    source = "navigator"

    @staticmethod
    def kwargs(demo):
        from examples.aitbs_mouse.generator import delivered_pulses_s

        from .conftest import DEMO

        path = demo.parent / "raw" / "TriggerMarkers_Coil0_20260302093000.xml"
        if not path.exists():
            _write_localite(path, delivered_pulses_s(DEMO))
        return dict(file_path=str(path), reader="localite", metadata_file_path=str(demo))


class TestTMSMetadataInterface(DataInterfaceTestMixin, TemporalAlignmentMixin):
    data_interface_cls = TMSMetadataInterface

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _kwargs(cls, demo):
        cls.interface_kwargs = dict(file_path=str(demo))

    def check_read_nwb(self, nwbfile_path: str):
        nwbfile, tables = _read_tables(nwbfile_path)
        assert "tms_pulses" not in tables and {"protocols", "targets", "thresholds", "cell_types"} <= set(tables)
        manipulations = nwbfile.events["manipulations"] if hasattr(nwbfile, "events") else None
        assert manipulations is not None
        # the timestamps are the manipulation then threshold times; both reach the file
        dcz, threshold = self.interface.get_timestamps()
        assert_allclose(manipulations["timestamp"][:], [dcz])
        assert_allclose(tables["thresholds"]["time_measured_in_s"][:], [threshold])


def test_one_tms_interface_per_file(demo):
    from neuroconv import NWBConverter

    from nwbtms.errors import InputError

    class Both(NWBConverter):
        data_interface_classes = {"Metadata": TMSMetadataInterface, "Log": StimulatorLogInterface}

    converter = Both(source_data={
        "Metadata": {"file_path": str(demo)},
        "Log": TestStimulatorLogInterface.kwargs(demo),
    })
    with pytest.raises(InputError, match="one nwbtms TMS interface per file"):
        converter.create_nwbfile()


@pytest.mark.realdata
def test_navigator_interface_reads_real_brainsight_export(realdata, demo):
    """A real Brainsight export (18 samples) becomes 18 navigator pulses with their recorded poses."""
    from nwbtms.sources.navigation import read_brainsight

    path = realdata / "brainsight" / "dcmimage_worldcoord.txt"
    interface = NavigatorInterface(file_path=str(path), reader="brainsight", metadata_file_path=str(demo))
    nwbfile = interface.create_nwbfile()
    pulses = tms_tables(nwbfile)["tms_pulses"]
    expected = read_brainsight(path)
    assert len(pulses) == len(expected) == 18
    assert_allclose(interface.get_timestamps(), expected.time_s)
    assert set(np.asarray(pulses["source"][:]).astype(str)) == {"navigator"}


ANNOTATED = [
    {"name": "n1", "type": "oval", "points": [[10, 10], [20, 16]], "slice": 2},
    {"name": "n1:d01", "type": "polyline", "points": [[20, 20], [23, 24], [23, 34]], "slice": 3},
    {"name": "n1:d01:s01", "type": "point", "points": [[22, 25]], "slice": 3},
    {"name": "n1:d01:s02", "type": "polygon", "points": [[24, 30], [26, 30], [26, 32]], "slice": 4},
]


class TestROIAnnotationsInterface(DataInterfaceTestMixin):
    """A Fiji ROI set (written by roifile): NeuroConv has no interface for hand annotations."""

    data_interface_cls = ROIAnnotationsInterface

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _kwargs(cls, tmp_path_factory):
        from nwbtms.sources.annotations.testing import write_imagej_roiset

        path = write_imagej_roiset(tmp_path_factory.mktemp("annotations") / "RoiSet.zip", ANNOTATED)
        cls.interface_kwargs = dict(file_path=str(path), pixel_size_um=[0.5, 0.5], z_step_um=2.0)

    def check_read_nwb(self, nwbfile_path: str):
        nwbfile = read_nwb(nwbfile_path)
        table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation_annotations"]
        assert list(table["roi_key"][:]) == [a["name"] for a in ANNOTATED]
        assert list(table["roi_kind"][:]) == ["soma", "dendrite", "spine", "spine"]
        assert list(table["parent_roi"][:]) == [-1, 0, 1, 1]
        assert table["dendrite_length_in_um"][1] == pytest.approx(0.5 * (5 + 10))


def test_annotations_take_cell_types_from_the_tms_metadata(demo, tmp_path):
    from neuroconv import NWBConverter

    from nwbtms.sources.annotations.testing import write_imagej_roiset

    class Annotated(NWBConverter):
        data_interface_classes = {"Metadata": TMSMetadataInterface, "ROIs": ROIAnnotationsInterface}

    rois = write_imagej_roiset(tmp_path / "RoiSet.zip", ANNOTATED)
    source_data = {"Metadata": {"file_path": str(demo)},
                   "ROIs": {"file_path": str(rois), "z_step_um": 2.0, "cell_type": "IT"}}
    nwbfile = Annotated(source_data=source_data).create_nwbfile()
    table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation_annotations"]
    assert table["cell_type"].table is tms_tables(nwbfile)["cell_types"]
    assert set(table["cell_type"].data[:]) == {0}


def test_every_reader_kind_is_mapped_and_reader_choices_come_from_the_registry():
    from nwbtms.neuroconv.interfaces import INTERFACE_FOR_KIND
    from nwbtms.sources.registry import KINDS, reader_names

    assert set(INTERFACE_FOR_KIND) == set(KINDS)
    schema = TMSPulsesInterface.get_source_schema()["properties"]
    daq = schema["reader"].get("enum") or next(s for s in schema["reader"]["anyOf"] if "enum" in s)["enum"]
    assert tuple(daq) == reader_names("daq")
    navigator = NavigatorInterface.get_source_schema()["properties"]["reader"]["enum"]
    assert tuple(navigator) == reader_names("navigator")
    assert ".tdms" in TMSPulsesInterface.associated_suffixes and ".xml" in NavigatorInterface.associated_suffixes
