"""nwbtms batch on a 2-worker LocalCluster: one broken session does not stop the rest; reruns resume."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import ExampleParameters, generate  # noqa: E402
from nwbtms.assembly.batch import ledger_path, run_batch, sha256_of  # noqa: E402
from nwbtms.cli import main  # noqa: E402

pytest.importorskip("distributed")

TINY = ExampleParameters(sessions=1, num_frames=30, frame_size=64)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("batch")
    good_a = generate(root / "a", TINY)
    good_b = root / "b" / "session.yaml"
    generate(root / "b", TINY)
    good_b.write_text(good_b.read_text().replace("session_id: aitbs-day1", "session_id: aitbs-day2"))
    broken = generate(root / "broken", TINY)
    (root / "broken" / "raw" / "daq.h5").write_bytes(b"not an HDF5 file")
    return [good_a, broken, good_b]


@pytest.fixture(scope="module")
def scheduler():
    """One 2-worker LocalCluster for the module (workers stay warm between batches)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_batch_finishes_the_rest_and_resumes(sessions, tmp_path, scheduler, capsys):
    out = tmp_path / "out"
    result = run_batch(sessions, out, scheduler=scheduler)
    status = {Path(o.metadata).parent.name: o for o in result.outcomes}
    assert status["a"].status == "converted" and status["b"].status == "converted"
    assert status["broken"].status == "failed" and "daq.h5" in status["broken"].message
    assert result.exit_code == 1
    assert (out / "sub-M001" / "sub-M001_ses-aitbs-day1.nwb").is_file()
    assert (out / "sub-M001" / "sub-M001_ses-aitbs-day2.nwb").is_file()
    table = result.table().splitlines()
    assert table[0].split() == ["session", "status", "pulses", "sessions", "frames", "ROIs", "MB/s", "peak", "MB",
                                "findings"]
    assert table[-1].startswith("2 converted, 0 skipped, 0 with blocking findings, 1 failed")
    assert table[-1].endswith(f"; {sum(len(o.findings) for o in result.outcomes)} finding(s) in all")
    assert [line.split()[0] for line in table[2:5]] == ["a/session.yaml", "broken/session.yaml", "b/session.yaml"]
    assert any(line.startswith("broken/session.yaml: ") and "daq.h5" in line for line in table)  # why it failed

    ledger = json.loads(ledger_path(out, sessions[0]).read_text())
    assert ledger["status"] == "converted"
    assert ledger["output"] == str((out / "sub-M001" / "sub-M001_ses-aitbs-day1.nwb").resolve())
    assert ledger["output_sha256"] == sha256_of(Path(ledger["output"]))
    assert isinstance(ledger["findings"], list) and all("message" in f for f in ledger["findings"])
    assert ledger["num_pulses"] == 600 and ledger["mb_per_s"] > 0 and ledger["peak_memory_mb"] > 0
    assert {i["source"] for i in ledger["inputs"]} >= {"daq", "scanimage", "suite2p"}
    assert all(i["size_bytes"] > 0 and i["mtime"] > 0 for i in ledger["inputs"])
    broken_ledger = json.loads(ledger_path(out, sessions[1]).read_text())
    assert broken_ledger["status"] == "failed"

    # second run, through the CLI: valid outputs are skipped, the broken one fails again (exit 1)
    with pytest.raises(SystemExit) as info:
        main(["batch", *map(str, sessions), "--out", str(out), "--scheduler", scheduler])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "2 skipped" in err and "1 failed" in err and "Traceback" not in err

    # an output that no longer matches its ledger is not replaced without force
    output = Path(ledger["output"])
    output.write_bytes(output.read_bytes() + b"\0")
    tampered = run_batch(sessions[:1], out, scheduler=scheduler)
    assert tampered.outcomes[0].status == "failed" and "checksum" in tampered.outcomes[0].message
    # --force reconverts it
    with pytest.raises(SystemExit) as info:
        main(["batch", str(sessions[0]), "--out", str(out), "--force", "--scheduler", scheduler])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == ledger["output"]
    assert json.loads(ledger_path(out, sessions[0]).read_text())["status"] == "converted"


def test_local_cluster_sized_to_the_machine():
    from nwbtms.assembly.batch import cluster_size

    workers, memory = cluster_size(num_sessions=1)
    assert workers == 1 and memory > 0
    workers, _ = cluster_size(num_sessions=100, workers=3)
    assert workers == 3


def test_missing_dask_gives_install_hint(monkeypatch, tmp_path, sessions):
    import builtins

    from nwbtms.errors import ConfigError

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ConfigError) as info:
        run_batch(sessions[:1], tmp_path)
    assert "nwbtms[dask]" in info.value.hint


def test_table_shows_every_problem_of_a_failed_session_and_consistent_totals():
    from nwbtms.assembly.batch import BatchResult, SessionOutcome

    problems = "x/session.yaml: 2 problem(s) in the session metadata\n- line 3: /subject/sex: bad\n- line 9: /nope"
    outcomes = [
        SessionOutcome(metadata="x/session.yaml", status="failed", message=problems),
        SessionOutcome(metadata="y/session.yaml", status="findings", message="blocking findings", findings=[
            {"check_id": "dandi.species", "severity": "CRITICAL", "location": "/general/subject/species",
             "message": "species 'mouse' ..."},
            {"check_id": "nwb.namespaces.ndx_tms_version", "severity": "INFO", "location": None, "message": "v"}]),
    ]
    table = BatchResult(outcomes=outcomes, elapsed_s=1.0).table()
    assert "/subject/sex: bad" in table and "/nope" in table
    assert "dandi.species /general/subject/species: species 'mouse'" in table and "ndx_tms_version" not in table
    assert table.splitlines()[-1].startswith("0 converted, 0 skipped, 1 with blocking findings, 1 failed")
    assert table.splitlines()[-1].endswith("; 2 finding(s) in all")
