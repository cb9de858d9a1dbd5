"""The hdmf builders of an open NWB file, read as hdmf's ``HDF5IO.read_builder`` reads them, at a third of its CPU.

hdmf checks the arguments of every builder it makes (docval) and reads each attribute through h5py's
high-level objects; on a file of thousands of small objects that was half of the validator's time. This
reader walks the same HDF5 links in the same order, reads the same attributes (h5py's own conversions, each
type and dataspace asked once) and makes the same builders (classes, names, attributes, data and its wrappers,
dtype, maxshape, parents, sources, locations) without re-checking arguments it makes itself; schema
validation and object construction then run on them unchanged. ``tests/validate/test_builders.py``
compares them with hdmf's own on every file of the broken-file corpus.

What it does not read the way hdmf does (external links, scalar references or compound scalars, scalars
of other kinds, names that are not UTF-8, a damaged object) makes it give way to hdmf's reader for the whole
file (:class:`Unsupported`), as does a builder layout other than the one this module was written against
(:func:`fast_builders_supported`, checked once per process).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import os
import warnings
from collections.abc import Iterator

import h5py
import numpy as np
from h5py import h5a, h5l, h5o, h5p, h5s, h5t
from hdmf.backends.hdf5.h5_utils import BuilderH5ReferenceDataset, BuilderH5TableDataset
from hdmf.build import DatasetBuilder, GroupBuilder, LinkBuilder
from hdmf.utils import StrDataset
from pynwb import NWBHDF5IO

from nwbtms.validate.namespaces_cache import SPEC_LOC_ATTR, spec_group  # hdmf's ``HDF5IO.__read_attrs`` skips it


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file's builders or objects are made: they stay alive
    until the file is closed, and its collections would walk them again and again for nothing (reference
    counting still frees everything else at once)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Unsupported(Exception):
    """The file holds something this reader leaves to hdmf's."""


def _new_builder(cls, name: str, source: str):
    builder = cls.__new__(cls)
    builder._Builder__name = name
    builder._Builder__parent = None
    builder._Builder__source = source
    builder._Builder__matched_spec = None
    return builder


def make_dataset_builder(name: str, data, dtype, attributes: dict, maxshape, source: str) -> DatasetBuilder:
    """``DatasetBuilder(name, data=, dtype=, attributes=, maxshape=, source=)`` without docval."""
    builder = _new_builder(DatasetBuilder, name, source)
    dict.__setitem__(builder, "attributes", copy.copy(attributes))
    builder._BaseBuilder__location = None
    dict.__setitem__(builder, "data", data)
    builder._DatasetBuilder__dimension_labels = None
    builder._DatasetBuilder__chunks = False
    builder._DatasetBuilder__matched_spec_shape = None
    builder._DatasetBuilder__maxshape = maxshape
    builder._DatasetBuilder__dtype = dtype
    builder._DatasetBuilder__name = name
    return builder


def make_group_builder(name: str, groups: list, datasets: list, attributes: dict, links: list,
                       source: str) -> GroupBuilder:
    """``GroupBuilder(name, groups=, datasets=, attributes=, links=, source=)`` without docval."""
    builder = _new_builder(GroupBuilder, name, source)
    builder.obj_type = obj_type = {}
    own = {}
    dict.__setitem__(builder, "attributes", own)
    for key, value in attributes.items():
        own[key] = value
        obj_type[key] = "attributes"
    builder._BaseBuilder__location = None
    for kind, children in (("groups", groups), ("datasets", datasets), ("links", links)):
        held = {}
        dict.__setitem__(builder, kind, held)
        for child in children:
            if kind == "datasets" and child is None:
                continue
            child_name = child.name
            if child_name in obj_type and obj_type[child_name] != kind:
                raise ValueError(f"'{child_name}' already exists in {name}.{obj_type[child_name]}, "
                                 f"cannot set in {kind}.")
            held[child_name] = child
            obj_type[child_name] = kind
            if child.parent is None:
                child.parent = builder
    return builder


def make_link_builder(target, name: str, source: str) -> LinkBuilder:
    """``LinkBuilder(builder=target, name=name, source=source)`` without docval."""
    builder = _new_builder(LinkBuilder, name, source)
    dict.__setitem__(builder, "builder", target)
    return builder


_SUPPORTED: bool | None = None


def fast_builders_supported() -> bool:
    """True when builders made here have exactly the state of hdmf's own (checked once per process)."""
    global _SUPPORTED
    if _SUPPORTED is None:
        try:
            data = np.arange(3)
            ours = make_dataset_builder("d", data, data.dtype, {"a": 1}, (None,), "/x")
            theirs = DatasetBuilder("d", data=data, dtype=data.dtype, attributes={"a": 1}, maxshape=(None,),
                                    source="/x")
            group = make_group_builder("g", [], [ours], {"b": "t"}, [make_link_builder(ours, "l", "/x")], "/x")
            their_group = GroupBuilder("g", datasets=[theirs], attributes={"b": "t"},
                                       links=[LinkBuilder(builder=theirs, name="l", source="/x")], source="/x")
            same = (vars(ours) == vars(theirs) and dict(ours) == dict(theirs)
                    and vars(group).keys() == vars(their_group).keys()
                    and group.obj_type == their_group.obj_type and dict(group) == dict(their_group)
                    and ours.parent is group and theirs.parent is their_group)
        except Exception:
            same = False
        _SUPPORTED = bool(same)
    return _SUPPORTED


#: (file type, numpy dtype, h5py memory type) of the scalar attribute types read the short way so far (vlen
#: strings: neurodata_type, namespace, unit...; integers and floats: conversion, rate...), matched with H5Tequal
_SCALAR_TYPES: list = []
_MAX_SCALAR_TYPES = 16


def _scalar_types(file_type) -> tuple | None:
    """(dtype, memory type) h5py reads a scalar attribute of ``file_type`` with, when it is a vlen string, an
    integer or a float; else None. Asking h5py for the dtype of each attribute costs more than matching it."""
    for known, dtype, memory_type in _SCALAR_TYPES:
        if file_type.equal(known):
            return dtype, memory_type
    if isinstance(file_type, h5t.TypeStringID):
        if not file_type.is_variable_str():
            return None
    elif not isinstance(file_type, h5t.TypeIntegerID | h5t.TypeFloatID):
        return None
    dtype = file_type.dtype
    memory_type = h5t.py_create(dtype)
    if len(_SCALAR_TYPES) < _MAX_SCALAR_TYPES:
        _SCALAR_TYPES.append((file_type.copy(), dtype, memory_type))  # a copy: never a file's committed type
    return dtype, memory_type


def attribute_index(plist) -> int:
    """The index h5py's ``AttributeManager`` lists an object's attributes by (creation order when tracked)."""
    return h5py.h5.INDEX_CRT_ORDER if plist.get_attr_creation_order() & h5p.CRT_ORDER_TRACKED else h5py.h5.INDEX_NAME


def read_attribute(attr):
    """The value of one attribute as h5py's ``AttributeManager[name]`` reads it (vlen strings as str, scalars as
    numpy scalars, empty dataspaces as ``h5py.Empty``), its type and dataspace asked once."""
    file_type = attr.get_type()
    space = attr.get_space()
    known = _scalar_types(file_type) if space.get_simple_extent_type() == h5s.SCALAR else None
    if known is not None:  # most NWB attributes
        dtype, memory_type = known
        arr = np.zeros((), dtype=dtype)
        attr.read(arr, mtype=memory_type)
        value = arr[()]
        return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
    shape = space.get_simple_extent_dims()
    dtype = file_type.dtype
    if shape is None:
        return h5py.Empty(dtype)
    htype = h5t.py_create(dtype)
    if dtype.subdtype is not None:
        subdtype, subshape = dtype.subdtype
        shape = shape + subshape
        dtype = subdtype
    arr = np.zeros(shape, dtype=dtype, order="C")
    attr.read(arr, mtype=htype)
    string_info = h5t.check_string_dtype(dtype)
    if string_info and string_info.length is None:
        arr = np.array([b.decode("utf-8", "surrogateescape") for b in arr.flat], dtype=dtype).reshape(arr.shape)
    return arr[()] if arr.ndim == 0 else arr


def read_attributes(oid, index_type: int) -> dict:
    """Every attribute of the object ``oid`` by name, in the order of ``index_type`` (:func:`attribute_index`),
    as h5py's ``AttributeManager.items()`` reads them: names listed in one pass, each attribute opened by name."""
    names: list = []
    h5a.iterate(oid, names.append, index_type=index_type)
    values = {}
    for raw in names:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Unsupported("attribute name not UTF-8") from None
        values[name] = read_attribute(h5a.open(oid, raw))
    return values


def list_links(gid, plist) -> list:
    """(name, link type) of every link of the group ``gid`` (creation property list ``plist``), in the order
    h5py's ``Group.__iter__`` lists them (creation order when tracked), in one pass."""
    tracked = plist.get_link_creation_order() & h5p.CRT_ORDER_TRACKED
    links: list = []
    gid.links.iterate(lambda name, info: links.append((name, info.type)),
                      idx_type=h5py.h5.INDEX_CRT_ORDER if tracked else h5py.h5.INDEX_NAME, info=True)
    return links


class BuilderReader:
    """Reads the builders of one file for ``io`` (an :class:`ValidatorIO`), as hdmf's ``HDF5IO`` does."""

    def __init__(self, io, h5: h5py.File) -> None:
        self.io = io
        self.file = h5
        self.filename = h5.filename
        self.source = os.path.abspath(h5.filename)
        #: ObjectID -> builder of every object read (hdmf's ``__built`` for this file)
        self.built: dict = {}
        self._written = io._written_builders

    def read(self):
        """The root GroupBuilder (hdmf's ``read_builder``)."""
        ignore = set()
        specs = spec_group(self.file)
        if specs is not None:
            ignore.add(specs.name)
        # the root group, not the file: h5py lists the root's attributes and links through it (in creation order
        # when the root tracks it), never through the file's creation property list
        return self._group(h5o.open(self.file.id, b"/"), "/", "root", ignore)

    def _attributes(self, oid, index_type: int) -> dict:
        values = read_attributes(oid, index_type)
        values.pop(SPEC_LOC_ATTR, None)
        for key, value in values.items():
            if isinstance(value, h5py.Reference):
                values[key] = self._reference(self.file[value])
            elif isinstance(value, bytes):
                values[key] = value.decode("UTF-8")
        return values

    def _reference(self, obj):
        """hdmf's ``__read_ref``: the builder of a referenced object (read now if it was not yet)."""
        builder = self.built.get(obj.id)
        if builder is None:
            if isinstance(obj, h5py.Dataset):
                builder = self._dataset(obj.id, obj.name, None)
            elif isinstance(obj, h5py.Group):
                builder = self._group(obj.id, obj.name, None, set())
            else:
                raise ValueError(f"h5obj must be a Dataset or a Group - got {obj}")
            self.built.setdefault(obj.id, builder)
        return builder

    def _child_path(self, path: str, key: str) -> str:
        return "/" + key if path == "/" else path + "/" + key

    def _split(self, path: str) -> tuple[str, str]:
        """(location, name) of an object's path, as hdmf takes them (``os.path.dirname``, ``basename``)."""
        location, _, name = path.rpartition("/")
        return location or "/", name

    def _group(self, gid, path: str, name: str | None, ignore: set):
        plist = gid.get_create_plist()
        attributes = self._attributes(gid, attribute_index(plist))
        location, basename = self._split(path)
        if name is None:
            name = basename
        groups: dict = {}
        datasets: dict = {}
        links: dict = {}
        for raw, kind in list_links(gid, plist):
            try:
                key = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Unsupported("link name not UTF-8") from None
            child_path = self._child_path(path, key)
            if kind == h5l.TYPE_HARD:
                if child_path in ignore:
                    continue
                oid = h5o.open(gid, raw)
                builder = self.built.get(oid)
                if isinstance(oid, h5py.h5d.DatasetID):
                    if builder is None:
                        builder = self._dataset(oid, child_path, None)
                        self.built.setdefault(oid, builder)
                    datasets[builder.name] = builder
                elif isinstance(oid, h5py.h5g.GroupID):
                    if builder is None:
                        builder = self._group(oid, child_path, None, ignore)
                        self.built.setdefault(oid, builder)
                    groups[builder.name] = builder
                else:
                    raise Unsupported(f"{child_path}: a named datatype")
            elif kind == h5l.TYPE_SOFT:
                group = h5py.Group(gid)
                sub = group.get(key)
                if sub is None:
                    warnings.warn("Path to Group altered/broken at " + os.path.join(path, key), _broken_link_warning(),
                                  stacklevel=2)
                    datasets[key] = None
                    continue
                if sub.name in ignore:
                    continue
                target_path = group.get(key, getlink=True).path
                target = sub.file[target_path]
                builder_name = os.path.basename(target_path)
                builder = self.built.get(target.id)
                if builder is None:
                    if isinstance(target, h5py.Dataset):
                        builder = self._dataset(target.id, target.name, builder_name)
                    else:
                        builder = self._group(target.id, target.name, builder_name, ignore)
                    self.built.setdefault(target.id, builder)
                link = make_link_builder(builder, key, self.source)
                link.location = path
                self._written.set_written(link)
                links[builder_name] = link
            else:
                raise Unsupported(f"{child_path}: an external or user-defined link")
        builder = make_group_builder(name, list(groups.values()), list(datasets.values()), attributes,
                                     list(links.values()), self.source)
        builder.location = location
        self._written.set_written(builder)
        return builder

    def _dataset(self, did, path: str, name: str | None):
        attributes = self._attributes(did, attribute_index(did.get_create_plist()))
        dtype = did.dtype
        space = did.get_space()
        shape = space.get_simple_extent_dims()
        dims = space.get_simple_extent_dims(True)  # h5py's Dataset.maxshape
        maxshape = None if dims is None else tuple(x if x != h5s.UNLIMITED else None for x in dims)
        location, basename = self._split(path)
        if name is None:
            name = basename
        if len(shape) == 0 and dtype.kind in "fiub":  # a number (starting_time, rate...): h5py's scalar read
            value = np.zeros((), dtype=dtype)
            did.read(h5s.ALL, h5s.ALL, value)
            builder = make_dataset_builder(name, value[()], dtype, attributes, maxshape, self.source)
            builder.location = location
            self._written.set_written(builder)
            return builder
        dataset = h5py.Dataset(did)
        if len(shape) == 0:
            if h5t.check_string_dtype(dtype) is None:
                raise Unsupported(f"{path}: a scalar of kind {dtype.kind!r}")
            data = dataset[()]
            if isinstance(data, bytes):
                data = data.decode("UTF-8")
        elif dtype.kind == "O" and shape[0] > 0:
            first = dataset[tuple([0] * len(shape))]
            data = None
            if isinstance(first, (str, bytes)):
                data = StrDataset(dataset, None) if dtype.metadata.get("vlen") is str else dataset
            elif isinstance(first, h5py.Reference):
                data = BuilderH5ReferenceDataset(dataset, self.io)
                dtype = data.dtype
        elif dtype.kind == "V":
            ref_cols = [h5py.check_dtype(ref=dtype[i]) or h5py.check_dtype(vlen=dtype[i]) for i in range(len(dtype))]
            data = BuilderH5TableDataset(dataset, self.io, ref_cols)
            fields = zip(dataset.dtype.fields, data.dtype, strict=False)
            dtype = [{"name": field, "dtype": sub} for field, sub in fields]
        else:
            data = dataset
        builder = make_dataset_builder(name, data, dtype, attributes, maxshape, self.source)
        builder.location = location
        self._written.set_written(builder)
        return builder


def _broken_link_warning():
    from hdmf.backends.hdf5.h5tools import BrokenLinkWarning

    return BrokenLinkWarning


class ValidatorIO(NWBHDF5IO):
    """``NWBHDF5IO`` reading its builders with :class:`BuilderReader` (hdmf's own reader when that gives way);
    same arguments (``file=``, ``mode="r"``, ``manager=`` or ``load_namespaces=``). Only the read path differs."""

    _fast_root = None
    _fast_reader = None

    def read_builder(self):
        """The root builder, read once (hdmf keeps its own the same way)."""
        if self._fast_root is None:
            self._fast_root = False
            if fast_builders_supported():
                reader = BuilderReader(self, self._file)
                try:
                    self._fast_root, self._fast_reader = reader.read(), reader
                except Exception:  # hdmf's reader reads the file instead (and raises its own error, if any)
                    self._fast_root, self._fast_reader = False, None
        if self._fast_root:
            return self._fast_root
        return super().read_builder()

    def get_builder(self, h5obj):
        """The builder read for ``h5obj`` (resolves references in reference datasets)."""
        if self._fast_reader is None:
            return super().get_builder(h5obj)
        builder = self._fast_reader.built.get(h5obj.id)
        if builder is None:
            raise ValueError(f"{h5obj.file.filename}:{h5obj.name} has not been built")
        return builder
