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
