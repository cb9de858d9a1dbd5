"""Fixtures over the imaging test writers of :mod:`nwbtms.sources.imaging.testing`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nwbtms.sources.imaging.testing import write_scanimage


@pytest.fixture
def scanimage_writer(tmp_path: Path) -> Callable[..., list[Path]]:
    """``scanimage_writer(**kwargs)`` writes an acquisition into ``tmp_path`` and returns its files."""

    def write(**kwargs) -> list[Path]:
        return write_scanimage(tmp_path, **kwargs)

    return write


@pytest.fixture(scope="session")
def write_scanimage_to() -> Callable[..., list[Path]]:
    """:func:`write_scanimage` itself: ``write_scanimage_to(folder, **kwargs)`` (for hypothesis tests)."""
    return write_scanimage
