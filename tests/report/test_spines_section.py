"""Report section 7: a subject's spines across the files beside the reported one, and rates per cell type."""

from __future__ import annotations

import pytest

from nwbtms.report import render_report
from nwbtms.report.spines import read_spine_days
from nwbtms.spines.testing import T0, DendriteDay, SessionSpec, write_study


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import datetime as dt

    root = tmp_path_factory.mktemp("spines_report")
    days = {"day0": ({"s1", "s2", "s3"}, {"p1", "p2"}), "day2": ({"s2", "s3", "s4"}, {"p1"})}
    specs = [SessionSpec("M9", day, T0 + dt.timedelta(days=2 * i),
                         [DendriteDay("n1:d1", "IT", 20.0, it, soma="n1"), DendriteDay("n2:d1", "PT", 10.0, pt,
                                                                                         soma="n2")])
             for i, (day, (it, pt)) in enumerate(days.items())]
    specs.append(SessionSpec("M8", "day0", T0, [DendriteDay("n5:d1", "IT", 5.0, {"x1"}, soma="n5")]))
    write_study(root, specs)
    return root / "sub-M9"


def test_presence_per_dendrite_and_rates_per_cell_type(folder):
    data = read_spine_days(folder / "sub-M9_ses-day2.nwb")
    assert data.sessions == ["day0", "day2"] and data.files == 2
    spines = {dendrite: dict(rows) for dendrite, _, rows in data.dendrites}
    assert spines["n1:d1"] == {"s1": [True, False], "s2": [True, True], "s3": [True, True], "s4": [False, True]}
    assert spines["n2:d1"]["p2"] == [True, False]
    rates = {r.cell_type: (r.gained, r.lost) for r in data.pooled}
    assert rates == {"IT": (1, 1), "PT": (0, 1)}


def test_section_is_drawn_with_its_table(folder):
    report = render_report(folder / "sub-M9_ses-day0.nwb", validate=False, quiet=True)
    assert "fig-spines" in report.figures and "pooled per cell type" in report.html
    assert not [e for e in report.errors if "fig-spines" in e]
