"""The NWB writer caches exactly the namespaces a file's objects use (and what those include), whatever
extensions the writing process imported before (hdmf caches every namespace loaded: pynwb issue 1777)."""

from __future__ import annotations

import h5py
import numpy as np
from ndx_tms.testing import mock_tms_nwbfile

from nwbtms.io.nwb_write import write_nwbfile
from nwbtms.validate.findings import Severity
from nwbtms.validate.runner import RunOptions, validate_file

PHOTOMETRY = {"ndx-fiber-photometry", "ndx-ophys-devices"}


def _cached(path) -> set[str]:
    with h5py.File(path, "r") as h5:
        return set(h5["specifications"])


def _serious(path) -> list[str]:
    """Findings of the validator at critical or above, and any about unused cached namespaces."""
    findings = validate_file(str(path), RunOptions()).findings
    return [f"{f.check_id}: {f.message}" for f in findings
            if f.severity >= Severity.CRITICAL or f.check_id == "nwb.namespaces.unused"]


def _with_photometry():
    from ndx_fiber_photometry import FiberPhotometryResponseSeries

    from nwbtms.nwb.entries import FiberEntry, IndicatorEntry, PhotometryChannelEntry, PhotometryEntries
    from nwbtms.nwb.photometry import build_fiber_photometry

    nwbfile = mock_tms_nwbfile(with_imaging=False)  # see test below: a segmentation too would fail pynwb's check
    entries = PhotometryEntries(indicators=(IndicatorEntry(key="gcamp8m", label="GCaMP8m"),), fibers=(
        FiberEntry(key="mos", location="MOs", indicator="gcamp8m", cell_type="IT",
                   channels=(PhotometryChannelEntry("analog_1", 470.0, 525.0),)),))
    meta, _ = build_fiber_photometry(entries, nwbfile)
    region = meta.fiber_photometry_table.create_fiber_photometry_table_region(region=[0], description="fiber")
    nwbfile.add_acquisition(FiberPhotometryResponseSeries(
        name="photometry_mos_470nm", description="signal", unit="volts", data=np.ones(130), rate=130.0,
        starting_time=55.0, fiber_photometry_table_region=region))
    return nwbfile


def test_a_file_without_photometry_written_after_the_extension_was_imported_does_not_cache_it(tmp_path):
    import ndx_fiber_photometry  # noqa: F401  (a batch worker converted a photometry session first)

    path = write_nwbfile(mock_tms_nwbfile(), tmp_path / "plain.nwb")
    cached = _cached(path)
    assert not cached & PHOTOMETRY
    assert {"core", "hdmf-common", "hdmf-experimental", "ndx-tms"} <= cached
    assert _serious(path) == []


def test_a_file_with_photometry_keeps_its_namespaces_and_validates(tmp_path):
    """Kept, with ndx-ophys-devices (which ndx-fiber-photometry includes). Not with the mock's segmentation:
    pynwb validates against each cached namespace no other includes, and against ndx-fiber-photometry alone a
    PlaneSegmentation cell_type region into the ndx-tms CellTypesTable is an 'incorrect data_type'."""
    path = write_nwbfile(_with_photometry(), tmp_path / "photometry.nwb")
    assert PHOTOMETRY | {"ndx-tms"} <= _cached(path)
    assert _serious(path) == []
