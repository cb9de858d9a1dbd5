"""The demo's raw files (examples/aitbs_mouse generator), once per test session, for the NeuroConv tests."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("neuroconv", reason="the nwbtms[neuroconv] extra is not installed")

from examples.aitbs_mouse.generator import ExampleParameters, generate  # noqa: E402

#: One iTBS-600 session and a short movie (more frames than pixels a side: time is the longest axis, as NWB
#: Inspector expects): small, and every reader still has real work.
DEMO = ExampleParameters(sessions=1, num_frames=48, frame_size=32)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The generated demo's ``session.yaml`` (raw files under ``raw/`` beside it)."""
    return generate(tmp_path_factory.mktemp("neuroconv-demo"), DEMO)


@pytest.fixture(scope="session")
def reference(demo, tmp_path_factory) -> Path:
    """What ``nwbtms convert`` writes from the demo (the file NeuroConv conversions are compared with)."""
    from nwbtms import convert_session

    out = tmp_path_factory.mktemp("neuroconv-reference") / "nwbtms.nwb"
    convert_session(demo, out, quiet=True, validate=False)
    return out
