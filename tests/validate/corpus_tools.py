"""Helpers for the validator tests: the complete example file and broken copies of it, planted with h5py."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np


def write_complete(path: Path) -> None:
    """``ndx_tms.testing.mock_tms_nwbfile`` plus an irregular behaviour TimeSeries, 20 epochs and 3,000 lick
    events."""
    from ndx_tms.testing import mock_tms_nwbfile
    from pynwb import TimeSeries
    from pynwb.event import EventsTable, TimestampVectorData

    from nwbtms.io.nwb_write import write_nwbfile

    nwbfile = mock_tms_nwbfile()
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.uniform(0.009, 0.011, 5000))  # irregular, ascending
    nwbfile.add_acquisition(TimeSeries(name="running_speed", data=rng.normal(size=5000), unit="m/s",
                                       timestamps=times, description="Wheel speed (irregular samples)."))
    for i in range(20):
        nwbfile.add_epoch(start_time=100.0 * i, stop_time=100.0 * i + 50.0)
    lick_times = np.cumsum(rng.uniform(0.05, 0.5, 3000))  # irregular, ascending
    licks = EventsTable(name="licks", description="Lick times from the lickometer.",
                        source_description="Lickometer TTL on the DAQ", id=np.arange(lick_times.size),
                        columns=[TimestampVectorData(name="timestamp", data=lick_times,
                                                     description="Time of each lick, s.")])
    nwbfile.add_events_table(licks)
    write_nwbfile(nwbfile, path)


def set_text(h5: h5py.File, path: str, value: str) -> None:
    """Replace a scalar text dataset, keeping its attributes."""
    attrs = dict(h5[path].attrs)
    del h5[path]
    h5.create_dataset(path, data=value, dtype=h5py.string_dtype())
    h5[path].attrs.update(attrs)


def copy_with(source: Path, target: Path, plant, *, unique_identifier: bool = True) -> Path:
    """Copy the bytes of ``source`` to ``target`` and apply ``plant(h5)`` in place with h5py; by default give the
    copy its own identifier (so copies validated together do not share one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as h5:
        if unique_identifier:
            set_text(h5, "identifier", f"copy-{target.parent.name}-{target.stem}")
        if plant is not None:
            plant(h5)
    return target
