"""The vectorised pulse path: same content as add_row, broadcasting, optional columns, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from ndx_tms import TMSPulsesTable, TMSValueError
from ndx_tms.testing import (
    mock_tms_nwbfile,
    mock_TMSCoil,
    mock_TMSProtocolsTable,
    mock_TMSSessionsTable,
    mock_TMSTargetsTable,
)
from pynwb import NWBHDF5IO


@pytest.fixture
def parts():
    return mock_TMSProtocolsTable(), mock_TMSTargetsTable(), mock_TMSCoil(name="coil")


def _table(parts):
    protocols, targets, _ = parts
    sessions = mock_TMSSessionsTable(protocols=protocols, targets=targets, sessions=1)
    return TMSPulsesTable(description="pulses",
                          target_tables={"protocol": protocols, "target": targets, "session": sessions})


def _columns(coil, n=5, offset=0.0):
    return dict(
        timestamp=offset + np.arange(n) * 0.02, protocol=0, target=0, coil=coil,
        intensity_in_percent_mso=np.full(n, 45.0), di_dt_in_a_per_us=np.full(n, np.nan), source="trigger_ttl",
        session=0, train_number=0, burst_number=np.arange(n) // 3, pulse_number=np.arange(n) % 3,
        artifact_window_in_s=(-0.001, 0.01),
    )


def test_add_pulses_matches_add_row(parts):
    coil = parts[2]
    bulk = _table(parts)
    bulk.add_pulses(**_columns(coil))
    rowwise = _table(parts)
    cols = _columns(coil)
    for i in range(5):
        rowwise.add_row(**{k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in cols.items()})
    for name in bulk.colnames:
        a, b = bulk[name].data, rowwise[name].data
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert bulk.coils["device"][0] is coil and len(bulk.coils) == 1
    assert list(bulk.id.data) == list(range(5))


def test_add_pulses_appends_and_keeps_ids(parts):
    table = _table(parts)
    table.add_pulses(**_columns(parts[2], n=4))
    table.add_pulses(**_columns(parts[2], n=3, offset=10.0))
    assert len(table) == 7
    assert list(table.id.data) == list(range(7))
    assert table["timestamp"][4] == 10.0


def test_optional_columns_only_on_first_call(parts):
    table = _table(parts)
    table.add_pulses(**_columns(parts[2]), scheduled_time_in_s=np.arange(5) * 0.02)
    assert "scheduled_time_in_s" in table.colnames
    with pytest.raises(TMSValueError, match="give them on the first call"):
        table.add_pulses(**_columns(parts[2]), coil_temperature_in_c=np.zeros(5))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"intensity_in_percent_mso": np.array([45, 45, 101, 45, 45.0])}, "first at index 2: 101.0"),
        ({"source": "guess"}, "source: \\['guess'\\] not accepted"),
        ({"artifact_window_in_s": (0.01, -0.001)}, "stop before start"),
        ({"timestamp": np.array([0, 1, np.nan, 3, 4.0])}, "finite time"),
        ({"train_number": np.zeros(4)}, "train_number has shape \\(4,\\), expected \\(5,\\)"),
        ({"session": -1}, "session: row indices must be >= 0"),
        ({"wrong_column": 1}, "'wrong_column' is not a column"),
        ({"measured_coil_pose": np.stack([np.eye(4)] * 4 + [np.diag([1, 1, -1, 1.0])])},
         "measured_coil_pose of pulse 4: pose rotation is left-handed"),
    ],
)
def test_add_pulses_errors(parts, override, message):
    with pytest.raises(TMSValueError, match=message):
        _table(parts).add_pulses(**{**_columns(parts[2]), **override})


def test_coils_are_stored_once_and_referenced_by_row(parts):
    from ndx_tms.testing import mock_TMSCoil

    table = _table(parts)
    other = mock_TMSCoil(name="sham_coil")
    table.add_pulses(**{**_columns(parts[2], n=4), "coil": [parts[2], other, parts[2], other]})
    assert table["coil"].data.tolist() == [0, 1, 0, 1]
    assert [c.name for c in table.coils["device"].data] == ["coil", "sham_coil"]
    with pytest.raises(TMSValueError, match="expected a TMSCoil device"):
        table.add_pulses(**{**_columns(parts[2], n=2), "coil": "coil"})


def test_missing_required_column(parts):
    cols = _columns(parts[2])
    del cols["source"]
    with pytest.raises(TMSValueError, match="missing required column\\(s\\) \\['source'\\]"):
        _table(parts).add_pulses(**cols)


def test_bulk_table_writes_and_reads(tmp_path):
    path = tmp_path / "pulses.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(mock_tms_nwbfile(with_imaging=False))
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        pulses = nwbfile.events["tms_pulses"]
        assert pulses["session"].table is nwbfile.intervals["tms_sessions"]
        assert pulses["session"].data[:].tolist()[-1] == 2
        times = pulses["timestamp"][:]
        assert len(times) == 1799
        assert np.all(np.diff(times) > 0)
        assert pulses["artifact_window_in_s"][0].tolist() == [-0.001, 0.025]
        assert pulses["pulse_number"][:6].tolist() == [0, 1, 2, 0, 1, 2]
