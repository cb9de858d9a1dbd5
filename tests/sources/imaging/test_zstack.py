"""Z-stacks as volumes: a PrairieView 4.x Z-series (XML + slice TIFFs), a ScanImage stack, a plain TIFF."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from nwbtms.errors import SourceError
from nwbtms.sources.imaging.testing import write_scanimage
from nwbtms.sources.imaging.zstack import is_bruker_zseries, open_zstack

ROWS, COLS = 12, 10


def write_zseries(folder, z_um=(-25.78, -22.78, -19.78), channels=(1, 2), tiffs=True):
    """A PrairieView 4.3 Z-series folder as the real one (state in every frame, 4.x key_index names)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = folder.name
    frames = []
    for index, z in enumerate(z_um, start=1):
        files = []
        for c in channels:
            fname = f"{name}_Cycle00001_CurrentSettings_Ch{c}_{index:06d}.tif"
            files.append(f'<File channel="{c}" channelName="Ch{c}" preAmpID="{c - 1}" filename="{fname}" />')
            if tiffs:
                tifffile.imwrite(folder / fname, np.full((ROWS, COLS), 100 * index + c, np.uint16))
        keys = {"pixelsPerLine": COLS, "linesPerFrame": ROWS, "framePeriod": 0.5, "positionCurrent_ZAxis": z,
                "micronsPerPixel_XAxis": 0.6, "micronsPerPixel_YAxis": 0.7}
        shard = "".join(f'<Key key="{k}" permissions="ReadWriteSave" value="{v}" />' for k, v in keys.items())
        frames.append(f'<Frame relativeTime="{index}" absoluteTime="{index + 3}" index="{index}" '
                      f'label="CurrentSettings">{"".join(files)}<PVStateShard>{shard}</PVStateShard></Frame>')
    xml = ('\ufeff<?xml version="1.0" encoding="utf-8"?>\n<PVScan version="4.3.2.13" date="9/25/2014 2:28:33 PM" '
           'notes=""><Sequence type="ZSeries" cycle="1" time="14:28:33.29">' + "".join(frames)
           + "</Sequence></PVScan>\n")
    (folder / f"{name}.xml").write_text(xml, encoding="utf-8")
    return folder


def test_bruker_zseries_slices_depths_and_voxels(tmp_path):
    folder = write_zseries(tmp_path / "ZSeries-001")
    assert is_bruker_zseries(folder)
    stack = open_zstack(folder)
    assert (stack.num_slices, stack.frame_shape, stack.source.channels) == (3, (ROWS, COLS), ["Ch1", "Ch2"])
    assert stack.z_step_um == pytest.approx(3.0) and stack.pixel_size_um == pytest.approx((0.7, 0.6))
    slices = list(stack.iter_slices(channel="Ch2"))
    assert [int(s[0, 0]) for s in slices] == [102, 202, 302] and slices[0].dtype == np.uint16
    assert stack.field_of_view_um == pytest.approx((ROWS * 0.7, COLS * 0.6, 9.0))


def test_bruker_zseries_missing_slice_and_uneven_spacing(tmp_path):
    folder = write_zseries(tmp_path / "ZSeries-002", tiffs=False)
    with pytest.raises(SourceError, match="slice TIFF"):
        open_zstack(folder)
    uneven = write_zseries(tmp_path / "ZSeries-003", z_um=(0, 2, 5))
    with pytest.raises(SourceError, match="not evenly spaced"):
        open_zstack(uneven)
    assert open_zstack(uneven, z_step_um=2.5).z_step_um == 2.5


def test_scanimage_stack_repeats_are_averaged(tmp_path):
    [path] = write_scanimage(tmp_path, num_volumes=2, planes=3, shape=(ROWS, COLS))
    stack = open_zstack(path, format="scanimage")
    assert (stack.num_slices, stack.repeats_per_slice, stack.z_step_um) == (3, 2, pytest.approx(10.0))
    means = [float(s.mean()) for s in stack.iter_slices()]
    assert means == pytest.approx([50.0, 60.0, 70.0]) and stack.dtype == np.float32


def test_plain_tiff_channels_interleaved(tmp_path):
    data = np.arange(4 * ROWS * COLS, dtype=np.uint16).reshape(4, ROWS, COLS)
    tifffile.imwrite(tmp_path / "s.tif", data, photometric="minisblack")
    stack = open_zstack(tmp_path / "s.tif", format="tiff", z_step_um=1.5, channels=["g", "r"], pixel_size_um=0.4)
    assert (stack.num_slices, stack.depth_um) == (2, 3.0)
    np.testing.assert_array_equal(list(stack.iter_slices(channel="r"))[1], data[3])
