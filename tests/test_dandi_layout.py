"""DANDI layout paths: sanitised IDs never add folder levels or leave the output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nwbtms.dandi_layout import dandi_path, dandi_relative_path, sanitize_id
from nwbtms.errors import InputError


def test_layout():
    assert dandi_relative_path("M001", "aitbs-day1") == Path("sub-M001/sub-M001_ses-aitbs-day1.nwb")
    assert dandi_relative_path("mouse_01", "day 1/2") == Path("sub-mouse-01/sub-mouse-01_ses-day-1-2.nwb")


def test_nothing_usable_is_an_error():
    with pytest.raises(InputError):
        sanitize_id("//..", what="subject_id")


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_sanitised_paths_stay_inside(subject, session):
    try:
        relative = dandi_relative_path(subject, session)
    except InputError:
        return
    assert len(relative.parts) == 2 and ".." not in relative.parts
    assert all(c.isascii() and (c.isalnum() or c in "-_./") for c in str(relative))


def test_dandi_path_creates_subject_folder(tmp_path):
    path = dandi_path(tmp_path, "M 1", "s1")
    assert path.parent.is_dir() and path.parent.name == "sub-M-1"
