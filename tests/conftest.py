"""Shared fixtures: the real instrument files in ../shared/realdata, the planted multi-day study, and small helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata`` (files written by the instruments); skips when absent (outside team CI)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real instrument files not found at {REALDATA} (outside the team's CI)")
    return REALDATA


@pytest.fixture(scope="session")
def study(tmp_path_factory) -> Path:
    """The planted multi-day study of :mod:`nwbtms.spines.testing` in DANDI layout, with condition factors and
    behaviour (written once per test session; the spines tests and the study page read it)."""
    from nwbtms.spines.testing import study_specs, write_study

    root = tmp_path_factory.mktemp("study")
    write_study(root, study_specs(with_design=True))
    return root
