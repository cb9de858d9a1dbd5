"""The h5py read helpers the validator and the report share, on a small file written by h5py."""

from __future__ import annotations

import h5py
import numpy as np

from nwbtms.io.h5read import (
    iter_blocks,
    iter_pulse_sessions,
    iter_rows,
    link_target,
    n_rows,
    pulse_session_column,
    pulse_times_by_session,
    ragged_rows,
    read_text,
    text,
)


def test_text_ragged_rows_blocks_and_links(tmp_path):
    path = tmp_path / "small.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["namespace"] = b"ndx-tms"
        h5["species"] = np.array([b"Mus musculus", b"other"])
        h5["empty"] = np.array([], dtype="S1")
        table = h5.create_group("table")
        table["values"] = np.arange(6.0)
        table["values_index"] = np.array([2, 2, 6])
        table["flat"] = np.arange(3)
        h5["target"] = np.zeros(3)
        h5["alias"] = h5py.SoftLink("/target")
    with h5py.File(path, "r") as h5:
        assert text(h5.attrs["namespace"]) == "ndx-tms" and text(b"\xff") == "\ufffd"
        assert text(np.array([b"a", b"b"])) == "a, b" and text(None) == ""
        assert read_text(h5, "species") == "Mus musculus" and read_text(h5, "empty") == ""
        assert read_text(h5, "missing") is None and read_text(None, "species") is None
        rows = ragged_rows(h5["table"], "values", limit_values=4)
        assert [r.tolist() for r in rows] == [[0.0, 1.0], [], [2.0, 3.0]]
        assert [r.tolist() for r in ragged_rows(h5["table"], "flat", limit_values=10)] == [[0], [1], [2]]
        assert ragged_rows(h5["table"], "absent", limit_values=10) is None
        assert [(start, block.tolist()) for start, block in iter_blocks(h5["table/values"], rows=4)] == [
            (0, [0.0, 1.0, 2.0, 3.0]), (4, [4.0, 5.0])]
        assert link_target(h5, "alias") == "/target" and link_target(h5, "target") == "/target"
    assert pulse_session_column(["timestamp", "session_number"]) == "session_number"
    assert pulse_session_column(["session", "session_number"]) == "session"
    assert pulse_session_column(["timestamp"]) is None


def test_rows_in_blocks_and_pulses_by_session(tmp_path):
    """One block reader for h5py datasets, hdmf wrappers of one and arrays; pulse times with their session rows."""
    path = tmp_path / "pulses.h5"
    with h5py.File(path, "w") as h5:
        h5["timestamp"] = np.arange(7.0)
        h5["session"] = np.array([0, 0, 1, 1, 1, 0, 2])
        h5["frames"] = np.zeros((5, 3, 2))
        h5["scalar"] = 1.0

    class Wrapper:  # as hdmf's StrDataset: the h5py dataset behind it
        def __init__(self, dataset):
            self.dataset = dataset

    with h5py.File(path, "r") as h5:
        blocks = [(start, block.shape) for start, block in iter_rows(h5["frames"], chunk_elements=12)]
        assert blocks == [(0, (2, 3, 2)), (2, (2, 3, 2)), (4, (1, 3, 2))]
        assert n_rows(h5["scalar"]) == 0 and list(iter_blocks(h5["scalar"])) == []
        assert n_rows(Wrapper(h5["timestamp"])) == 7 and n_rows([1, 2]) == 2
        parts = list(iter_pulse_sessions(Wrapper(h5["timestamp"]), h5["session"], chunk_elements=3))
        assert [(start, times.tolist(), rows.tolist()) for start, times, rows in parts] == [
            (0, [0.0, 1.0, 2.0], [0, 0, 1]), (3, [3.0, 4.0, 5.0], [1, 1, 0]), (6, [6.0], [2])]
        grouped = pulse_times_by_session(h5["timestamp"], h5["session"], chunk_elements=2)
    in_memory = pulse_times_by_session(np.arange(7.0), [0, 0, 1, 1, 1, 0, 2])
    for by_session in (grouped, in_memory):
        assert {k: v.tolist() for k, v in by_session.items()} == {0: [0.0, 1.0, 5.0], 1: [2.0, 3.0, 4.0], 2: [6.0]}
