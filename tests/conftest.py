"""Shared fixtures: the real instrument files in ../shared/realdata, and small helpers."""

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
