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
