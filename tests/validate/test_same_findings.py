"""The same findings on every machine and every ``--jobs``: serially, with schema validation in a forked child
(and with a child that fails), on one core, and with two worker processes.

The trigger is pynwb's back-compat case ``1.5.1_timeintervals_non_ndtype_tsref.nwb`` (NWB <= 2.4): a
TimeIntervals ``timeseries`` column stored as plain VectorData, which pynwb retypes in the builders while it
builds the objects. It is reproduced here with pynwb and h5py: the column typed VectorData, and the cached
core specs without the TimeSeriesReferenceVectorData type name (as in NWB 2.3). ``pynwb.validate`` reports
nothing on it; validating the builders after object construction reported a spurious ``nwb.schema`` error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

pytestmark = pytest.mark.slow


def write_old_timeseries_column(path: Path) -> Path:
    """A file whose trials table has an NWB <= 2.4 style ``timeseries`` column (plain VectorData)."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    nwbfile = NWBFile(session_description="back-compat timeseries column", identifier=path.stem,
                      session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    series = TimeSeries(name="speed", data=np.arange(5.0), unit="m/s", rate=1.0, description="Speed.")
    nwbfile.add_acquisition(series)
    nwbfile.add_trial(start_time=0.0, stop_time=1.0, timeseries=[series])
    nwbfile.add_trial(start_time=1.0, stop_time=2.0, timeseries=[series])
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    renamed = "TimeSeriesReferenceVectorData"
    with h5py.File(path, "r+") as h5:
        column = h5["intervals/trials/timeseries"]
        column.attrs["neurodata_type"], column.attrs["namespace"] = "VectorData", "hdmf-common"
        (version,) = list(h5["specifications/core"])
        specs = h5[f"specifications/core/{version}"]
        for name in list(specs):
            text = specs[name][()]
            text = text.decode() if isinstance(text, bytes) else text
            if renamed in text:  # the cached specs of NWB 2.3 do not know the type
                del specs[name]
                specs.create_dataset(name, data=text.replace(renamed, "TimeSeriesReferenceVectorDataOfLater"),
                                     dtype=h5py.string_dtype())
    return path


_MODES_SCRIPT = """
import json, os, sys, types
from nwbtms.validate import validate_paths
from nwbtms.validate.checks import schema

files = sys.argv[1:]
forks = []
fork = schema.PendingSchema._fork
schema.PendingSchema._fork = lambda self: (forks.append(1), fork(self))[1]


def rows(report):
    return [[f.file, f.check_id, str(f.severity), f.location, f.index, f.count, f.message] for f in report.findings]


out = {}
free = schema.second_core_free
schema.second_core_free = lambda: False
out["serial"] = rows(validate_paths(files, jobs=1))
schema.second_core_free = free
out["forked"] = rows(validate_paths(files, jobs=1))
out["forks"] = len(forks)
# fails in the child only (the json module itself stays whole for everything else)
schema.json = types.SimpleNamespace(dumps=lambda *_a, **_k: 1 / 0, loads=json.loads)
out["child_fails"] = rows(validate_paths(files, jobs=1))
schema.json = json
cores = os.sched_getaffinity(0)
os.sched_setaffinity(0, {min(cores)})
out["one_core"] = rows(validate_paths(files, jobs=1))
os.sched_setaffinity(0, cores)
out["jobs_2"] = rows(validate_paths(files, jobs=2))
sys.stdout.write(json.dumps(out))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or not hasattr(os, "fork"), reason="Linux only")
def test_same_findings_serially_forked_one_core_and_two_jobs(tmp_path, complete_nwb, make_copy):
    from pynwb import validate

    old = write_old_timeseries_column(tmp_path / "old_timeseries_column.nwb")
    assert validate(path=str(old)) == []
    files = [str(old), str(make_copy(complete_nwb, tmp_path / "complete.nwb", None))]
    run = subprocess.run([sys.executable, "-c", _MODES_SCRIPT, *files], capture_output=True, text=True,
                         check=False, timeout=600)
    assert run.returncode == 0, run.stderr
    modes = json.loads(run.stdout)
    if len(os.sched_getaffinity(0)) >= 2:
        assert modes["forks"] == len(files)  # the forked path ran (it cannot on one core)
    serial = modes["serial"]
    assert not [row for row in serial if row[0] == str(old) and row[1] == "nwb.schema"]
    for mode in ("forked", "child_fails", "one_core", "jobs_2"):
        assert modes[mode] == serial, mode
