"""The aiTBS example generator: deterministic, small, and written in the instruments' formats."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import h5py
import numpy as np
import tifffile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import ExampleParameters, delivered_pulses_s, generate  # noqa: E402

TINY = ExampleParameters(sessions=2, num_frames=30, frame_size=64)


def _digest(folder: Path) -> dict[str, str]:
    """Content digests of every generated file (HDF5 by dataset content: its bytes hold times)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".h5":
            digest = hashlib.sha256()

            def add(name, obj, digest=digest):
                if isinstance(obj, h5py.Dataset):
                    digest.update(name.encode() + np.asarray(obj[()]).tobytes())

            with h5py.File(path, "r") as handle:
                handle.visititems(add)
            out[str(path.relative_to(folder))] = digest.hexdigest()
        else:
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_generator_is_deterministic(tmp_path):
    generate(tmp_path / "one", TINY)
    generate(tmp_path / "two", TINY)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")


def test_default_session_is_small_and_complete(tmp_path):
    metadata = generate(tmp_path)
    raw = tmp_path / "raw"
    total = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
    assert total < 50e6
    assert metadata.read_text().count("<FILL ME") == 0
    with tifffile.TiffFile(raw / "imaging_00001.tif") as tif:
        assert len(tif.pages) == 600 and tif.pages[0].is_scanimage
        assert "frameTimestamps_sec" in tif.pages[1].description
    with h5py.File(raw / "daq.h5", "r") as daq:
        assert daq["sweep_0001/analogScans"].dtype == np.int16
        assert [n.decode() for n in daq["header/AIChannelNames"][()]] == ["TMS_trigger", "frame_clock"]
    log_rows = (raw / "stimulator_log.csv").read_text().splitlines()
    assert len(log_rows) - 2 == delivered_pulses_s(ExampleParameters()).size == 1799
    assert {p.name for p in (raw / "suite2p" / "plane0").iterdir()} == {
        "stat.npy", "ops.npy", "F.npy", "Fneu.npy", "spks.npy", "iscell.npy"}
