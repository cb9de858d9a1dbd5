"""Suite2p reader: the real fissa example, generated plane folders, and mismatched or unsafe files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nwbtms.errors import SourceError, UnsafePickleError
from nwbtms.sources.segmentation import is_suite2p_folder, read_suite2p


def write_plane(folder, *, num_rois=3, num_frames=20, fs=15.0, f_frames=None, iscell_rows=None, chan2=False):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    stat = np.empty(num_rois, dtype=object)
    for i in range(num_rois):
        n = 4 + i
        stat[i] = {"ypix": np.arange(n) + i, "xpix": np.arange(n) * 2,
                   "lam": rng.random(n).astype(np.float32), "med": [i, 2 * i], "npix": n, "radius": 2.0}
    np.save(folder / "stat.npy", stat, allow_pickle=True)  # writing test data
    ops = {"fs": fs, "Ly": 12, "Lx": 16, "meanImg": rng.random((12, 16)), "nframes": num_frames,
           "date_proc": dt.datetime(2024, 1, 1)}
    np.save(folder / "ops.npy", np.array(ops, dtype=object), allow_pickle=True)
    frames = f_frames or num_frames
    np.save(folder / "F.npy", rng.random((num_rois, frames)).astype(np.float32))
    np.save(folder / "Fneu.npy", rng.random((num_rois, num_frames)).astype(np.float32))
    np.save(folder / "spks.npy", rng.random((num_rois, num_frames)).astype(np.float32))
    rows = iscell_rows or num_rois
    iscell = np.column_stack([np.arange(rows) % 2, np.linspace(0, 1, rows)])
    np.save(folder / "iscell.npy", iscell)
    if chan2:
        np.save(folder / "F_chan2.npy", rng.random((num_rois, num_frames)).astype(np.float32))
    return folder


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_real_fissa_example(realdata):
    root = realdata / "suite2p" / "fissa_example"
    assert is_suite2p_folder(root)
    planes = read_suite2p(root)  # the folder holding suite2p/
    assert isinstance(planes, list) and len(planes) == 1
    plane = planes[0]
    assert (plane.num_rois, plane.num_frames) == (23, 864)
    assert plane.F.shape == plane.Fneu.shape == plane.spks.shape == (23, 864)
    assert isinstance(plane.F, np.memmap)
    assert plane.iscell.shape == (23, 2) and plane.is_cell.sum() == 21
    assert plane.frame_rate_hz == float(plane.ops["fs"])
    assert plane.mean_image.shape == plane.frame_shape == (176, 156)
    assert isinstance(plane.ops["date_proc"], dt.datetime)
    mask = plane.pixel_mask(0)
    assert mask.shape == (len(plane.stat[0]["xpix"]), 3)
    same = read_suite2p(root / "suite2p" / "plane0")
    assert same.num_rois == 23 and same.plane_index == 0


def test_generated_planes(tmp_path):
    write_plane(tmp_path / "suite2p" / "plane0", chan2=True)
    write_plane(tmp_path / "suite2p" / "plane1", num_rois=5)
    (tmp_path / "suite2p" / "combined").mkdir()
    planes = read_suite2p(tmp_path / "suite2p")
    assert [p.plane_index for p in planes] == [0, 1] and [p.num_rois for p in planes] == [3, 5]
    first = planes[0]
    assert first.frame_rate_hz == 15.0 and first.num_frames == 20 and first.F_chan2.shape == (3, 20)
    np.testing.assert_array_equal(first.pixel_mask(1)[:, 0], np.arange(5) * 2)
    np.testing.assert_array_equal(first.is_cell, [False, True, False])


def test_mismatched_lengths_name_the_files(tmp_path):
    write_plane(tmp_path / "plane0", f_frames=19, iscell_rows=4)
    with pytest.raises(SourceError, match="disagree") as info:
        read_suite2p(tmp_path / "plane0")
    message = str(info.value)
    assert info.value.file.endswith("F.npy")
    assert "F.npy has shape (3, 19)" in message and "iscell.npy has shape (4, 2)" in message


def test_missing_files_and_unsafe_stat(tmp_path):
    folder = write_plane(tmp_path / "plane0")
    (folder / "spks.npy").unlink()
    with pytest.raises(SourceError, match="spks.npy"):
        read_suite2p(folder)
    folder = write_plane(tmp_path / "plane1")
    evil = np.empty(1, dtype=object)
    evil[0] = {"ypix": print}  # a builtin function is a global the allow-list refuses
    np.save(folder / "stat.npy", evil, allow_pickle=True)
    with pytest.raises(UnsafePickleError, match="builtins.print"):
        read_suite2p(folder)
    with pytest.raises(SourceError, match="no plane"):
        read_suite2p(_empty(tmp_path))
