"""``nwbtms rois registry`` and ``nwbtms spines turnover``: formats, output file, write-back, bad input."""

from __future__ import annotations

import csv
import io
import json

import h5py
import pytest

from nwbtms.cli import main


def _run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_registry_formats(study, capsys):
    code, out, _ = _run(capsys, "rois", "registry", str(study), "--format", "json")
    assert code == 0
    subjects = {s["subject_id"]: s for s in json.loads(out)["subjects"]}
    assert [s["session_id"] for s in subjects["M2"]["sessions"]] == ["day0", "day2", "day4", "day11"]
    b01 = next(r for r in subjects["M2"]["rois"] if r["roi_key"] == "b01")
    assert b01["presence"] == [True, False, False, False] and b01["parent_key"] == "n2:d1"
    code, out, _ = _run(capsys, "rois", "registry", str(study), "--format", "tsv")
    rows = list(csv.DictReader(io.StringIO(out), delimiter="\t"))
    assert {"subject_id", "roi_key", "session_id", "present"} <= set(rows[0])
    assert len([r for r in rows if r["subject_id"] == "M1" and r["roi_key"] == "a14"]) == 4
    code, out, _ = _run(capsys, "rois", "registry", str(study))
    assert "subject M3" in out and "n4:d1" in out


def test_turnover_json_file_and_write_back(study, tmp_path, capsys):
    target = tmp_path / "turnover.json"
    code, _, _ = _run(capsys, "-q", "spines", "turnover", str(study), "--format", "json", "-o", str(target),
                      "--write-back", str(tmp_path / "derived"))
    assert code == 0
    document = json.loads(target.read_text())
    row = document["rows"][0]
    assert list(row) == ["subject_id", "cell_type", "dendrite_key", "from_session", "to_session", "n_start",
                         "n_end", "gained", "lost", "formation_rate", "elimination_rate", "turnover_ratio",
                         "survival_fraction", "density_end_per_um", "interval_days"]
    assert any(r["dendrite_key"] is None for r in document["rows"]) and document["summary"]
    copy = tmp_path / "derived" / "sub-M2" / "sub-M2_ses-day4.nwb"
    with h5py.File(copy, "r") as h5:
        table = h5["processing/spines/spine_turnover"]
        assert sorted(set(table["subject_id"].asstr()[:])) == ["M2"]
        assert list(table["gained"][:]) == [1, 1, 0, 0, 2, 2]
        assert h5["processing/spines/spine_presence/present"].shape[1] == 4
    code, _, err = _run(capsys, "spines", "turnover", str(study), "-o", str(target))
    assert code == 2 and "exists" in err
    # the original files are untouched
    with h5py.File(study / "sub-M2" / "sub-M2_ses-day4.nwb", "r") as h5:
        assert "spines" not in h5.get("processing", {})


def test_turnover_bad_input(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "spines", "turnover", str(tmp_path / "empty"))
    assert code == 2 and "no .nwb file" in err
    (tmp_path / "bad.nwb").write_text("not hdf5")
    code, _, err = _run(capsys, "rois", "registry", str(tmp_path / "bad.nwb"))
    assert code == 2 and "not a readable NWB" in err and "Traceback" not in err


def test_write_back_in_place_needs_overwrite_and_replaces_atomically(tmp_path, capsys):
    from nwbtms.spines.testing import study_specs, write_study

    write_study(tmp_path, [s for s in study_specs() if s.subject_id == "M2"][:2])
    code, _, err = _run(capsys, "spines", "turnover", str(tmp_path), "--write-back", str(tmp_path))
    assert code == 2 and "exists" in err
    code, _, err = _run(capsys, "-q", "spines", "turnover", str(tmp_path), "--write-back", str(tmp_path),
                        "--overwrite")
    assert code == 0, err
    with h5py.File(tmp_path / "sub-M2" / "sub-M2_ses-day0.nwb", "r") as h5:
        assert list(h5["processing/spines/spine_turnover/lost"][:]) == [1, 1]
    assert not [p for p in tmp_path.rglob(".*partial*")]
    code, _, err = _run(capsys, "spines", "turnover", str(tmp_path), "--write-back", str(tmp_path),
                        "--overwrite")
    assert code == 2 and "already holds derived spine tables" in err


def test_turnover_jobs_2_gives_the_serial_output(study, capsys):
    """One read task per file on a local cluster of two workers: the same bytes as one file after the other."""
    code, serial, _ = _run(capsys, "spines", "turnover", str(study), "--format", "tsv")
    assert code == 0
    code, parallel, err = _run(capsys, "spines", "turnover", str(study), "--format", "tsv", "--jobs", "2")
    assert code == 0, err
    assert parallel == serial
    summary = list(csv.DictReader(io.StringIO(serial.split("\n\n", 1)[1]), delimiter="\t"))
    sham = [r for r in summary if r["condition"] == "stimulation=sham, stress=yes"]
    assert [(r["cell_type"], r["from_session"], r["gained"], r["lost"]) for r in sham] == [
        ("PT", "day0", "1", "1"), ("PT", "day2", "0", "2"), ("PT", "day4", "2", "1")]
    code, text, _ = _run(capsys, "spines", "turnover", str(study))
    assert "stimulation=aiTBS, stress=yes" in text


def test_turnover_on_a_running_dask_scheduler(study, capsys):
    """``--scheduler tcp://HOST:PORT``: one task per file on that scheduler, the serial output."""
    distributed = pytest.importorskip("distributed")
    code, serial, _ = _run(capsys, "spines", "turnover", str(study), "--format", "json")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        code, remote, err = _run(capsys, "spines", "turnover", str(study), "--format", "json", "--scheduler",
                                 cluster.scheduler_address)
    assert code == 0, err
    assert remote == serial


def test_turnover_resumes_from_a_ledger(study, tmp_path, capsys):
    """``--ledger DIR``: each file's summary is kept; a re-run takes unchanged files from it (a planted edit of
    one entry shows up in the output), and a changed file is read again."""
    import os

    ledger = tmp_path / "ledger"
    code, first, _ = _run(capsys, "spines", "turnover", str(study), "--format", "json", "--ledger", str(ledger))
    assert code == 0 and len(list(ledger.glob("*.json"))) == 12
    entry = next(ledger.glob("sub-M2_ses-day0-*.json"))
    record = json.loads(entry.read_text())
    record["result"]["subject_id"] = "M2-from-ledger"
    entry.write_text(json.dumps(record))
    code, second, _ = _run(capsys, "spines", "turnover", str(study), "--format", "json", "--ledger", str(ledger))
    assert "M2-from-ledger" in second
    day0 = study / "sub-M2" / "sub-M2_ses-day0.nwb"
    stat = day0.stat()
    os.utime(day0, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    code, third, _ = _run(capsys, "spines", "turnover", str(study), "--format", "json", "--ledger", str(ledger))
    assert third == first
