"""Suite2p planes into NWB: somata, dendrites and spines with parents, keys and cell types; traces."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
from ndx_tms.testing import mock_CellTypesTable, mock_tms_nwbfile
from pynwb import NWBHDF5IO, NWBFile, validate

from nwbtms.assembly.segmentation import add_suite2p_plane as add_suite2p_segmentation
from nwbtms.assembly.segmentation import resolve_labels
from nwbtms.errors import InputError, SourceError
from nwbtms.nwb.imaging import write_nwbfile_with_movies
from nwbtms.sources.segmentation.roi_labels import load_roi_labels, roi_label_rule
from nwbtms.sources.segmentation.suite2p import read_suite2p_plane

NUM_ROIS, NUM_FRAMES = 6, 90

# Any warning fails these tests: hdmf's "linked table for DynamicTableRegion 'rois' does not share an
# ancestor" (traces created before their containers are in the file tree) among others.
pytestmark = pytest.mark.filterwarnings("error")


def _stat():
    stat = []
    for i in range(NUM_ROIS):
        ypix = np.array([i, i, i + 1], dtype=np.int32)
        xpix = np.array([2 * i, 2 * i + 1, 2 * i], dtype=np.int32)
        stat.append({"ypix": ypix, "xpix": xpix, "lam": np.array([0.5, 0.3, 0.2], dtype=np.float32)})
    return stat


def _write_suite2p(folder):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.save(folder / "stat.npy", np.array(_stat(), dtype=object), allow_pickle=True)
    np.save(folder / "ops.npy", np.array({"fs": 30.0, "Ly": 16, "Lx": 16,
                                          "meanImg": rng.random((16, 16), dtype=np.float32)}, dtype=object),
            allow_pickle=True)
    for name in ("F", "Fneu", "spks"):
        np.save(folder / f"{name}.npy", rng.random((NUM_ROIS, NUM_FRAMES), dtype=np.float32))
    np.save(folder / "iscell.npy", np.column_stack([np.ones(NUM_ROIS), np.linspace(0.5, 1, NUM_ROIS)]))
    return folder


def _nwbfile(with_tms=False):
    nwbfile = mock_tms_nwbfile(with_imaging=False) if with_tms else NWBFile(
        session_description="segmentation test", identifier="seg-test",
        session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    device = nwbfile.create_device(name="Microscope", description="2p")
    from pynwb.ophys import OpticalChannel

    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=OpticalChannel(name="green", description="g", emission_lambda=510.0),
        description="L5", device=device, excitation_lambda=920.0, indicator="GCaMP6f", location="PL")
    return nwbfile, plane


LABELS_YAML = """
default: {roi_kind: soma, cell_type: IT}
rois:
  - {roi: 0, roi_key: M001-soma01}
  - {roi: 1, roi_kind: dendrite, parent: 0, roi_key: M001-dend01}
  - {roi: 2, roi_kind: spine, parent: M001-dend01, roi_key: M001-spine01}
  - {roi: 3, roi_kind: spine, parent: 1, roi_key: M001-spine02}
  - {roi: 5, cell_type: PT, roi_key: M001-soma02}
"""


def test_suite2p_plane_with_kinds_parents_keys_cell_types(tmp_path):
    plane = read_suite2p_plane(_write_suite2p(tmp_path / "suite2p" / "plane0"))
    (tmp_path / "labels.yaml").write_text(LABELS_YAML)
    nwbfile, imaging_plane = _nwbfile(with_tms=True)
    cell_types = nwbfile.lab_meta_data["tms"].cell_types
    result = add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane,
                                      labels=load_roi_labels(tmp_path / "labels.yaml"), cell_types=cell_types)
    assert result.labels.parent_roi.tolist() == [-1, 0, 1, 1, -1, -1]
    out = tmp_path / "seg.nwb"
    write_nwbfile_with_movies(nwbfile, out)
    with NWBHDF5IO(str(out), "r") as io:
        read = io.read()
        rois = read.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert list(rois["roi_kind"][:]) == ["soma", "dendrite", "spine", "spine", "soma", "soma"]
        assert rois["parent_roi"][:].tolist() == [-1, 0, 1, 1, -1, -1]
        assert list(rois["roi_key"][:4]) == ["M001-soma01", "M001-dend01", "M001-spine01", "M001-spine02"]
        assert rois["roi_key"][4] == "plane0-roi0004"
        assert list(rois["cell_type"][:]["label"]) == ["IT", "IT", "IT", "IT", "IT", "PT"]
        mask = rois["pixel_mask"][2]
        assert [tuple(m) for m in mask][0] == (4.0, 2.0, 0.5)  # (x, y, weight)
        df = rois.to_dataframe()
        assert len(df) == NUM_ROIS
        traces = read.processing["ophys"]["Fluorescence"]["RoiResponseSeries"]
        np.testing.assert_array_equal(traces.data[:], np.load(plane.folder / "F.npy").T)
        spks = read.processing["ophys"]["Deconvolved"]["RoiResponseSeries"]
        np.testing.assert_array_equal(spks.data[:], np.load(plane.folder / "spks.npy").T)
        assert traces.rate == 30.0
        assert read.processing["ophys"]["SegmentationImages"]["mean"].data.shape == (16, 16)
    assert validate(path=str(out)) == []


def test_rule_labels_every_roi_and_csv_labels(tmp_path):
    labels = resolve_labels(roi_label_rule(cell_type="IT"), 3)
    assert labels.cell_type == ["IT"] * 3 and labels.roi_kind == ["soma"] * 3
    (tmp_path / "labels.csv").write_text("roi,kind,parent,key,cell_type\n0,soma,,s1,PT\n1,spine,s1,sp1,PT\n"
                                         "2,dendrite,0,d1,PT\n")
    labels = resolve_labels(load_roi_labels(tmp_path / "labels.csv"), 3)
    assert labels.parent_roi.tolist() == [-1, 0, 0]
    assert labels.roi_key == ["s1", "sp1", "d1"]


@pytest.mark.parametrize("text, message", [
    ("roi,kind\n0,axon\n", "unknown roi_kind"),
    ("roi,parent\n0,0\n", "its own parent"),
    ("roi,parent\n0,1\n1,0\n", "cycle"),
    ("roi,parent\n0,zz\n", "neither a ROI index"),
    ("roi,key\n0,a\n1,a\n", "duplicate roi_key"),
    ("roi,cell_type\n0,IT\n", "cell_type missing"),
    ("roi\n7\n", "the plane has 3 ROIs"),
    ("roi,colour\n0,red\n", "unknown label field"),
    ("roi\n0\n0\n", "labelled twice"),
])
def test_bad_labels(tmp_path, text, message):
    (tmp_path / "labels.csv").write_text(text)
    with pytest.raises(InputError, match=message) as info:
        resolve_labels(load_roi_labels(tmp_path / "labels.csv"), 3)
    assert "labels.csv" in str(info.value)


def test_unknown_cell_type_is_input_error(tmp_path):
    plane = read_suite2p_plane(_write_suite2p(tmp_path / "plane0"))
    nwbfile, imaging_plane = _nwbfile()
    with pytest.raises(InputError, match="not in the table"):
        add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane,
                                 labels=roi_label_rule(cell_type="CT"), cell_types=mock_CellTypesTable())


def test_mismatched_suite2p_arrays_name_the_file(tmp_path):
    rng = np.random.default_rng(1)
    plane = SimpleNamespace(stat=_stat(), ops={"fs": 30.0}, F=rng.random((NUM_ROIS, 50)),
                            Fneu=rng.random((NUM_ROIS, 49)), spks=rng.random((NUM_ROIS, 50)),
                            iscell=np.ones((NUM_ROIS, 2)), folder=tmp_path / "plane0")
    nwbfile, imaging_plane = _nwbfile()
    with pytest.raises(SourceError, match=r"Fneu.npy has shape \(6, 49\), expected \(6, 50\)") as info:
        add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane)
    assert info.value.file.endswith("Fneu.npy")
    plane.Fneu = plane.F
    plane.iscell = np.ones((NUM_ROIS - 1, 2))
    with pytest.raises(SourceError, match="iscell.npy"):
        add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane)


@pytest.mark.realdata
def test_real_suite2p_plane_with_plane_rule(tmp_path, realdata):
    plane = read_suite2p_plane(realdata / "suite2p" / "fissa_example" / "suite2p" / "plane0")
    nwbfile, imaging_plane = _nwbfile(with_tms=True)
    add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane, labels=roi_label_rule(cell_type="IT"),
                             cell_types=nwbfile.lab_meta_data["tms"].cell_types)
    out = tmp_path / "real.nwb"
    write_nwbfile_with_movies(nwbfile, out)
    with NWBHDF5IO(str(out), "r") as io:
        rois = io.read().processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert len(rois) == plane.num_rois == 23
        assert int(rois["iscell"][:].sum()) == int(plane.is_cell.sum())
    assert validate(path=str(out)) == []


def test_traces_share_the_movie_clock_or_map_their_rate_by_the_fit(tmp_path):
    """All data on one session clock: traces link the movie's (session-clock) timestamps, or, without a
    movie, their start and rate are mapped through the clock fit."""
    from pynwb.ophys import TwoPhotonSeries

    from nwbtms.imaging.clock import fit_clock

    plane = read_suite2p_plane(_write_suite2p(tmp_path / "plane0"))
    nwbfile, imaging_plane = _nwbfile()
    session_times = 4.0 + np.arange(NUM_FRAMES) / 30.0
    movie = TwoPhotonSeries(name="TwoPhotonSeries", imaging_plane=imaging_plane, unit="n.a.",
                            data=np.zeros((NUM_FRAMES, 4, 4), np.uint16), timestamps=session_times)
    nwbfile.add_acquisition(movie)
    add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane, series=movie)
    write_nwbfile_with_movies(nwbfile, tmp_path / "linked.nwb")
    with NWBHDF5IO(str(tmp_path / "linked.nwb"), "r") as io:
        traces = io.read().processing["ophys"]["Fluorescence"]["RoiResponseSeries"]
        np.testing.assert_allclose(traces.timestamps[:], session_times)

    device = np.arange(20) * 0.5
    fit = fit_clock(device, 4.0 + (1 + 50e-6) * device)
    nwbfile, imaging_plane = _nwbfile()
    add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane, clock_fit=fit, starting_time_s=1.0)
    write_nwbfile_with_movies(nwbfile, tmp_path / "fitted.nwb")
    with NWBHDF5IO(str(tmp_path / "fitted.nwb"), "r") as io:
        traces = io.read().processing["ophys"]["Deconvolved"]["RoiResponseSeries"]
        assert traces.starting_time == pytest.approx(4.0 + (1 + 50e-6) * 1.0, abs=1e-9)
        assert traces.rate == pytest.approx(30.0 / (1 + 50e-6), rel=1e-9)


def test_traces_and_movie_of_different_length_are_refused(tmp_path):
    from pynwb.ophys import TwoPhotonSeries

    plane = read_suite2p_plane(_write_suite2p(tmp_path / "plane0"))
    nwbfile, imaging_plane = _nwbfile()
    movie = TwoPhotonSeries(name="TwoPhotonSeries", imaging_plane=imaging_plane, unit="n.a.",
                            data=np.zeros((NUM_FRAMES - 1, 4, 4), np.uint16), rate=30.0)
    with pytest.raises(SourceError, match="traces have 90 frames") as info:
        add_suite2p_segmentation(nwbfile, plane, imaging_plane=imaging_plane, series=movie)
    assert info.value.file.endswith("F.npy")
    assert "ophys" not in nwbfile.processing  # refused before anything was added


def test_builder_takes_plain_arrays_without_a_reader():
    """The builder takes Suite2pArrays and ResolvedLabels (no reader type); a trace of another ROI count is a
    SourceError naming the array."""
    from nwbtms.nwb.segmentation import Suite2pArrays
    from nwbtms.nwb.segmentation import add_suite2p_segmentation as build

    rng = np.random.default_rng(3)
    masks = [np.array([[1.0, 2.0, 1.0]]), np.array([[3.0, 4.0, 0.5], [3.0, 5.0, 0.5]])]
    arrays = Suite2pArrays(pixel_masks=masks, F=rng.random((2, 10)), Fneu=rng.random((2, 10)),
                           spks=rng.random((2, 10)), iscell=np.ones((2, 2)), rate_hz=10.0, folder="plane3",
                           plane_index=3)
    nwbfile, imaging_plane = _nwbfile()
    result = build(nwbfile, arrays, imaging_plane=imaging_plane)
    assert result.labels.roi_key == ["plane3-roi0000", "plane3-roi0001"]
    assert result.plane_segmentation["pixel_mask"][1] == [(3.0, 4.0, 0.5), (3.0, 5.0, 0.5)]
    bad = Suite2pArrays(pixel_masks=masks, F=arrays.F, Fneu=arrays.F[:1], spks=arrays.F, iscell=np.ones((2, 2)))
    with pytest.raises(SourceError, match=r"Fneu has shape \(1, 10\)"):
        build(_nwbfile()[0], bad, imaging_plane=imaging_plane)
