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


def test_excel_raw_export_in_the_layout_of_a_real_one(tmp_path):
    """The layout of a real EthoVision XT 14 raw-data Excel export, github.com/Andrews-Lab/EthoVision_analyser
    ``Example import files/Example_import_file.xlsx`` (commit a941a28; 8992 samples at 15 Hz, zones and manually
    scored behaviours in two mutually exclusive groups), which the reader could not open before (no ``.xlsx``)
    and whose scored behaviours it left out. On that file the reader now gives 600.065 s of samples, time in
    each zone, and walking 85.084 s + stationary 448.652 s + rearing 66.329 s + grooming 0 s = the trial."""
    from nwbtms.sources.behavior.testing import write_ethovision_xlsx

    path = write_ethovision_xlsx(tmp_path / "Raw data-21FR02-Trial     1.xlsx")
    assert recognise(path) is EthoVisionReader
    [trial] = read_ethovision(path).tests
    assert (trial.subject, trial.session, trial.test) == ("Subject 1", "Trial     1", "21fr02_test")
    assert trial.start_time.isoformat() == "2021-03-15T13:54:26.490000+00:00"
    # 40 samples at 15 Hz: the last 10 in the food zone (eating), the first 20 walking
    step = 1 / 15
    assert trial.duration_s == pytest.approx(40 * step, abs=1e-3)
    assert trial.values == pytest.approx({
        "distance_moved_cm": 3.9, "time_in_arena_s": 40 * step, "time_in_food_zone_s": 10 * step,
        "time_in_zone_2_s": 10 * step, "time_walking_s": 20 * step, "time_stationary_s": 20 * step,
        "time_eating_food_s": 10 * step}, abs=2e-3)


def test_recording_after_the_trial_start_and_subject_from_a_variable(tmp_path):
    """The layout of real EthoVision XT raw-data Excel exports of a hidden food maze,
    github.com/avalitor/EthovisionPathAnalysis (commit 3e24e9c) ``Raw Trial Data/2019-05-23_Raw Trial Data/Raw
    data-Hidden Food Maze-23May2019-Trial     1.xlsx``, ``.../2019-12-11_Raw Trial Data/...-Trial     1.xlsx``,
    ``.../2021-05-26_Raw Trial Data/...-Trial     1.xlsx``, ``pilot_Raw Trial Data/...-Pilot-Trial    13.xlsx``
    and ``...-Trial   100.xlsx``: a 39- or 41-line header whose subject is ``Subject 1`` in every file and the
    mouse a user-defined ``Mouse Number``; the recording starts ``Recording after`` the trial (19.9 s: the first
    ``Trial time`` is 19.899, ``Recording time`` 0); a zone variable ``In zone 2`` over four quadrant zones (its
    time, 201.601 s in the first file, is their sum). Before: the subject could only be ``Subject 1``, the test
    started 19.9 s early, and ``In zone 2`` was left out."""
    from nwbtms.sources.behavior.testing import write_ethovision_xlsx

    path = write_ethovision_xlsx(tmp_path / "Raw data-Hidden Food Maze-Trial     1.xlsx", recording_after_s=19.899)
    [trial] = read_ethovision(path, subject_field="Mouse Number", session_field="Day").tests
    assert (trial.subject, trial.session) == ("5", "4")
    assert trial.start_time.isoformat() == "2021-03-15T13:54:46.389000+00:00"  # 13:54:26.490 + 19.899 s
    assert trial.duration_s == pytest.approx(40 / 15, abs=1e-3)
    assert trial.values["time_in_zone_2_s"] == pytest.approx(10 / 15, abs=2e-3)
    with pytest.raises(InputError, match="no header line 'Animal'") as caught:
        read_ethovision(path, subject_field="Animal")
    assert "Mouse Number" in caught.value.hint


def test_broken_samples_are_located(tmp_path):
    path = write_ethovision(tmp_path / "t.txt", encoding="utf-8", delimiter=",")
    text = path.read_text(encoding="utf-8").replace('"0.50","0.00"', '"0.50","n/a"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="Y center 'n/a' is not a number") as caught:
        read_ethovision(path)
    assert caught.value.line == 13
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK not a workbook")
    assert not EthoVisionReader.sniff(broken)
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_ethovision(broken)
