"""The synthetic 4-day IT/PT study with planted spine gains and losses (:mod:`nwbtms.spines.testing`)."""

from __future__ import annotations

import pytest

from nwbtms.spines.testing import study_specs, write_study


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """The study in DANDI layout, with condition factors and behaviour (written once per test session)."""
    root = tmp_path_factory.mktemp("study")
    write_study(root, study_specs(with_design=True))
    return root
