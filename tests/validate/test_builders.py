"""The validator's builder reader (nwbtms/validate/builders.py) makes the builders hdmf's HDF5IO makes, on the
complete file and on the broken files of the corpus that change its structure (links, references, compound and
text datasets, an external link it leaves to hdmf)."""

from __future__ import annotations

import datetime as dt
import warnings

import h5py
import numpy as np
import pytest
from hdmf.build import DatasetBuilder, GroupBuilder, LinkBuilder
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from nwbtms.validate.builders import ValidatorIO, fast_builders_supported
from nwbtms.validate.context import external_links
from tests.validate.test_corpus import CORPUS, NOTES


def _same_value(ours, theirs, where: str) -> None:
    assert type(ours) is type(theirs), where
    if isinstance(ours, GroupBuilder | DatasetBuilder | LinkBuilder):
        assert ours.path == theirs.path, where  # the same builder is reached (compared where it is itself)
    elif isinstance(ours, h5py.Dataset | h5py.Group):
        assert ours.id == theirs.id, where
    elif isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, where
        assert np.array_equal(ours, theirs, equal_nan=ours.dtype.kind == "f"), where
    elif hasattr(ours, "dataset") and isinstance(ours.dataset, h5py.Dataset):  # hdmf's reference/table wrappers
        assert ours.dataset.id == theirs.dataset.id and ours.io is not None, where
    elif hasattr(ours, "dset"):  # StrDataset
        assert ours.dset.id == theirs.dset.id and ours.encoding == theirs.encoding, where
    elif isinstance(ours, dict):
        assert list(ours) == list(theirs), where
        for key in ours:
            _same_value(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(ours, list | tuple):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same_value(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs or (ours != ours and theirs != theirs), where  # NaN scalars


def _same_builders(ours, theirs, seen: set) -> int:
    """Compare two builder trees in full (every private field); returns the number of builders compared."""
    if id(ours) in seen:
        return 0
    seen.add(id(ours))
    where = theirs.path
    assert type(ours) is type(theirs), where
    assert vars(ours).keys() == vars(theirs).keys(), where
    for key, value in vars(ours).items():
        if key == "_Builder__parent":
            assert (value is None) == (vars(theirs)[key] is None), where
            if value is not None:
                assert value.path == vars(theirs)[key].path, where
        elif key not in ("_DatasetBuilder__dtype",):
            _same_value(value, vars(theirs)[key], f"{where}.{key}")
    if isinstance(ours, DatasetBuilder):
        _same_value(ours.dtype, theirs.dtype, f"{where}.dtype")
    assert list(dict.keys(ours)) == list(dict.keys(theirs)), where
    count = 1
    for key in dict.keys(ours):
        mine, other = dict.__getitem__(ours, key), dict.__getitem__(theirs, key)
        if key in ("groups", "datasets", "links"):
            assert list(mine) == list(other), f"{where} {key}"
            for name in mine:
                count += _same_builders(mine[name], other[name], seen)
        elif key == "builder":
            count += _same_builders(mine, other, seen)
        else:
            _same_value(mine, other, f"{where}[{key!r}]")
    return count


def _compare(path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with h5py.File(path, "r") as h5, h5py.File(path, "r") as h5_theirs:
            ours_io = ValidatorIO(file=h5, mode="r", load_namespaces=True)
            theirs_io = NWBHDF5IO(file=h5_theirs, mode="r", load_namespaces=True)
            try:
                theirs = theirs_io.read_builder()
            except Exception as exc:  # hdmf cannot read it: neither does ours (it gives way to hdmf's reader)
                with pytest.raises(type(exc)):
                    ours_io.read_builder()
                return 0
            ours = ours_io.read_builder()
            if not external_links(h5):  # the one feature it leaves to hdmf's reader in these files
                assert ours_io._fast_reader is not None, f"{path}: the fast reader gave way to hdmf's"
            return _same_builders(ours, theirs, set())


def test_layout_of_hdmf_builders_is_the_one_the_reader_makes():
    assert fast_builders_supported()


def test_same_builders_as_hdmf_on_the_complete_file(complete_nwb):
    assert _compare(complete_nwb) > 100


#: The broken files whose plant changes the structure hdmf reads (links, references, attributes, types, specs,
#: absent or retyped objects); the others change array values only.
STRUCTURAL = ("cell_type_newline", "coil_device", "external_link", "naive_start", "no_mask", "pulse_coil_ref",
              "reconciliation_region", "region_wrong_table", "schema", "series_no_timestamps", "session_region",
              "time_unit", "uncached", "unused_extension")


@pytest.mark.parametrize("name", STRUCTURAL)
def test_same_builders_as_hdmf_on_broken_files(name, complete_nwb, make_copy, tmp_path):
    plant = {**CORPUS, **NOTES}[name][0]
    path = make_copy(complete_nwb, tmp_path / f"{name}.nwb", plant)
    _compare(path)


def _plant_attribute_and_link_kinds(h5: h5py.File) -> None:
    """Groups and datasets, with and without creation order tracked, holding every kind of attribute h5py reads
    (vlen strings in both character sets, scalar and in arrays, fixed-length strings, empty, numbers of both byte
    orders and of a committed type, booleans, array types, a reference) and children created out of name order
    (soft links among them)."""
    for tracked in (False, True):
        group = h5.create_group(f"kinds_{'tracked' if tracked else 'by_name'}", track_order=tracked)
        for name in ("zeta", "yankee"):
            group.create_dataset(name, data=np.arange(3), track_order=tracked)
            group.create_group(name + "_group", track_order=tracked)
            group[name + "_link"] = h5py.SoftLink("/acquisition" if name == "zeta" else "/general")
        for obj in (group, group["zeta"], group["zeta_group"]):
            attrs = obj.attrs
            attrs["zulu"] = "h\u00e9llo"
            attrs.create("ascii", "plain", dtype=h5py.string_dtype("ascii"))
            attrs.create("ascii_raw", b"\xff\xfe", dtype=h5py.string_dtype("ascii"))
            attrs["fixed"] = np.bytes_(b"abc")
            attrs["fixed_array"] = np.array([b"ab", b"cd"])
            attrs["empty"] = h5py.Empty("f4")
            attrs["names"] = ["a", "b\u00e9"]
            attrs.create("ascii_names", ["x", "y"], dtype=h5py.string_dtype("ascii"))
            attrs["one_name"] = ["only"]
            attrs["count"] = np.int32(7)
            attrs["big_endian"] = np.array(1.5, dtype=">f8")
            attrs["flag"] = np.bool_(True)
            attrs["values"] = np.linspace(0, 1, 4)
            attrs.create("pairs", np.zeros((3, 2), "f4"), shape=(3, 2), dtype=np.dtype("(2,)f4"))
            attrs["target"] = h5["acquisition"].ref
    h5["kinds_type"] = np.dtype(">i2")  # a committed type, left anonymous (only the attribute refers to it)
    h5["kinds_tracked"].attrs.create("committed", 3, dtype=h5["kinds_type"])
    del h5["kinds_type"]


def test_same_builders_as_hdmf_on_every_attribute_and_link_kind(complete_nwb, make_copy, tmp_path):
    path = make_copy(complete_nwb, tmp_path / "kinds.nwb", _plant_attribute_and_link_kinds)
    with h5py.File(path, "r") as h5:
        assert h5["kinds_tracked"].id.get_create_plist().get_attr_creation_order()
        assert list(h5["kinds_tracked"].attrs)[0] == "zulu" and list(h5["kinds_by_name"].attrs)[0] == "ascii"
        assert list(h5["kinds_tracked"])[:2] == ["zeta", "zeta_group"]
    assert _compare(path) > 100


def test_same_builders_as_hdmf_when_the_root_tracks_creation_order(tmp_path):
    """h5py lists the root's attributes and links through the root group (creation order, when tracked), not
    through the file's creation property list (which never tracks it)."""
    path = tmp_path / "tracked_root.nwb"
    nwbfile = NWBFile(session_description="root in creation order", identifier="tracked-root",
                      session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    nwbfile.add_acquisition(TimeSeries(name="series", data=np.arange(3.0), unit="V", rate=1.0))
    with h5py.File(path, "w", track_order=True) as h5, NWBHDF5IO(file=h5, mode="w") as io:
        io.write(nwbfile)
    with h5py.File(path, "r") as h5:
        assert list(h5.attrs) != sorted(h5.attrs) and list(h5) != sorted(h5)
    assert _compare(path) > 10
