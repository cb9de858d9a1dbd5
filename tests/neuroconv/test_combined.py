"""One NWBConverter: nwbtms's pulses with NeuroConv's ScanImage imaging and Suite2p segmentation, on the demo.

The imaging and segmentation are aligned on the DAQ clock through the frame clock the DAQ recorded; the file
written passes ``nwbtms validate`` and holds the same TMS tables as ``nwbtms convert`` writes from the same
raw files.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from neuroconv import NWBConverter
from neuroconv.datainterfaces import ScanImageImagingInterface, Suite2pSegmentationInterface
from pynwb import NWBHDF5IO

from nwbtms.cli import main
from nwbtms.neuroconv.interfaces import TMSPulsesInterface, align_to_frame_clock
from nwbtms.nwb.read import tms_tables


class TMSImagingConverter(NWBConverter):
    data_interface_classes = {
        "Pulses": TMSPulsesInterface,
        "Imaging": ScanImageImagingInterface,
        "Segmentation": Suite2pSegmentationInterface,
    }

    def get_metadata(self, **kwargs):
        """The session clock is the DAQ's (its start from the TMS metadata file, not ScanImage's naive epoch);
        the imaging plane described as in the nwbtms metadata file."""
        metadata = super().get_metadata(**kwargs)
        pulses = self.data_interface_objects["Pulses"].get_metadata()
        metadata["NWBFile"]["session_start_time"] = pulses["NWBFile"]["session_start_time"]
        for plane in metadata["Ophys"]["ImagingPlanes"].values():
            plane.update(location="PL", indicator="GCaMP6f", excitation_lambda=920.0,
                         description="L5 IT apical dendrite with spines, dmPFC, 120 um below pia.")
        return metadata

    def temporally_align_data_interfaces(self, metadata=None, conversion_options=None):
        """Imaging frames (and their ROI traces) on the DAQ clock, through the frame clock it recorded."""
        objects = self.data_interface_objects
        align_to_frame_clock(objects["Pulses"], objects["Imaging"], objects["Segmentation"])


def _cell(value):
    if hasattr(value, "object_id") and hasattr(value, "neurodata_type"):  # an object reference: by type and name
        return f"{value.neurodata_type}:{value.name}"
    if isinstance(value, np.ndarray | list | tuple):
        return [_cell(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float | np.floating) and math.isnan(value):
        return "NaN"
    return value.item() if isinstance(value, np.generic) else value


def _rows(table) -> dict[str, list]:
    """Every column of a table as plain values (references as row indices)."""
    frame = table.to_dataframe(index=True)
    return {"id": list(frame.index), **{name: [_cell(v) for v in frame[name]] for name in frame.columns}}


def _frame_times(series) -> np.ndarray:
    """Timestamps, or starting time and rate (NeuroConv stores regular aligned times that way)."""
    if series.timestamps is not None:
        return np.asarray(series.timestamps[:])
    return series.starting_time + np.arange(series.data.shape[0]) / series.rate


def _read(path):
    io = NWBHDF5IO(str(path), "r")
    nwbfile = io.read()
    return io, nwbfile


def test_converter_matches_nwbtms_convert_and_validates(demo, reference, tmp_path):
    raw = demo.parent / "raw"
    converter = TMSImagingConverter(source_data={
        "Pulses": dict(file_path=str(raw / "daq.h5"), trigger_channel="TMS_trigger",
                       frame_clock_channel="frame_clock", stimulator_log_file_path=str(raw / "stimulator_log.csv"),
                       metadata_file_path=str(demo)),
        "Imaging": dict(file_path=str(raw / "imaging_00001.tif")),
        "Segmentation": dict(folder_path=str(raw / "suite2p")),
    })
    combined = tmp_path / "neuroconv.nwb"
    converter.run_conversion(nwbfile_path=str(combined), metadata=converter.get_metadata())

    with pytest.raises(SystemExit) as validated:
        main(["--quiet", "validate", str(combined)])
    assert validated.value.code == 0

    io_a, ours = _read(reference)
    io_b, theirs = _read(combined)
    try:
        expected, got = tms_tables(ours), tms_tables(theirs)
        assert {"tms_pulses", "tms_sessions", "reconciliation", "protocols", "targets", "thresholds", "coils",
                "cell_types"} <= set(expected)
        assert set(got) == set(expected)
        for name, table in expected.items():
            assert _rows(got[name]) == _rows(table), name
        # imaging on the DAQ clock: NeuroConv's frames are where nwbtms's clock fit puts them
        series = next(iter(theirs.acquisition[n] for n in theirs.acquisition
                           if type(theirs.acquisition[n]).__name__ == "TwoPhotonSeries"))
        np.testing.assert_allclose(_frame_times(series), _frame_times(ours.acquisition["TwoPhotonSeries"]),
                                   rtol=0, atol=1e-6)
        assert len(theirs.processing["ophys"]["ImageSegmentation"].plane_segmentations) == 1
    finally:
        io_a.close()
        io_b.close()
