"""ABF reader: ABF1 files written by pyabf's writer, and the real Clampex files."""

from __future__ import annotations

import numpy as np
import pyabf
import pytest
from pyabf.abfWriter import writeABF1

from nwbtms.errors import SourceError
from nwbtms.sources.daq import open_recording


def test_sweeps_are_segments_and_match_pyabf(tmp_path):
    sweeps = np.stack([np.sin(np.arange(2000) / 30.0 + k) * 100 for k in range(4)])
    path = tmp_path / "stim.abf"
    writeABF1(sweeps, str(path), sampleRateHz=20000, units="mV")
    reference = pyabf.ABF(str(path))
    with open_recording(path) as rec:
        assert rec.format == "abf" and rec.sample_rate_hz == 20000
        assert len(rec.segments) == 4 and rec.segments[2].start_time_s == pytest.approx(0.2)
        name = rec.channels[0].name
        got = np.concatenate([c.data for c in rec.iter_chunks(name, segment=2, chunk_samples=333)])
        reference.setSweep(2)
        np.testing.assert_array_equal(got, reference.sweepY.astype(np.float64))
        np.testing.assert_allclose(got, sweeps[2], atol=0.05)  # writer quantisation
        table = rec.raw_lookup_table(name)
        raw = next(rec.iter_raw_chunks(name, segment=2)).data
        np.testing.assert_array_equal(table[raw.view(np.uint16)], got)


def test_truncated_abf(tmp_path):
    path = tmp_path / "stim.abf"
    writeABF1(np.zeros((2, 5000)), str(path), sampleRateHz=20000)
    cut = tmp_path / "cut.abf"
    cut.write_bytes(path.read_bytes()[:4000])
    with pytest.raises(SourceError) as err:
        open_recording(cut)
    assert "cut.abf" in str(err.value)


def test_real_files(realdata):
    expected = {
        "16d22006_kim_gapfree.abf": (10000, ["IN 2", "IN 3"], 1, 483000),
        "17o05026_vc_stim.abf": (20000, ["IN 0"], 8, 200000),
        "multichannelAbf1WithTags.abf": (20000, ["IN 0", "AO #0"], 187, 1653),
    }
    for name, (rate, channels, sweeps, points) in expected.items():
        path = realdata / "abf" / name
        with open_recording(path) as rec:
            assert rec.sample_rate_hz == rate
            assert rec.channel_names == channels
            assert len(rec.segments) == sweeps and rec.segments[-1].num_samples == points
            reference = pyabf.ABF(str(path))
            for index in range(len(channels)):
                reference.setSweep(sweeps - 1, channel=index)
                chunk = next(rec.iter_chunks(channels[index], segment=sweeps - 1, chunk_samples=1000))
                np.testing.assert_array_equal(chunk.data, reference.sweepY[:1000].astype(np.float64))


def test_importing_the_reader_leaves_numpy_print_options_alone():
    import subprocess
    import sys

    script = ("import numpy as np; before = np.get_printoptions(); import nwbtms.sources.daq.abf; "
              "assert np.get_printoptions() == before, np.get_printoptions()")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _event_driven_copy(source, target, lengths, starts):
    """The real episodic ABF2 file turned event-driven (``nOperationMode`` 1) with variable-length sweeps.

    Only the two header fields an event-driven Clampex file differs in are rewritten: the protocol
    section's ``nOperationMode`` and the synch array entries (``lStart``, ``lLength``); the samples stay.
    """
    import struct

    header = pyabf.ABF(str(source), loadData=False)
    data = bytearray(source.read_bytes())
    struct.pack_into("<h", data, header._protocolSection._byteStart, 1)  # first field: nOperationMode
    synch = header._synchArraySection
    assert synch._entryCount == len(lengths) and synch._entrySize == 8
    for i, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        struct.pack_into("<ii", data, synch._byteStart + 8 * i, start, length)
    target.write_bytes(bytes(data))
    return target


def test_event_driven_variable_length_sweeps_match_pyabf(realdata, tmp_path):
    lengths = [3540, 70040, 16040, 200000, 200000, 200000, 200000, 710380]  # sums to the 1,600,000 stored
    starts = [0, 400000, 1200000, 1700000, 2500000, 3300000, 4100000, 4900000]  # fSynchTimeUnit 12.5 us
    path = _event_driven_copy(realdata / "abf" / "17o05026_vc_stim.abf", tmp_path / "event.abf", lengths, starts)
    reference = pyabf.ABF(str(path))
    assert reference.nOperationMode == 1
    with open_recording(path) as rec:
        assert [s.num_samples for s in rec.segments] == lengths
        np.testing.assert_allclose([s.start_time_s for s in rec.segments], np.array(starts) * 12.5e-6)
        for sweep in range(len(lengths)):
            reference.setSweep(sweep)
            got = np.concatenate([c.data for c in rec.iter_chunks("IN 0", segment=sweep)])
            np.testing.assert_array_equal(got, reference.sweepY.astype(np.float64))


def test_abf1_event_driven_refused_with_the_reason(tmp_path):
    import struct

    path = tmp_path / "event1.abf"
    writeABF1(np.zeros((3, 1000)), str(path), sampleRateHz=20000)
    data = bytearray(path.read_bytes())
    struct.pack_into("<h", data, 8, 1)  # ABF1 header: nOperationMode at byte 8 (pyabf's writer puts 5 there)
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="variable-length sweeps") as err:
        open_recording(path)
    assert "event1.abf" in str(err.value) and err.value.hint
