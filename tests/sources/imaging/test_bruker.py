"""Bruker PrairieView: generated T-series (5.x and 4.x XML, per-frame and multi-page TIFFs, volumes),
VoltageRecording columns mapped by the XML's enabled-signal order, real XMLs, and broken inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from nwbtms.errors import ChannelNotFoundError, SourceError
from nwbtms.sources.imaging import (
    detect_format,
    open_imaging,
    read_prairieview_xml,
    read_voltage_recording,
)
from nwbtms.sources.imaging.testing import (
    BOM,
    TSERIES_PERIOD_S,
    TSERIES_SHAPE,
    write_tseries,
    write_tseries_voltage,
)

SHAPE, PERIOD_S = TSERIES_SHAPE, TSERIES_PERIOD_S


def test_tseries_frames_times_and_geometry(tmp_path):
    xml = write_tseries(tmp_path / "TSeries-001")
    assert detect_format(tmp_path / "TSeries-001") == "bruker"
    source = open_imaging(tmp_path / "TSeries-001")
    assert source.format == "bruker" and source.paths == (xml,)
    assert (source.num_frames, source.frame_shape, source.dtype) == (5, SHAPE, np.dtype("uint16"))
    assert source.channels == ["Ch1", "Ch2"] and source.num_planes == 1
    assert source.frame_rate_hz == pytest.approx(1 / PERIOD_S)  # the frame's own period wins over 0.04
    np.testing.assert_allclose(source.timestamps_s, np.arange(5) * PERIOD_S)
    assert source.pixel_size_um == (0.9, 0.8) and source.field_of_view_um == pytest.approx((7.2, 4.8))
    assert source.zoom == 2.5 and source.laser_power == {"0": 120.0}
    assert source.start_datetime.isoformat() == "2019-01-14T15:12:36"
    assert "<PVScan" in source.raw_header
    np.testing.assert_array_equal(source.read_frames(channel="Ch2")[:, 0, 0], [2, 102, 202, 302, 402])
    chunks = list(source.iter_frames(channel=0, start=1, stop=5, frames_per_chunk=3))
    assert [c[:, 0, 0].tolist() for c in chunks] == [[101, 201, 301], [401]]


def test_multipage_tiffs_and_volumes(tmp_path):
    open_imaging(write_tseries(tmp_path / "a", multipage=True))  # page= attribute
    source = open_imaging(write_tseries(tmp_path / "a", multipage=True))
    np.testing.assert_array_equal(source.read_frames(channel=1)[:, 0, 0], [2, 102, 202, 302, 402])
    volumes = open_imaging(write_tseries(tmp_path / "v", volumes=(3, 2), channels=(1,)))
    assert (volumes.num_frames, volumes.num_planes) == (3, 2)
    np.testing.assert_array_equal(volumes.read_frames(plane=1)[:, 0, 0], [11, 111, 211])
    assert volumes.volume_rate_hz == pytest.approx(1 / (2 * PERIOD_S))


def test_voltage_recording_maps_columns_by_enabled_signal_order(tmp_path):
    source = open_imaging(write_tseries(tmp_path / "TSeries-001"))
    recording = source.voltage_recording()
    assert recording.sample_rate_hz == 1000.0
    # CSV header says "Input 2"; the XML names the third signal "TMS trigger" and disables "Input 1".
    assert recording.channel_names == ["Input 0", "TMS trigger"]
    time_s, channels = recording.read()
    np.testing.assert_allclose(time_s[:3], [0.0, 0.001, 0.002])
    high = time_s[channels["TMS trigger"] > 2.5]
    np.testing.assert_allclose(high, [0.010, 0.011])
    t2, values = recording.read_channel("Input 0")
    np.testing.assert_allclose(values[:3], [0.0, 0.1, 0.2], atol=1e-6)
    chunks = list(recording.iter_chunks(samples_per_chunk=16))
    assert [len(t) for t, _ in chunks] == [16, 16, 16, 2]
    with pytest.raises(ChannelNotFoundError, match="Input 1"):
        recording.read_channel("Input 1")


def test_voltage_recording_column_count_must_match_the_xml(tmp_path):
    csv = write_tseries_voltage(tmp_path / "x_VoltageRecording_001", header="Time(ms), Input 0, Input 1, Input 2")
    with pytest.raises(SourceError, match="enables 2 signals") as info:
        read_voltage_recording(csv)
    assert "x_VoltageRecording_001.csv" in str(info.value)
    csv.with_suffix(".xml").unlink()
    with pytest.raises(SourceError, match="not found"):
        read_voltage_recording(csv)


def test_missing_tiffs_missing_xml_and_dtd(tmp_path):
    xml = write_tseries(tmp_path / "T", tiffs=False)
    with pytest.raises(SourceError, match="10 of 10 frame TIFF"):
        open_imaging(xml)
    partial = open_imaging(xml, require_frames=False)
    assert len(partial.missing_files) == 10 and partial.metadata["dtype_assumed"]
    with pytest.raises(SourceError, match="frame TIFF not found"):
        partial.read_frames(0, 1)
    with pytest.raises(SourceError, match="not found"):
        open_imaging(tmp_path / "T" / "absent.xml")
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><PVScan>&a;</PVScan>')
    with pytest.raises(SourceError, match="DTD"):
        read_prairieview_xml(evil)
    cut = tmp_path / "cut.xml"
    cut.write_text(xml.read_text(encoding="utf-8")[:900], encoding="utf-8")
    with pytest.raises(SourceError, match="malformed XML") as info:
        read_prairieview_xml(cut)
    assert info.value.line is not None


def test_tiff_of_another_shape(tmp_path):
    xml = write_tseries(tmp_path / "T")
    odd = tmp_path / "T" / "TSeries-001_Cycle00001_Ch1_000003.ome.tif"
    tifffile.imwrite(odd, np.zeros((4, 4), np.uint16))
    source = open_imaging(xml)
    with pytest.raises(SourceError, match=r"\(4, 4\)") as info:
        source.read_frames()
    assert "000003" in str(info.value)


def test_prairieview_4x_key_state(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    frames = []
    for i in range(3):
        tifffile.imwrite(folder / f"f{i}.tif", np.full(SHAPE, i, np.uint16))
        frames.append(
            f'<Frame relativeTime="{i * 0.5}" absoluteTime="{i * 0.5 + 1}" index="{i + 1}" '
            'label="CurrentSettings">'
            f'<File channel="1" channelName="Ch1" preAmpID="0" filename="f{i}.tif" /><PVStateShard>'
            '<Key key="framePeriod" permissions="ReadWriteSave" value="0.5" />'
            f'<Key key="linesPerFrame" permissions="ReadWriteSave" value="{SHAPE[0]}" />'
            f'<Key key="pixelsPerLine" permissions="ReadWriteSave" value="{SHAPE[1]}" />'
            '<Key key="micronsPerPixel_XAxis" permissions="ReadWriteSave" value="1.5" />'
            '<Key key="micronsPerPixel_YAxis" permissions="ReadWriteSave" value="1.5" />'
            "</PVStateShard></Frame>")
    (folder / "old.xml").write_text(
        f'{BOM}<?xml version="1.0" encoding="utf-8"?><PVScan version="4.3.2.13" date="9/25/2014 2:28:33 PM">'
        '<Sequence type="TSeries Timed Element" cycle="1">' + "".join(frames) + "</Sequence></PVScan>",
        encoding="utf-8")
    source = open_imaging(folder)
    assert source.frame_rate_hz == 2.0 and source.pixel_size_um == (1.5, 1.5)
    np.testing.assert_array_equal(source.read_frames()[:, 0, 0], [0, 1, 2])


def test_real_prairieview_xmls_parse(realdata):
    expected = {
        "TSeries-01142019-1352-1365.xml": ("5.4.64.500", ["TSeries Timed Element"], 1812),
        "TSeries-01252019-1046-1397.xml": ("5.4.64.500", ["TSeries Timed Element"], 119),
        "ZSeries-09252014-1411-508.xml": ("4.3.2.13", ["ZSeries"], 4),
        "LineScan-07132018-1141-2505.xml": ("5.3.64.400", ["Linescan"], 1),
    }
    found = {}
    for xml in sorted((realdata / "bruker").glob("*/*/*.xml")):
        if xml.name == "experiment.xml":
            continue
        scan = read_prairieview_xml(xml)
        found[xml.name] = (scan.version, scan.sequence_types, sum(len(s.frames) for s in scan.sequences))
        assert scan.state_value("micronsPerPixel", "XAxis") is not None
    assert found == expected


def test_real_tseries_without_frame_tiffs(realdata):
    folder = realdata / "bruker" / "minimal" / "TSeries-01142019-1352-1365"
    with pytest.raises(SourceError, match="3624 of 3624 frame TIFF"):
        open_imaging(folder)
    source = open_imaging(folder, require_frames=False)
    assert (source.num_frames, source.frame_shape, source.channels) == (1812, (256, 256), ["Ch1", "Ch2"])
    # The scan-wide framePeriod says 0.928 s; the frames carry (and are spaced by) 1.00025 s.
    assert source.frame_rate_hz == pytest.approx(1 / 1.00025097887275)
    assert np.diff(source.timestamps_s).mean() == pytest.approx(1.00025097887275)
    assert source.pixel_size_um == pytest.approx((1.17879356364206, 1.17879356364206))


def test_real_zseries_and_linescan_are_refused_as_movies(realdata):
    with pytest.raises(SourceError, match="not a time series"):
        open_imaging(realdata / "bruker" / "stripped" / "ZSeries-09252014-1411-508", require_frames=False)
    with pytest.raises(SourceError, match="line scan"):
        open_imaging(realdata / "bruker" / "stripped" / "t1BL_dendriteD_1", require_frames=False)
