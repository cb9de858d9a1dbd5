"""``nwbtms report DIR -o study.html``: the study page of the planted study (nwbtms.spines.testing), its session
pages, --jobs equal to serial, --overwrite semantics, and the page in headless Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from nwbtms.cli import main
from tests.photometry_tools import write_photometry_day
from tests.report.test_browser import CHROMIUM, chromium, console_lines

SECTION_IDS = ["study-design", "study-turnover", "study-behavior", "study-photometry", "study-sessions"]


def _run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
        if values.get("id"):
            self.ids.append(values["id"])


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _write_photometry_session(path):
    """An aiTBS day of subject M001 (stress, aiTBS) with pulses and one IT fiber (470 and 405 nm signals)
    recorded by pyPhotometry, converted with the nwbtms photometry builders."""
    from ndx_tms.testing import mock_tms_nwbfile

    from nwbtms.nwb.design import build_study_design
    from nwbtms.nwb.entries import StudyDesignEntry

    nwbfile = mock_tms_nwbfile(with_imaging=False)
    design = StudyDesignEntry(condition=(("stress", "yes"), ("stimulation", "aiTBS")))
    nwbfile.add_lab_meta_data(build_study_design(design, session_start_time=nwbfile.session_start_time))
    write_photometry_day(path, nwbfile, n_pulses=30)


@pytest.fixture(scope="module")
def pages(study, tmp_path_factory):
    """The planted study plus a photometry day of a fourth mouse; its study page written serially and with
    --jobs 2 (validation off: the session page tests cover it)."""
    import shutil

    out = tmp_path_factory.mktemp("study-page")
    folder = out / "study"
    shutil.copytree(study, folder)
    (folder / "sub-M001").mkdir()
    _write_photometry_session(folder / "sub-M001" / "sub-M001_ses-aitbs-day1.nwb")
    for name, extra in (("serial", []), ("jobs2", ["--jobs", "2"])):
        with pytest.raises(SystemExit) as info:
            main(["-q", "report", str(folder), "-o", str(out / name / "study.html"), "--no-validate", *extra])
        assert info.value.code == 0
    return out


def test_sections_links_and_planted_numbers(pages, study):
    page = pages / "serial" / "study.html"
    html = page.read_text(encoding="utf-8")
    parsed = _parse(html)
    assert all(f"{sid}-section" in parsed.ids for sid in SECTION_IDS)
    # the design table: subjects x factors x sessions, each session linked to its page, every link resolving
    session_links = [h for h in parsed.hrefs if not h.startswith("#")]
    assert len(session_links) == 2 * 13  # design table and the session list
    for href in session_links:
        target = page.parent / unquote(href)
        assert target.is_file(), href
        assert target.resolve().is_relative_to((page.parent / "study_sessions").resolve())
    assert (page.parent / "study_sessions" / "sub-M2" / "sub-M2_ses-day11.html").is_file()
    assert re.search(r"<td>M2</td><td>sham</td><td>yes</td><td>PT</td>", html)
    # turnover per cell type x condition: PT sham day4 -> day11 gained 2, lost 1 (one subject, M2)
    assert re.search(r"<td>PT</td><td>stimulation=sham, stress=yes</td><td>day4</td><td>day11</td><td>7.03</td>"
                     r"<td>1</td><td>6</td><td>7</td><td>2</td><td>1</td>", html)
    assert re.search(r"<td>IT</td><td>stimulation=aiTBS, stress=yes</td><td>day0</td><td>day2</td><td>2.01</td>"
                     r"<td>2</td><td>19</td><td>19</td><td>4</td><td>4</td>", html)
    # behaviour per condition: tail suspension before aiTBS, M1 150 s and M3 160 s -> 155 +/- 5 (each subject's
    # tests are in all four of its files and counted once)
    assert re.search(r"<td>tail_suspension</td><td>immobility_s</td><td>s</td><td>pre</td>"
                     r"<td>stimulation=aiTBS, stress=yes</td><td>2</td><td>155</td><td>5</td><td>M1, M3</td>", html)
    # photometry per cell type: M001's IT fiber, its 470 nm and 405 nm signals aligned to the onset of its one
    # iTBS train (30 pulses), the alignment named
    assert re.search(r"<td>IT</td><td>470</td><td>stimulation=aiTBS, stress=yes</td><td>1</td><td>1</td>"
                     r"<td>1</td><td>train onsets</td><td>dF/F</td>", html)
    assert "M001/aitbs-day1/mos_it" in html
    assert html.count("data:image/png;base64,") == 3  # turnover, behaviour and photometry figures, embedded


def test_jobs_2_writes_the_same_pages(pages):
    serial, parallel = pages / "serial", pages / "jobs2"
    assert (parallel / "study.html").read_text() == (serial / "study.html").read_text()
    names = sorted(p.relative_to(serial).as_posix() for p in serial.rglob("*.html"))
    assert names == sorted(p.relative_to(parallel).as_posix() for p in parallel.rglob("*.html"))
    assert len(names) == 14


def test_existing_pages_are_refused_without_overwrite_and_a_bad_file_is_listed(study, tmp_path, capsys):
    import shutil

    shutil.copytree(study / "sub-M2", tmp_path / "in" / "sub-M2")
    study = tmp_path / "in"
    (study / "broken.nwb").write_text("not HDF5")
    target = tmp_path / "study.html"
    page = tmp_path / "study_sessions" / "sub-M2" / "sub-M2_ses-day0.html"
    page.parent.mkdir(parents=True)
    page.write_text("mine")
    code, _, err = _run(capsys, "report", str(study), "-o", str(target), "--no-validate")
    assert code == 2 and "exists" in err and "Traceback" not in err
    assert page.read_text() == "mine" and not target.exists()
    code, _, err = _run(capsys, "report", str(study), "-o", str(target), "--no-validate", "--jobs", "1",
                        "--overwrite")
    assert code == 0, err
    assert page.read_text().startswith("<!DOCTYPE html>") and target.is_file()
    assert not list(tmp_path.rglob(".*partial*"))
    # the unreadable file is named with its reason, on stderr and in the session list; the others are drawn
    assert "broken.nwb" in err and "not a readable NWB" in err
    assert re.search(r"<td>broken.nwb</td><td>-</td><td>[^<]*not a readable NWB", target.read_text())
    assert not (tmp_path / "study_sessions" / "broken.html").exists()
    code, _, err = _run(capsys, "report", str(page), "-o", str(tmp_path / "x.html"), "--jobs", "2")
    assert code == 2 and "folder" in err


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_study_page_and_a_linked_session_page_load_in_headless_chromium(pages, tmp_path):
    page = pages / "serial" / "study.html"
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    marker = re.search(r'data-images-loaded="([^"]*)"', result.stdout)
    assert marker and marker.group(1) == "ok", result.stderr[-2000:]
    assert re.search(r'data-image-count="3"', result.stdout)
    assert all(f'id="{sid}-section"' in result.stdout for sid in SECTION_IDS)
    assert console_lines(result.stderr) == []
    linked = page.parent / unquote(next(h for h in _parse(page.read_text()).hrefs if not h.startswith("#")))
    result = chromium(linked, tmp_path / "profile2", "--dump-dom")
    marker = re.search(r'data-images-loaded="([^"]*)"', result.stdout)
    assert marker and marker.group(1) == "ok", result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    assert 'id="fig-spines-section"' in result.stdout


def test_long_responses_are_binned_to_a_small_summary():
    import numpy as np

    from nwbtms.report.study_reader import MAX_RESPONSE_SAMPLES, _binned

    values = np.arange(2500.0)
    values[3] = np.nan
    binned = _binned(values)
    assert binned.size <= MAX_RESPONSE_SAMPLES and binned[0] == 1.0 and binned[1] == 4.5 and binned[-1] == 2499.0
    assert _binned(np.arange(10.0)).size == 10


def test_study_page_resumes_from_a_ledger(study, tmp_path, capsys):
    """``--ledger DIR``: unchanged files come from the ledger (a planted edit of one entry shows on the page) and
    their pages are not drawn again, except a page that went missing."""
    import json
    import shutil

    folder = tmp_path / "in"
    for day in ("day0", "day2"):
        (folder / "sub-M2").mkdir(parents=True, exist_ok=True)
        shutil.copy2(study / "sub-M2" / f"sub-M2_ses-{day}.nwb", folder / "sub-M2")
    target, ledger = tmp_path / "study.html", tmp_path / "ledger"
    argv = ["-q", "report", str(folder), "-o", str(target), "--no-validate", "--ledger", str(ledger), "--overwrite"]
    code, _, err = _run(capsys, *argv)
    assert code == 0, err
    entry = next(ledger.glob("sub-M2_ses-day2-*.json"))
    record = json.loads(entry.read_text())
    record["result"]["rois"]["session_id"] = "day2-from-ledger"
    entry.write_text(json.dumps(record))
    pages = tmp_path / "study_sessions" / "sub-M2"
    kept = (pages / "sub-M2_ses-day2.html").stat().st_mtime_ns
    (pages / "sub-M2_ses-day0.html").unlink()
    code, _, err = _run(capsys, *argv)
    assert code == 0, err
    assert "day2-from-ledger" in target.read_text()
    assert (pages / "sub-M2_ses-day2.html").stat().st_mtime_ns == kept
    assert (pages / "sub-M2_ses-day0.html").is_file()
