"""The per-process type map cache: files caching the same specs share one type map (a new BuildManager each);
a file whose cached spec differs gets its own."""

from __future__ import annotations

import json
import shutil

import h5py
from pynwb import NWBHDF5IO

from nwbtms.validate import namespaces_cache

MODIFIED = "a doc changed in this file's cached spec only"


def _modify_ndx_tms_doc(path) -> str:
    with h5py.File(path, "r+") as h5:
        versions = h5["specifications/ndx-tms"]
        group = versions[sorted(versions)[-1]]
        name = next(n for n in group if n != "namespace")
        spec = json.loads(group[name][()])
        spec["groups"][0]["doc"] = MODIFIED
        del group[name]
        group.create_dataset(name, data=json.dumps(spec))
        return spec["groups"][0]["neurodata_type_def"]


def test_same_specs_share_a_type_map_and_a_modified_spec_does_not(complete_nwb, tmp_path):
    same, modified = tmp_path / "same.nwb", tmp_path / "modified.nwb"
    shutil.copyfile(complete_nwb, same)
    shutil.copyfile(complete_nwb, modified)
    data_type = _modify_ndx_tms_doc(modified)
    namespaces_cache.clear()
    with h5py.File(complete_nwb, "r") as a, h5py.File(same, "r") as b, h5py.File(modified, "r") as c:
        first, second, third = (namespaces_cache.build_manager(h5) for h5 in (a, b, c))
        assert first is not second and first.type_map is second.type_map
        assert third.type_map is not first.type_map
        # the spec each reads is the one NWBHDF5IO(load_namespaces=True) reads (hdmf keeps an installed namespace
        # of the same version)
        for manager, h5 in ((first, a), (third, c)):
            fresh = NWBHDF5IO(file=h5, mode="r", load_namespaces=True).manager
            assert (manager.namespace_catalog.get_spec("ndx-tms", data_type).doc
                    == fresh.namespace_catalog.get_spec("ndx-tms", data_type).doc)


def test_validators_are_those_of_pynwb_from_the_cached_specs_kept_per_entry(complete_nwb, tmp_path):
    """The validators are pynwb's (same namespaces) built from the file's cached specs, not from the type map,
    which keeps the installed ndx-tms of the same version: a doc changed in the cached spec is the doc they
    check against. They are resolved once per entry."""
    from pynwb.validation import get_cached_namespaces_to_validate

    modified = tmp_path / "modified.nwb"
    shutil.copyfile(complete_nwb, modified)
    data_type = _modify_ndx_tms_doc(modified)
    namespaces_cache.clear()
    with h5py.File(complete_nwb, "r") as same, h5py.File(modified, "r") as changed:
        for h5 in (same, changed):
            entry = namespaces_cache.cached_specs(h5)
            names, _manager, _ = get_cached_namespaces_to_validate(io=NWBHDF5IO(file=h5, mode="r"))
            assert [v.namespace.name for v in entry.validators(h5)] == names
            assert entry.validators(h5) is entry.validators(h5)
        (tms,) = [v for v in entry.validators(changed) if v.namespace.name == "ndx-tms"]
        assert tms.namespace.catalog.get_spec(data_type).doc == MODIFIED
        assert entry.type_map.namespace_catalog.get_spec("ndx-tms", data_type).doc != MODIFIED


def test_spec_group_is_opened_by_its_path(complete_nwb, tmp_path):
    """The group ``.specloc`` references, opened by path (HDF5 names an object opened by reference by searching
    the whole file); a ``.specloc`` pointing elsewhere is still followed."""
    with h5py.File(complete_nwb, "r") as h5:
        group = namespaces_cache.spec_group(h5)
        assert group.name == "/specifications" and group.id == h5[h5.attrs[".specloc"]].id
    moved = tmp_path / "moved.nwb"
    shutil.copyfile(complete_nwb, moved)
    with h5py.File(moved, "r+") as h5:
        h5.move("specifications", "specs_elsewhere")
        h5.attrs[".specloc"] = h5["specs_elsewhere"].ref
    with h5py.File(moved, "r") as h5:
        assert namespaces_cache.spec_group(h5).name == "/specs_elsewhere"
        assert namespaces_cache.specifications_key(h5)
