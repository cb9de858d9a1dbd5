"""Atomic output: nothing partial is ever visible, existing files are never replaced by accident."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from nwbtms.errors import InputError, OutputExistsError
from nwbtms.io.atomic import atomic_output, atomic_write_text, remove_stale_partials


def test_success_renames_into_place(tmp_path):
    target = tmp_path / "out.nwb"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.partial-") and tmp.suffix == ".nwb"
        tmp.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"
    assert list(tmp_path.iterdir()) == [target]


def test_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.nwb"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_untouched_without_overwrite(tmp_path):
    target = tmp_path / "out.nwb"
    target.write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="--overwrite") as info, atomic_output(target):
        pass
    assert info.value.file == str(target)
    assert target.read_bytes() == b"precious"
    atomic_write_text(target, "new", overwrite=True)
    assert target.read_text() == "new"


def test_bad_targets(tmp_path):
    with pytest.raises(InputError, match="output folder does not exist"), atomic_output(tmp_path / "no" / "x.nwb"):
        pass
    with pytest.raises(InputError, match="is a folder"), atomic_output(tmp_path):
        pass
    with pytest.raises(InputError, match="nothing was written"), atomic_output(tmp_path / "x.nwb"):
        pass


def test_sigkill_leaves_no_target_and_stale_partial_is_cleaned(tmp_path):
    target = tmp_path / "out.nwb"
    script = textwrap.dedent(f"""
        import os, signal
        from nwbtms.io.atomic import atomic_output
        with atomic_output({str(target)!r}) as tmp:
            tmp.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9
    assert not target.exists()
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".out.partial-")]
    assert len(leftovers) == 1
    assert remove_stale_partials(target) == leftovers
    assert list(tmp_path.iterdir()) == []


def test_partial_of_a_live_process_is_kept(tmp_path):
    target = tmp_path / "out.nwb"
    live = tmp_path / f".out.partial-{os.getpid()}.nwb"
    live.write_bytes(b"mine")
    assert remove_stale_partials(target) == []
    assert live.exists()


def _run_limited(args: list[str], cwd, max_bytes: int) -> subprocess.CompletedProcess:
    """``args`` in a process whose files may not grow past ``max_bytes`` (RLIMIT_FSIZE: a real EFBIG from the
    operating system, as a full disk gives ENOSPC), SIGXFSZ ignored so the write fails instead of the process."""
    import resource
    import signal

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return subprocess.run(args, cwd=cwd, preexec_fn=limit, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, max_bytes", [
    (["protocol", "schedule", "itbs_600", "-o", "out/schedule.csv"], 2_000),
    (["mock", "-o", "out/mock.nwb"], 20_000),
])
def test_operating_system_refusing_the_write_is_a_clear_exit_1_and_leaves_nothing(tmp_path, args, max_bytes):
    (tmp_path / "out").mkdir()
    result = _run_limited([sys.executable, "-m", "nwbtms", *args], tmp_path, max_bytes)
    assert result.returncode == 1, result.stderr
    assert f"error: {args[-1]}: cannot write the output: file too large" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_simultaneous_writers_without_overwrite_publish_exactly_one(tmp_path):
    import multiprocessing

    target = tmp_path / "out.csv"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    results = context.Queue()
    workers = [context.Process(target=_write_after_barrier, args=(target, str(i), barrier, results))
               for i in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    outcomes = sorted(results.get(timeout=10) for _ in workers)
    winners = [o for o in outcomes if not o.startswith("exists")]
    assert len(winners) == 1 and target.read_text() == winners[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def _write_after_barrier(target, text, barrier, results) -> None:
    try:
        with atomic_output(target) as tmp:
            tmp.write_text(text)
            barrier.wait(30)  # every writer has passed the existence check; all publish at once
        results.put(text)
    except OutputExistsError:
        results.put(f"exists {text}")


def test_sigterm_removes_the_partial_file(tmp_path):
    import signal
    import time

    target = tmp_path / "out.nwb"
    script = textwrap.dedent(f"""
        import time
        from nwbtms.io.atomic import atomic_output
        with atomic_output({str(target)!r}) as tmp:
            tmp.write_bytes(b"half")
            print("writing", flush=True)
            time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    assert process.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_the_system_refuses_is_a_clear_error(tmp_path):
    from nwbtms.errors import OutputError
    from nwbtms.io.atomic import make_folder

    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError) as info:
        make_folder(tmp_path / "file" / "sub-M001")
    assert info.value.file == str(tmp_path / "file" / "sub-M001") and info.value.exit_code == 1
    assert "cannot write the output" in info.value.message
