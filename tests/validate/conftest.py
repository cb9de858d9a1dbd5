"""Fixtures for the validator tests: one complete example file (ndx_tms.testing.mock_tms_nwbfile plus an
irregular behaviour TimeSeries and an epochs table), written once per session; broken copies plant one
problem each with h5py, deep in the arrays and tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest


def _write_complete(path: Path) -> None:
    from ndx_tms.testing import mock_tms_nwbfile
    from pynwb import TimeSeries

    from nwbtms.nwb_write import write_nwbfile

    nwbfile = mock_tms_nwbfile()
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.uniform(0.009, 0.011, 5000))  # irregular, ascending
    nwbfile.add_acquisition(TimeSeries(name="running_speed", data=rng.normal(size=5000), unit="m/s",
                                       timestamps=times, description="Wheel speed (irregular samples)."))
    for i in range(20):
        nwbfile.add_epoch(start_time=100.0 * i, stop_time=100.0 * i + 50.0)
    write_nwbfile(nwbfile, path)


@pytest.fixture(scope="session")
def complete_nwb(tmp_path_factory) -> Path:
    """A complete, valid NWB file with every ndx-tms type (the 'exits 0' baseline)."""
    path = tmp_path_factory.mktemp("complete") / "complete.nwb"
    _write_complete(path)
    return path


@pytest.fixture(scope="session")
def make_copy():
    """``make_copy(source, target, plant)``: a copy of ``source`` with ``plant(h5)`` applied (see copy_with)."""
    return copy_with


def set_text(h5: h5py.File, path: str, value: str) -> None:
    """Replace a scalar text dataset."""
    attrs = dict(h5[path].attrs)
    del h5[path]
    h5.create_dataset(path, data=value, dtype=h5py.string_dtype())
    for k, v in attrs.items():
        h5[path].attrs[k] = v


def copy_with(source: Path, target: Path, plant, *, unique_identifier: bool = True) -> Path:
    """Copy ``source`` to ``target`` and apply ``plant(h5)`` with h5py; give it its own identifier."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as h5:
        if unique_identifier:
            set_text(h5, "identifier", f"copy-{target.parent.name}-{target.stem}")
        if plant is not None:
            plant(h5)
    return target
