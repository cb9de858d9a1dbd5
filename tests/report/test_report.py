"""Tests of nwbtms.report: the page of real NWB files, its figures, and absent data."""

from __future__ import annotations

import base64
import io
import re
import shutil
from dataclasses import dataclass

import h5py
import numpy as np
import pytest
from PIL import Image

from nwbtms.errors import InputError, OutputExistsError
from nwbtms.report import FIGURES, build, render_report, write_report
from nwbtms.report import reader as report_reader
from nwbtms.report.figures import figure_png, roi_map, validation_summary
from nwbtms.report.html import Section
from nwbtms.report.reader import NwbFile, read_roi_maps, summarise_pulses
from nwbtms.report.validation import finding_place, run_validation

#: the ndx-tms mock has no keyed spines, so no spines-across-days figure (tests/report/test_spines_section.py)
DRAWN_FROM_MOCK = [fig_id for fig_id, _ in FIGURES if fig_id not in ("fig-validation", "fig-spines")]
IMG = re.compile(r'<figure id="([\w-]+)"><img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def embedded_pngs(page: str) -> dict[str, bytes]:
    """Figure id -> decoded PNG bytes of every embedded image."""
    return {fig_id: base64.b64decode(data) for fig_id, data in IMG.findall(page)}


def assert_png(data: bytes) -> tuple[int, int]:
    """Decode ``data`` fully as PNG and return its size."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    assert image.width > 100 and image.height > 100
    return image.size


def test_report_of_mock_file_has_every_figure(mock_report):
    report = mock_report
    assert report.errors == []
    pngs = embedded_pngs(report.html)
    for fig_id in DRAWN_FROM_MOCK:
        assert f'id="{fig_id}"' in report.html
        assert fig_id in pngs, fig_id
        assert_png(pngs[fig_id])
    assert 'id="fig-validation-section"' in report.html
    assert "Validation was not run" in report.html
    # Header facts.
    for text in ("M001", "aitbs-day1", "itbs_600", "MagPro X100", "ndx-tms version", "0.1.0", "stimulator"):
        assert text in report.html, text
    # The reconciliation table names where the dropped pulse sits.
    assert "train 12, burst 4: 1 pulse missing" in report.html


def test_page_is_self_contained(mock_report):
    page = mock_report.html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    sources = re.findall(r'<img src="([^"]{0,30})', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


def test_validation_of_the_clean_mock_file_is_drawn(mock_nwb):
    """The validator runs on the page's file; its findings (no critical one here) get a figure and a table."""
    report = render_report(mock_nwb, validate=True, quiet=True)
    assert report.errors == []
    assert_png(report.figures["fig-validation"])
    section = next(s for s in report.sections if s.fig_id == "fig-validation")
    table = "".join(section.extra_html)
    rows = re.findall(r"<tr><td>(\w+)</td><td>([\w.]+)</td><td>([^<]+)</td>", table)
    assert rows, "the mock file has notes and suggestions; each is listed with its place"
    assert {severity for severity, _, _ in rows} <= {"best_practice_suggestion", "info"}
    assert "tms.pulses.ascending" not in table


def test_planted_finding_is_shown_by_severity_with_its_place(mock_nwb, tmp_path):
    """A pulse time going backwards deep in the table: critical, placed at its row, listed first."""
    planted = tmp_path / "planted.nwb"
    shutil.copyfile(mock_nwb, planted)
    with h5py.File(planted, "r+") as f:
        stamps = f["events/tms_pulses/timestamp"]
        stamps[1500] = stamps[1499] - 0.5
    section = Section("fig-validation", "8. Validation summary")
    fig = build._validation(planted, True, section)
    severity_axis, place_axis = fig.axes
    severities = [t.get_text() for t in severity_axis.get_yticklabels()]
    places = [t.get_text() for t in place_axis.get_yticklabels()]
    assert severities[0] == "critical"
    assert places[0] == "/events/tms_pulses/timestamp[1500]"
    assert any(t.get_text().strip() == "tms.pulses.ascending" for t in place_axis.texts)
    assert_png(figure_png(fig))
    table = "".join(section.extra_html)
    assert "<td>critical</td><td>tms.pulses.ascending</td><td>/events/tms_pulses/timestamp[1500]</td>" in table


def test_validator_failure_never_fails_the_page(tmp_path):
    broken = tmp_path / "broken.nwb"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n broken")
    outcome = run_validation(broken)
    assert outcome.findings is not None or outcome.unavailable


def test_validation_figure_from_findings():
    @dataclass
    class Finding:
        check_id: str
        severity: str
        message: str
        location: str

    findings = [
        Finding("tms.a", "error", "bad", "/events/tms_pulses"),
        Finding("tms.b", "warning", "odd", "/x"),
        Finding("tms.c", "error", "bad", "/y"),
    ]
    fig = validation_summary(findings)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["error", "warning"]
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["/events/tms_pulses", "/y", "/x"]
    assert_png(figure_png(fig))
    assert_png(figure_png(validation_summary([])))


def test_finding_place_falls_back_to_the_object_in_the_message():
    @dataclass
    class Finding:
        message: str
        location: str | None = None
        index: int | None = None

    assert finding_place(Finding("x", "/a/b", 3)) == "/a/b[3]"
    assert finding_place(Finding("TMSCoilsTable coils: only one row")) == "TMSCoilsTable coils"
    assert finding_place(Finding("no object named")) == "(whole file)"


def test_file_without_imaging_still_gives_a_page(no_imaging_nwb):
    report = render_report(no_imaging_nwb, validate=False)
    assert report.errors == []
    pngs = embedded_pngs(report.html)
    assert {"fig-stimulation", "fig-intensity", "fig-protocol"} <= set(pngs)
    for data in pngs.values():
        assert_png(data)
    assert "No imaging series" in report.html
    assert "No PlaneSegmentation" in report.html
    assert "No TMSClockAlignment" in report.html


def test_file_without_pulses_still_gives_a_page(no_pulses_nwb):
    report = render_report(no_pulses_nwb, validate=False)
    assert report.errors == []
    assert "No TMS pulses in this file" in report.html
    assert "No TMSReconciliationTable" in report.html
    assert embedded_pngs(report.html) == {}
    assert report.html.rstrip().endswith("</html>")


def test_roi_kinds_and_parents_are_read_and_drawn(kinds_nwb):
    with NwbFile(kinds_nwb) as nwb:
        (plane,) = read_roi_maps(nwb)
    assert plane.has_kind
    assert [r.kind for r in plane.rois] == ["soma", "soma", "spine", "dendrite", "spine"]
    assert [r.parent for r in plane.rois] == [-1, -1, 0, 0, 3]
    assert [r.cell_type for r in plane.rois] == ["IT", "PT", "IT", "IT", "IT"]
    assert_png(figure_png(roi_map([plane])))


def test_pulse_summary_is_the_same_for_any_block_size(mock_nwb, monkeypatch):
    with NwbFile(mock_nwb) as nwb:
        whole = summarise_pulses(nwb)
        monkeypatch.setattr(report_reader, "CHUNK_ROWS", 97)
        streamed = summarise_pulses(nwb)
    assert streamed.n_pulses == whole.n_pulses == 1799
    assert [s.count for s in streamed.sessions] == [600, 600, 599]
    assert streamed.occupancy.sum() == 1799
    np.testing.assert_array_equal(streamed.occupancy, whole.occupancy)
    np.testing.assert_allclose(streamed.intensity_mean, whole.intensity_mean, equal_nan=True)
    np.testing.assert_array_equal(streamed.zoom_train_s, whole.zoom_train_s)
    assert streamed.zoom_train_s.size == 30 and streamed.zoom_burst_s.size == 3
    np.testing.assert_allclose(streamed.zoom_burst_s, [0.0, 0.02, 0.04])


def test_extra_pulses_are_found_where_they_sit(tmp_path):
    """A pulse whose scheduled time is NaN is extra; it is reported in its session at its time."""
    from ndx_tms.testing import mock_tms_nwbfile

    from nwbtms.io.nwb_write import write_nwbfile

    path = write_nwbfile(mock_tms_nwbfile(with_imaging=False), tmp_path / "extra.nwb")
    with h5py.File(path, "r+") as f:
        f["events/tms_pulses/scheduled_time_in_s"][700] = np.nan
    with NwbFile(path) as nwb:
        summary = summarise_pulses(nwb)
    assert summary.n_extra == 1
    assert summary.extra_session.tolist() == [1]
    # Pulse 700 is pulse 100 of session 1: train 3, burst 3, pulse 1.
    np.testing.assert_allclose(summary.extra_rel_s, [3 * 10.0 + 3 * 0.2 + 0.02], atol=1e-9)


def test_write_report_png_dir_and_overwrite(mock_nwb, tmp_path):
    out = tmp_path / "report.html"
    png_dir = tmp_path / "figures"
    report = write_report(mock_nwb, out, png_dir=png_dir, validate=False)
    assert out.read_text(encoding="utf-8") == report.html
    written = sorted(p.name for p in png_dir.iterdir())
    assert written == sorted(f"{fig_id}.png" for fig_id in report.figures)
    for fig_id in DRAWN_FROM_MOCK:
        assert_png((png_dir / f"{fig_id}.png").read_bytes())
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_existing_output_needs_overwrite(no_pulses_nwb, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("keep me")
    with pytest.raises(OutputExistsError):
        write_report(no_pulses_nwb, out, validate=False)
    assert out.read_text() == "keep me"
    png_dir = tmp_path / "png"
    png_dir.mkdir()
    (png_dir / "fig-stimulation.png").write_bytes(b"old")
    with pytest.raises(OutputExistsError):
        write_report(no_pulses_nwb, None, png_dir=png_dir, validate=False)
    write_report(no_pulses_nwb, out, validate=False, overwrite=True)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_non_nwb_inputs_are_refused(tmp_path):
    text = tmp_path / "notes.nwb"
    text.write_text("not hdf5")
    with pytest.raises(InputError, match="not an HDF5"):
        render_report(text)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(InputError, match="not NWB"):
        render_report(plain)


def test_sham_sessions_are_marked(mock_nwb, tmp_path):
    from nwbtms.report.figures import SHAM, stimulation_overview

    sham = tmp_path / "sham.nwb"
    shutil.copyfile(mock_nwb, sham)
    with h5py.File(sham, "r+") as f:
        f["intervals/tms_sessions/sham"][2] = True
    with NwbFile(sham) as nwb:
        summary = summarise_pulses(nwb)
    assert [s.sham for s in summary.sessions] == [False, False, True]
    raster = stimulation_overview(summary).axes[0]
    ticks = raster.get_yticklabels()
    assert ticks[2].get_text().endswith(" sham") and ticks[2].get_color() == SHAM
    assert not ticks[0].get_text().endswith("sham")
    assert raster.get_title().endswith(", 1 sham")


#: Labels of axes whose values have no unit (categories or fractions).
UNITLESS_LABELS = {"stimulation session", "session (onset after the first)", "masked fraction"}
UNIT = re.compile(r"\((s|ms|min|h|%MSO|A/\u00b5s|\u00b5s|count|pixels)\)")


def test_every_axis_is_labelled_with_its_unit(mock_nwb):
    from nwbtms.report import figures
    from nwbtms.report.reader import read_clock_alignments, read_imaging_timelines, read_reconciliation

    with NwbFile(mock_nwb) as nwb:
        summary = summarise_pulses(nwb)
        drawn = {
            "stimulation": figures.stimulation_overview(summary),
            "intensity": figures.intensity_course(summary),
            "protocol": figures.protocol_reconciliation(read_reconciliation(nwb), summary),
            "clock": figures.clock_alignment(read_clock_alignments(nwb)),
            "imaging": figures.imaging_timeline(read_imaging_timelines(nwb), summary),
            "roi": figures.roi_map(read_roi_maps(nwb)),
        }
    assert summary.has_didt and len(drawn["intensity"].axes) == 2  # dI/dt panel where recorded
    for name, fig in drawn.items():
        labels = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
        labels = [label for label in labels if label]
        assert any(UNIT.search(label) for label in labels), name
        for label in labels:
            assert UNIT.search(label) or label in UNITLESS_LABELS, (name, label)
    assert "RMS" in drawn["clock"].axes[0].get_title()
    assert "frames masked" in drawn["imaging"].axes[0].get_title(loc="left")
