"""protocol_table_row: accepted by ndx_tms.TMSProtocolsTable and round-trips through an NWB file."""

from __future__ import annotations

import math

import numpy as np
from ndx_tms.testing import mock_tms_nwbfile
from pynwb import NWBHDF5IO

from nwbtms.io.nwb_write import write_nwbfile
from nwbtms.protocols import get_preset, protocol_table_row


def test_row_round_trips_through_nwb_file(tmp_path):
    nwbfile = mock_tms_nwbfile(with_imaging=False)
    metadata = next(iter(nwbfile.lab_meta_data.values()))
    table = metadata.protocols
    threshold_mso = float(metadata.thresholds["value_in_percent_mso"][0])
    added = {}
    for name in ("snt_course", "rtms_10hz_fda", "paired_pulse"):
        protocol = get_preset(name)
        row = protocol_table_row(protocol)
        table.add_row(**row, threshold=0, conditioning_threshold=0,
                      intensity_in_percent_mso=threshold_mso * protocol.intensity_value / 100)
        added[name] = (len(table) - 1, protocol)
    path = write_nwbfile(nwbfile, tmp_path / "protocols.nwb")
    with NWBHDF5IO(str(path), mode="r") as io:
        read = next(iter(io.read().lab_meta_data.values())).protocols
        for name, (row_index, protocol) in added.items():
            assert read["protocol_name"][row_index] == name
            assert list(read["timing_level"][row_index]) == list(protocol.level_names)
            assert list(read["timing_count"][row_index]) == [lvl.count for lvl in protocol.levels]
            intervals_us = np.round(np.asarray(read["timing_interval_in_s"][row_index]) * 1e6).astype(np.int64)
            assert intervals_us.tolist() == [lvl.interval_us for lvl in protocol.levels]
            assert math.isnan(read["pulse_width_in_us"][row_index])
            assert read["intensity_reference"][row_index] == "percent_threshold"
            assert read["sham"][row_index] == protocol.sham
        assert "stated as 50 min gap after end" in read["notes"][added["snt_course"][0]]
        row = added["snt_course"][0]
        assert list(read["timing_interval_convention"][row])[-2:] == ["gap_after_end", "onset_to_onset"]
        assert list(read["timing_stated_interval_in_s"][row])[-2:] == [3000.0, 86400.0]
        assert read["conditioning_intensity_value"][added["paired_pulse"][0]] == 80.0
        assert read["conditioning_intensity_reference"][added["paired_pulse"][0]] == "percent_threshold"


def test_row_fields():
    row = protocol_table_row(get_preset("itbs_600"))
    assert row["timing_level"] == ["pulse", "burst", "train"]
    assert row["timing_interval_in_s"] == [0.02, 0.2, 10.0]
    assert row["timing_count"] == [3, 10, 20]
    assert "threshold" not in row and "intensity_in_percent_mso" not in row
