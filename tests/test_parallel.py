"""map_files: one task per file, results as they finish, failures per item, resume by ledger."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nwbtms.parallel import FileLedger, map_files


def _size_of(path: str) -> int:
    if Path(path).name.startswith("bad"):
        raise ValueError(f"cannot read {Path(path).name}")
    return Path(path).stat().st_size


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_errors_and_resume(tmp_path, jobs):
    files = []
    for name, size in (("a.bin", 3), ("b.bin", 5), ("bad.bin", 1)):
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(str(tmp_path / name))
    ledger = FileLedger(tmp_path / "ledger", key="v1")
    done = {d.item: d for d in map_files(_size_of, [*files, files[0]], jobs=jobs, ledger=ledger, use_dask=False)}
    assert {k: v.result for k, v in done.items()} == {files[0]: 3, files[1]: 5, files[2]: None}
    assert "ValueError: cannot read bad.bin" in done[files[2]].error
    assert not any(d.resumed for d in done.values())
    assert len(list((tmp_path / "ledger").glob("*.json"))) == 2  # failures are not kept

    # unchanged files resume; a changed file, a failed one and another key run again
    (tmp_path / "b.bin").write_bytes(b"x" * 7)
    os.utime(tmp_path / "b.bin", ns=(1, 1))
    again = {d.item: d for d in map_files(_size_of, files, jobs=jobs, ledger=ledger, use_dask=False)}
    assert again[files[0]].resumed and again[files[0]].result == 3
    assert not again[files[1]].resumed and again[files[1]].result == 7
    assert again[files[2]].error
    other = {d.item: d for d in map_files(_size_of, files[:1], ledger=FileLedger(tmp_path / "ledger", key="v2"))}
    assert not other[files[0]].resumed


def test_urls_are_never_resumed(tmp_path):
    ledger = FileLedger(tmp_path, key="k")
    assert ledger.fingerprint("https://example.org/a.nwb") is None
    ledger.store("https://example.org/a.nwb", {"x": 1})
    assert list(tmp_path.iterdir()) == [] and ledger.load("https://example.org/a.nwb") is None
