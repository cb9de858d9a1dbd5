"""Write and read back a 90,000-pulse TMSPulsesTable through the bulk path, against plain h5py.

90,000 pulses = one SNT/SAINT course (Cole 2020: 1800 pulses x 10 sessions x 5 days). Prints rows/s for ndx-tms
(``add_pulses`` + NWBHDF5IO write, then read every column) and for
writing and reading the same columns with plain h5py in the same run, and their ratio.

Run: ``python -m bench.bench_pulses_table [--pulses N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

N_PULSES = 90_000


def _columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    within = np.arange(n) % 1800
    return dict(
        timestamp=np.arange(n) * 0.02,
        intensity_in_percent_mso=np.full(n, 45.0),
        di_dt_in_a_per_us=rng.normal(72.0, 0.5, n),
        session=(np.arange(n) // 1800).astype(np.int64),
        train_number=(within // 30).astype(np.int32),
        burst_number=((within // 3) % 10).astype(np.int32),
        pulse_number=(within % 3).astype(np.int32),
        artifact_window_in_s=np.tile([-0.001, 0.025], (n, 1)),
    )


def bench_ndx_tms(path: Path, n: int) -> tuple[float, float]:
    import datetime as dt

    from ndx_tms import TMSExperimentMetadata, TMSPulsesTable, add_tms_tables
    from ndx_tms import testing as mock
    from pynwb import NWBHDF5IO, NWBFile

    nwbfile = NWBFile(session_description="bench", identifier="bench",
                      session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    coil = mock.add_mock_tms_devices(nwbfile)
    space = mock.mock_TMSCoordinateSpace()
    thresholds = mock.mock_TMSThresholdsTable()
    protocols = mock.mock_TMSProtocolsTable(thresholds=thresholds)
    targets = mock.mock_TMSTargetsTable(coordinate_space=space)
    cols = _columns(n)
    sessions = mock.mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=-(-n // 1800))
    t0 = time.perf_counter()
    table = TMSPulsesTable(description="bench", target_tables={"protocol": protocols, "target": targets,
                                                               "session": sessions})
    table.add_pulses(protocol=0, target=0, coil=coil, source="trigger_ttl", **cols)
    add_tms_tables(nwbfile, metadata=TMSExperimentMetadata(
        tms_coordinate_spaces=[space], thresholds=thresholds, protocols=protocols, targets=targets,
        coils=table.coils), sessions=sessions, pulses=table)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with NWBHDF5IO(str(path), "r") as io:
        pulses = io.read().events["tms_pulses"]
        for name in pulses.colnames:
            _ = pulses[name].data[:]
    read_s = time.perf_counter() - t0
    return write_s, read_s


def bench_h5py(path: Path, n: int) -> tuple[float, float]:
    cols = _columns(n)
    t0 = time.perf_counter()
    with h5py.File(path, "w") as f:
        group = f.create_group("pulses")
        for name, values in cols.items():
            group.create_dataset(name, data=values)
        group.create_dataset("protocol", data=np.zeros(n, dtype=np.int64))
        group.create_dataset("target", data=np.zeros(n, dtype=np.int64))
        group.create_dataset("coil", data=np.zeros(n, dtype=np.int64))
        group.create_dataset("source", data=np.array(["trigger_ttl"] * n, dtype=h5py.string_dtype()))
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        for name in f["pulses"]:
            _ = f["pulses"][name][:]
    read_s = time.perf_counter() - t0
    return write_s, read_s


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulses", type=int, default=N_PULSES)
    args = parser.parse_args(argv)
    n = args.pulses
    with tempfile.TemporaryDirectory() as tmp:
        ours_w, ours_r = bench_ndx_tms(Path(tmp) / "ndx.nwb", n)
        base_w, base_r = bench_h5py(Path(tmp) / "plain.h5", n)
    print(f"ndx-tms pulses table, {n:,} pulses (bulk add_pulses + NWBHDF5IO)")
    print(f"  write+build: {n / ours_w:12,.0f} rows/s ({ours_w:.2f} s)   plain h5py: {n / base_w:12,.0f} rows/s "
          f"({base_w:.2f} s)   ratio {base_w / ours_w:.2f}x of h5py speed")
    print(f"  read back:   {n / ours_r:12,.0f} rows/s ({ours_r:.2f} s)   plain h5py: {n / base_r:12,.0f} rows/s "
          f"({base_r:.2f} s)   ratio {base_r / ours_r:.2f}x of h5py speed")


if __name__ == "__main__":
    main()
