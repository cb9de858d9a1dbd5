"""The report of a converted example session: raw files from the example generator, nwbtms.convert_session,
then the page; every figure is drawn from what the conversion wrote."""

from __future__ import annotations

import re

import pytest

from nwbtms.report import FIGURES, render_report
from nwbtms.report.reader import NwbFile, read_clock_alignments, read_imaging_timelines, read_roi_maps

#: Small enough to generate and convert in a few seconds: 2 iTBS sessions (the second misses one pulse,
#: ExampleParameters.dropped_pulse), 120 frames of 64 x 64 covering the first train.
SESSIONS = 2
NUM_FRAMES = 120


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The example session generated and converted once for this module."""
    from examples.aitbs_mouse.generator import ExampleParameters, generate
    from nwbtms import convert_session

    folder = tmp_path_factory.mktemp("example")
    params = ExampleParameters(sessions=SESSIONS, num_frames=NUM_FRAMES, frame_size=64)
    metadata = generate(folder, params)
    result = convert_session(metadata, folder / "example.nwb", quiet=True, validate=False, compression="none")
    return result.output


@pytest.fixture(scope="module")
def example_report(converted):
    return render_report(converted, validate=False, quiet=True)


def test_every_figure_of_the_converted_session_is_drawn(example_report):
    assert example_report.errors == []
    drawn = [fig_id for fig_id, _ in FIGURES if fig_id != "fig-validation"]
    assert sorted(example_report.figures) == sorted(drawn)
    for fig_id in drawn:
        assert re.search(rf'<figure id="{fig_id}"><img src="data:image/png;base64,', example_report.html), fig_id


def test_page_shows_the_sessions_facts_and_the_dropped_pulse(example_report):
    page = example_report.html
    for text in ("M001", "itbs_600", "ndx-tms version", "<dt>size</dt>", "/acquisition/TwoPhotonSeries/data"):
        assert text in page, text
    # ExampleParameters.dropped_pulse: session 1, pulse 12 * 30 + 4 * 3 + 2 (train 12)
    assert "train 12: 1 pulse missing" in page


def test_sections_read_what_the_conversion_wrote(converted):
    with NwbFile(converted) as nwb:
        (plane,) = read_roi_maps(nwb)
        (timeline,) = read_imaging_timelines(nwb)
        fits = read_clock_alignments(nwb)
    # ROI map: soma, dendrite and spines of one IT cell, drawn by kind on a background image
    assert {r.kind for r in plane.rois} == {"soma", "dendrite", "spine"}
    assert {r.cell_type for r in plane.rois} == {"IT"}
    assert plane.image is not None
    # imaging timeline: every frame, some masked around the first train (pulses from 10 s, frames 5-13 s)
    assert timeline.n_frames == NUM_FRAMES
    assert 0 < timeline.n_masked < NUM_FRAMES
    assert timeline.zoom_masked.any()
    # clock alignment: one residual per frame, RMS well under a frame period
    assert fits and fits[0].n_events == NUM_FRAMES
    assert 0 < fits[0].rms_s < 1 / 15
