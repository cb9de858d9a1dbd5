"""Cross-file checks: each planted inconsistency is caught and reported with both files."""

from __future__ import annotations

import datetime as dt

import pytest

from nwbtms.spines.consistency import find_inconsistencies, natural_key
from nwbtms.spines.read import read_session_rois
from nwbtms.spines.testing import DendriteDay, SessionSpec, dandi_path, study_specs, write_study
from nwbtms.validate import validate_paths
from nwbtms.validate.cross_file import cross_file_hits

T0 = dt.datetime(2026, 2, 2, 10, tzinfo=dt.UTC)


def _day(subject_id, session, offset, dendrites, **kwargs):
    return SessionSpec(subject_id, session, T0 + dt.timedelta(days=offset), dendrites, **kwargs)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    d1 = lambda spines, **kw: DendriteDay("n1:d1", "IT", 30.0, spines, soma="n1", **kw)  # noqa: E731
    specs = [
        _day("M1", "day0", 0, [d1(["a1", "a2", "a3"]), DendriteDay("n1:d2", "IT", 20.0, ["b1"], soma="n1"),
                               DendriteDay("n1:d7", "IT", 15.0, ["z1"], soma="n1")]),
        # a2 becomes a dendrite (kind), a3 moves to n1:d2 (parent), z1 kept though n1:d7 was not traced
        _day("M1", "day2", 2, [d1(["a1", "a2"]), DendriteDay("n1:d2", "IT", 20.0, ["b1", "a3"], soma="n1")],
             kinds={"a2": "dendrite"}, orphan_spines={"z1": "n1:d7"}),
        _day("M2", "day0", 0, [DendriteDay("n2:d9", "IT", 10.0, [], soma="n2")]),
        # the dendrite is PT today (cell type), the mouse is female today (subject), identifier of M2 day0
        _day("M2", "day2", 2, [DendriteDay("n2:d9", "PT", 10.0, [], soma="n2")], subject={"sex": "F"},
             identifier="M2-day0"),
        # day2 was imaged before day0 (order)
        _day("M3", "day0", 5, [DendriteDay("n3:d1", "PT", 10.0, ["c1"], soma="n3")]),
        _day("M3", "day2", 0, [DendriteDay("n3:d1", "PT", 10.0, ["c1"], soma="n3")], identifier="M3-day0"),
    ]
    write_study(root, specs)
    return root


def _file(root, subject, session):
    return str(dandi_path(root, subject, session))


def test_each_planted_inconsistency_names_both_files(planted):
    findings = [(path, hit) for path, hit in cross_file_hits(sorted(str(p) for p in planted.rglob("*.nwb")))]
    by_id = {}
    for path, hit in findings:
        by_id.setdefault(hit.check.id, []).append((path, hit.message))
    m1_0, m1_2 = _file(planted, "M1", "day0"), _file(planted, "M1", "day2")
    m2_0, m2_2 = _file(planted, "M2", "day0"), _file(planted, "M2", "day2")
    m3_0, m3_2 = _file(planted, "M3", "day0"), _file(planted, "M3", "day2")
    expected = {
        "data.rois.kind_consistent": (m1_2, m1_0, "'a2'"),
        "data.rois.parent_consistent": (m1_2, m1_0, "'a3'"),
        "data.rois.cell_type_consistent": (m2_2, m2_0, "'n2:d9'"),
        "data.rois.spine_dendrite_present": (m1_2, m1_0, "'z1'"),
        "dandi.subject_consistent": (m2_2, m2_0, "sex"),
        "dandi.session_order": (m3_0, m3_2, "'day0'"),
    }
    for check_id, (path, other, text) in expected.items():
        hits = [m for p, m in by_id.get(check_id, []) if p == path and other in m and text in m]
        assert hits, (check_id, findings)
    assert set(by_id) == set(expected)  # nothing else (the soma n2 takes its dendrite's cell type: 2 hits)
    assert len(by_id["data.rois.cell_type_consistent"]) == 2


def test_validator_reports_cross_file_findings_on_a_folder(planted):
    report = validate_paths([planted / "sub-M3"], profile="dandi", fast=True)
    m3_0, m3_2 = _file(planted, "M3", "day0"), _file(planted, "M3", "day2")
    order = [f for f in report.findings if f.check_id == "dandi.session_order"]
    assert [f.file for f in order] == [m3_0] and m3_2 in order[0].message
    identifiers = [f for f in report.findings if f.check_id == "dandi.identifier_unique"]
    assert {f.file for f in identifiers} == {m3_0, m3_2}
    assert report.exit_code == 1


def test_consistent_study_has_no_cross_file_finding(tmp_path):
    paths = write_study(tmp_path, [s for s in study_specs() if s.subject_id == "M2"])
    assert find_inconsistencies([read_session_rois(p) for p in paths]) == []


def test_natural_session_order():
    assert sorted(["day11", "day2", "day0"], key=natural_key) == ["day0", "day2", "day11"]


def test_the_workers_read_the_cross_file_facts(planted):
    """Each file's facts come back with its result (read by the worker that validated it, kept in the resume
    ledger), and the cross-file findings from them are the ones of reading the files again."""
    import json

    from nwbtms.validate.cross_file import file_facts
    from nwbtms.validate.findings import FileResult

    report = validate_paths([planted / "sub-M1"], profile="dandi", fast=True)
    facts = {r.path: r.cross_file for r in report.files}
    assert all(f is not None and f["rois"]["path"] == path for path, f in facts.items())
    same = lambda a, b: json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # noqa: E731 (NaN ROI values)
    assert same([FileResult.from_record(r.to_record()).cross_file for r in report.files], list(facts.values()))
    assert "cross_file" not in report.files[0].to_dict()  # not part of the JSON report
    paths = sorted(facts)
    assert cross_file_hits(paths, facts) == cross_file_hits(paths)
    assert same(facts[paths[0]], file_facts(paths[0]))
