"""EthoVision XT raw-data export (documented layout, UTF-16 and UTF-8, ';' and ','): one trial scored."""

from __future__ import annotations

import pytest

from nwbtms.errors import InputError
from nwbtms.sources.behavior.ethovision import EthoVisionReader, read_ethovision
from nwbtms.sources.behavior.testing import write_ethovision
from nwbtms.sources.registry import recognise


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-16", ";"), ("utf-8", ",")])
def test_one_trial_scored(tmp_path, encoding, delimiter):
    path = write_ethovision(tmp_path / "Track-Arena 1-Subject 1.txt", encoding=encoding, delimiter=delimiter)
    assert recognise(path) is EthoVisionReader
    scores = read_ethovision(path, utc_offset="-08:00")
    [trial] = scores.tests
    assert (trial.subject, trial.test, trial.session) == ("M1", "open_field", "Trial     1")
    assert trial.start_time.isoformat() == "2026-02-09T10:00:00-08:00" and trial.duration_s == pytest.approx(10.0)
    # 100 samples at 10 Hz: 75 moving samples of 1 cm, 25 immobile (2.5 s), 50 in the centre (5 s)
    assert trial.values == pytest.approx({"distance_moved_cm": 75.0, "time_in_center_s": 5.0, "immobility_s": 2.5})
    assert scores.measures == {"distance_moved_cm": "cm", "time_in_center_s": "s", "immobility_s": "s"}


def test_options_and_refusals(tmp_path):
    path = write_ethovision(tmp_path / "t.txt", start="2026-02-09 10:00")
    with pytest.raises(InputError, match="does not match"):
        read_ethovision(path)
    [trial] = read_ethovision(path, start_time="2026-02-09T10:00:00-08:00", test="open_field_post").tests
    assert trial.test == "open_field_post"
    other = tmp_path / "other.txt"
    other.write_text("time;x\n0;1\n")
    assert not EthoVisionReader.sniff(other)
    with pytest.raises(InputError, match="not an EthoVision"):
        read_ethovision(other)
