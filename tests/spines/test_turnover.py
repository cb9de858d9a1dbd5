"""Turnover recovers the planted gains and losses exactly, per dendrite, per cell type and across subjects."""

from __future__ import annotations

import math

import pytest

from nwbtms.spines import compute_turnover, read_registry

#: (subject, cell type, from, to) -> n_start, n_end, gained, lost, survival_fraction, density_end_per_um
EXPECTED_POOLED = {
    ("M1", "IT", "day0", "day2"): (10, 11, 3, 2, 8 / 10, 11 / 50),
    ("M1", "IT", "day2", "day4"): (11, 11, 1, 1, 7 / 10, 11 / 50),
    ("M1", "IT", "day4", "day11"): (11, 10, 0, 1, 7 / 10, 10 / 50),
    ("M2", "PT", "day0", "day2"): (8, 8, 1, 1, 7 / 8, 8 / 40),
    ("M2", "PT", "day2", "day4"): (8, 6, 0, 2, 5 / 8, 6 / 40),
    ("M2", "PT", "day4", "day11"): (6, 7, 2, 1, 4 / 8, 7 / 40),
    ("M3", "IT", "day0", "day2"): (9, 8, 1, 2, 7 / 9, 8 / 55),
    ("M3", "IT", "day2", "day4"): (8, 8, 1, 1, 6 / 9, 8 / 55),
    ("M3", "IT", "day4", "day11"): (8, 8, 0, 0, 6 / 9, 8 / 55),
    ("M3", "PT", "day0", "day2"): (6, 6, 0, 0, 1.0, 6 / 20),
    ("M3", "PT", "day2", "day4"): (6, 6, 0, 0, 1.0, 6 / 20),
    ("M3", "PT", "day4", "day11"): (6, 3, 0, 3, 3 / 6, 3 / 20),
}


@pytest.fixture(scope="module")
def result(study):
    return compute_turnover(read_registry(study))


def test_pooled_rows_recover_the_planted_changes_exactly(result):
    pooled = {(r.subject_id, r.cell_type, r.from_session, r.to_session): r for r in result.pooled()}
    assert set(pooled) == set(EXPECTED_POOLED)
    for key, (n_start, n_end, gained, lost, survival, density) in EXPECTED_POOLED.items():
        row = pooled[key]
        assert (row.n_start, row.n_end, row.gained, row.lost) == (n_start, n_end, gained, lost), key
        assert row.formation_rate == pytest.approx(gained / n_start)
        assert row.elimination_rate == pytest.approx(lost / n_start)
        assert row.turnover_ratio == pytest.approx((gained + lost) / (n_start + n_end))
        assert row.survival_fraction == pytest.approx(survival), key
        assert row.density_end_per_um == pytest.approx(density), key
    assert pooled[("M1", "IT", "day4", "day11")].interval_days == pytest.approx(7 + 49 / 1440)


def test_per_dendrite_rows_and_order(result):
    m3 = [r for r in result.rows if r.subject_id == "M3" and r.from_session == "day2"]
    by_dendrite = {r.dendrite_key: r for r in m3}
    assert (by_dendrite["n3:d1"].n_start, by_dendrite["n3:d1"].lost) == (6, 1)
    assert (by_dendrite["n3:d2"].n_end, by_dendrite["n3:d2"].gained) == (3, 1)
    assert by_dendrite["n3:d2"].density_end_per_um == pytest.approx(3 / 25)
    # sessions ordered by start time, not by name ("day11" sorts before "day2" as text)
    assert [r.to_session for r in result.pooled() if r.subject_id == "M1"] == ["day2", "day4", "day11"]


def _sum(subjects, cell_type, a, b):
    """Summed (n_start, n_end, gained, lost) of the planted pooled rows of ``subjects``."""
    rows = [EXPECTED_POOLED[(s, cell_type, a, b)][:4] for s in subjects]
    return tuple(sum(column) for column in zip(*rows, strict=True))


AITBS = "stimulation=aiTBS, stress=yes"
SHAM = "stimulation=sham, stress=yes"
#: (cell type, condition) -> subjects planted in it (nwbtms.spines.testing.CONDITIONS)
GROUPS = {("IT", AITBS): ("M1", "M3"), ("PT", AITBS): ("M3",), ("PT", SHAM): ("M2",)}
PAIRS = [("day0", "day2"), ("day2", "day4"), ("day4", "day11")]


def test_group_summary_per_cell_type_and_condition(result):
    """One row per cell type x condition x day interval, with the planted counts and rates exactly."""
    summary = {(s.cell_type, s.condition_label, s.from_session, s.to_session): s for s in result.summary}
    assert set(summary) == {(*group, *pair) for group in GROUPS for pair in PAIRS}
    assert result.conditions["M2"] == {"stimulation": "sham", "stress": "yes"}
    for (cell_type, condition), subjects in GROUPS.items():
        for a, b in PAIRS:
            row = summary[(cell_type, condition, a, b)]
            assert row.subjects == subjects and row.n_subjects == len(subjects)
            assert tuple(row.counts[k] for k in ("n_start", "n_end", "gained", "lost")) == _sum(subjects, cell_type,
                                                                                                 a, b)
            fractions = [(g + lost) / (n0 + n1) for n0, n1, g, lost in
                         (EXPECTED_POOLED[(s, cell_type, a, b)][:4] for s in subjects)]
            densities = [EXPECTED_POOLED[(s, cell_type, a, b)][5] for s in subjects]
            assert row.mean["turnover_ratio"] == pytest.approx(sum(fractions) / len(fractions))
            assert row.mean["density_end_per_um"] == pytest.approx(sum(densities) / len(densities))
    it = summary[("IT", AITBS, "day0", "day2")]
    assert (it.counts["gained"], it.counts["lost"]) == (4, 4)
    a, b = 3 / 10, 1 / 9
    assert it.mean["formation_rate"] == pytest.approx((a + b) / 2)
    assert it.sem["formation_rate"] == pytest.approx(abs(a - b) / 2)
    assert it.interval_days == pytest.approx(2 + 14 / 1440)
    pt_sham = summary[("PT", SHAM, "day4", "day11")]
    assert pt_sham.mean["elimination_rate"] == pytest.approx(1 / 6) and math.isnan(pt_sham.sem["elimination_rate"])
    json_row = it.as_dict()
    assert json_row["condition"] == {"stimulation": "aiTBS", "stress": "yes"}
    assert set(json_row) == {"cell_type", "condition", "from_session", "to_session", "interval_days", "n_subjects",
                             "subjects", "n_start", "n_end", "gained", "lost", "mean", "sem"}
    # day intervals in time order within a group, not as text ("day11" < "day2")
    assert [(s.from_session, s.to_session) for s in result.summary if s.cell_type == "IT"] == PAIRS


def test_without_a_design_the_summary_is_per_cell_type(result):
    from nwbtms.spines.turnover import group_summary

    plain = group_summary(result.rows)
    assert {(s.cell_type, s.condition_label) for s in plain} == {("IT", ""), ("PT", "")}
    pt = next(s for s in plain if (s.cell_type, s.from_session) == ("PT", "day4"))
    assert pt.n_subjects == 2 and pt.mean["elimination_rate"] == pytest.approx((1 / 6 + 3 / 6) / 2)


def test_a_subjects_condition_joins_conflicting_levels():
    from pathlib import Path

    from nwbtms.spines.read import SessionRois
    from nwbtms.spines.registry import build_registry

    def session(name, condition):
        return SessionRois(Path(f"{name}.nwb"), name, "M9", name, None, {}, condition=condition)

    registry = build_registry([session("a", {"stress": "yes", "dose": "1"}), session("b", {}),
                               session("c", {"stress": "no", "dose": "1"})])
    assert registry.subjects["M9"].condition == {"dose": "1", "stress": "no|yes"}


def test_registry_presence(study):
    registry = read_registry(study)
    assert sorted(registry.subjects) == ["M1", "M2", "M3"]
    rows = {r["roi_key"]: r for r in registry.subjects["M1"].rows()}
    assert rows["a01"]["presence"] == {"day0": True, "day2": False, "day4": False, "day11": False}
    assert rows["a14"]["presence"] == {"day0": False, "day2": False, "day4": True, "day11": True}
    assert rows["n1:d1"]["roi_kind"] == "dendrite" and rows["a05"]["parent_key"] == "n1:d1"
    assert rows["a05"]["cell_type"] == "IT"


def test_a_day_without_annotations_neither_breaks_nor_starts_the_sequence(tmp_path):
    import datetime as dt

    from nwbtms.spines.testing import T0, DendriteDay, SessionSpec, write_study

    def day(session, offset, spines):
        dendrites = [] if spines is None else [DendriteDay("n1:d1", "IT", 10.0, spines, soma="n1")]
        return SessionSpec("M7", session, T0 + dt.timedelta(days=offset), dendrites)

    write_study(tmp_path, [day("tms", -1, None), day("day0", 0, {"s1", "s2"}), day("tms2", 1, None),
                           day("day2", 2, {"s2", "s3", "s4"})])
    [pooled] = compute_turnover(read_registry(tmp_path)).pooled()
    assert (pooled.from_session, pooled.to_session, pooled.interval_days) == ("day0", "day2", 2.0)
    assert (pooled.n_start, pooled.n_end, pooled.gained, pooled.lost, pooled.survival_fraction) == (2, 3, 2, 1, 0.5)
