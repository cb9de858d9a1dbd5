"""Fixtures for the validator tests: one complete example file written once per session; broken copies plant
one problem each with h5py (tests/validate/corpus_tools.py), deep in the arrays and tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.validate.corpus_tools import copy_with, write_complete


@pytest.fixture(scope="session")
def complete_nwb(tmp_path_factory) -> Path:
    """A complete, valid NWB file with every ndx-tms type (the 'exits 0' baseline)."""
    path = tmp_path_factory.mktemp("complete") / "complete.nwb"
    write_complete(path)
    return path


@pytest.fixture(scope="session")
def make_copy():
    """``make_copy(source, target, plant)``: a copy of ``source`` with ``plant(h5)`` applied (see copy_with)."""
    return copy_with
