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
