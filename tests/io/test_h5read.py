"""The h5py read helpers the validator and the report share, on a small file written by h5py."""

from __future__ import annotations

import h5py
import numpy as np

from nwbtms.io.h5read import iter_blocks, link_target, pulse_session_column, ragged_rows, read_text, text


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
