"""The restricted unpickler: numpy object arrays load, anything that would run code is refused unrun."""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle

import numpy as np
import pytest

from nwbtms.errors import SourceError, UnsafePickleError
from nwbtms.sources.segmentation.safe_pickle import load_npy_object, safe_loads


class _RunsShell:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)  # writing our own test data
    return buffer.getvalue()


def test_object_arrays_of_plain_data_load(tmp_path):
    stat = np.empty(2, dtype=object)
    stat[0] = {"ypix": np.arange(3), "lam": np.ones(3, np.float32), "med": [1, 2], "radius": np.float64(2.5),
               "npix": np.int32(3), "soma_crop": np.bool_(True), "name": "roi", "none": None, "t": (1, 2)}
    stat[1] = {"when": dt.datetime(2024, 1, 2, 3, 4, 5), "dt": dt.timedelta(seconds=3),
               "d": dt.date(2024, 1, 2)}
    path = tmp_path / "stat.npy"
    path.write_bytes(_npy_bytes(stat))
    loaded = load_npy_object(path)
    assert loaded.shape == (2,) and loaded.dtype == object
    np.testing.assert_array_equal(loaded[0]["ypix"], np.arange(3))
    assert loaded[0]["radius"] == 2.5 and loaded[0]["soma_crop"] is np.True_
    assert loaded[1]["when"] == dt.datetime(2024, 1, 2, 3, 4, 5)
    plain = tmp_path / "F.npy"
    np.save(plain, np.zeros((2, 3), np.float32))
    assert load_npy_object(plain).shape == (2, 3)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_protocols_of_numpy_arrays(protocol):
    value = {"a": np.arange(4, dtype=np.int16), "b": [np.float32(1.5), "x"]}
    loaded = safe_loads(pickle.dumps(value, protocol=protocol))
    np.testing.assert_array_equal(loaded["a"], value["a"])
    assert loaded["b"][1] == "x"


def test_crafted_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    array = np.empty(1, dtype=object)
    array[0] = {"ypix": _RunsShell(str(marker))}
    path = tmp_path / "stat.npy"
    path.write_bytes(_npy_bytes(array))
    with pytest.raises(UnsafePickleError) as info:
        load_npy_object(path)
    message = str(info.value)
    assert "stat.npy" in message and "system" in message  # names the file and the refused global
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("builtins", "eval"), ("subprocess", "Popen"),
                                          ("numpy", "load"), ("_codecs", "decode"), ("builtins", "getattr")])
def test_other_globals_are_refused(module, name):
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"q\x00."
    with pytest.raises(UnsafePickleError, match=f"{module}.{name}"):
        safe_loads(payload)


def test_codecs_encode_only_latin1():
    payload = pickle.dumps(b"\x00\xff", protocol=2)
    assert safe_loads(payload) == b"\x00\xff"
    evil = b"\x80\x02c_codecs\nencode\nq\x00X\x01\x00\x00\x00xX\x04\x00\x00\x00zlibq\x01\x86q\x02Rq\x03."
    with pytest.raises(SourceError):
        safe_loads(evil)


def test_corrupt_pickle_and_non_npy(tmp_path):
    with pytest.raises(SourceError, match="corrupt pickle"):
        safe_loads(b"\x80\x04\x95")
    path = tmp_path / "ops.npy"
    path.write_bytes(b"not numpy at all")
    with pytest.raises(SourceError, match="not a .npy"):
        load_npy_object(path)


class _Reduces:
    """Pickles as ``function(*args)`` without calling it (what a crafted file does)."""

    def __init__(self, function, args) -> None:
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize("crafted", [
    _Reduces(bytes, (10**12,)),
    _Reduces(bytearray, (10**12,)),
    _Reduces(list, (range(10**11),)),
    _Reduces(np._core.multiarray._reconstruct, (np.ndarray, (10**6, 10**6), b"b")),
])
def test_a_few_bytes_cannot_exhaust_memory(crafted):
    import pickle

    data = pickle.dumps(crafted, protocol=4)
    assert len(data) < 200
    with pytest.raises(UnsafePickleError) as info:
        safe_loads(data)
    assert "refused to allocate" in info.value.message
