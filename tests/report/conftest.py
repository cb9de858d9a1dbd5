"""Fixtures for the report tests: small real NWB files written with pynwb in a temporary folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest


def _write(nwbfile, path: Path) -> Path:
    from nwbtms.io.nwb_write import write_nwbfile

    return write_nwbfile(nwbfile, path)


@pytest.fixture(scope="session")
def mock_nwb(tmp_path_factory) -> Path:
    """The complete ndx-tms example file (pulses, reconciliation, imaging, mask, clock fit, ROIs)."""
    from ndx_tms.testing import mock_tms_nwbfile

    return _write(mock_tms_nwbfile(), tmp_path_factory.mktemp("mock") / "mock.nwb")


@pytest.fixture(scope="session")
def no_imaging_nwb(tmp_path_factory) -> Path:
    """The example file without imaging (no series, mask, clock fit or segmentation)."""
    from ndx_tms.testing import mock_tms_nwbfile

    return _write(mock_tms_nwbfile(with_imaging=False), tmp_path_factory.mktemp("noimg") / "no_imaging.nwb")


@pytest.fixture(scope="session")
def no_pulses_nwb(tmp_path_factory) -> Path:
    """TMS metadata (protocols, sessions) but no pulses table and no reconciliation, no imaging."""
    from ndx_tms.testing import mock_TMSExperimentMetadata
    from pynwb import NWBFile

    nwbfile = NWBFile(
        session_description="no pulses",
        identifier="no-pulses",
        session_start_time=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    nwbfile.add_lab_meta_data(mock_TMSExperimentMetadata(pulses=None, reconciliation=None))
    return _write(nwbfile, tmp_path_factory.mktemp("nopulses") / "no_pulses.nwb")


@pytest.fixture(scope="session")
def kinds_nwb(tmp_path_factory) -> Path:
    """The example file whose segmentation also has roi_kind (soma/dendrite/spine) and parent columns."""
    from ndx_tms.testing import mock_tms_nwbfile

    nwbfile = mock_tms_nwbfile()
    rois = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
    # Add a dendrite and a spine on it, then the kind and parent columns for every ROI.
    dendrite = np.zeros((32, 32), np.float32)
    dendrite[26, 4:28] = 1.0
    spine = np.zeros((32, 32), np.float32)
    spine[28:30, 14:16] = 1.0
    cell_type = rois["cell_type"]
    rows = list(cell_type.data)
    rois.add_row(image_mask=dendrite, cell_type=0)
    rois.add_row(image_mask=spine, cell_type=0)
    assert len(rows) == 3
    rois.add_column(
        name="roi_kind",
        description="soma, dendrite or spine",
        data=["soma", "soma", "spine", "dendrite", "spine"],
    )
    rois.add_column(name="parent", description="row of the parent ROI, -1 for none", data=[-1, -1, 0, 0, 3])
    return _write(nwbfile, tmp_path_factory.mktemp("kinds") / "kinds.nwb")


@pytest.fixture(scope="session")
def mock_report(mock_nwb):
    """The page of the example file, rendered once for every test that only reads it."""
    from nwbtms.report import render_report

    return render_report(mock_nwb, validate=False)
