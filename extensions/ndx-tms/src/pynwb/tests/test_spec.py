"""The committed YAML is valid against the meta-schema pynwb ships, and regenerating it changes nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pynwb
from hdmf.testing.validate_spec import validate_spec

EXTENSION = Path(__file__).resolve().parents[3]
SPEC = EXTENSION / "spec"
META_SCHEMA = Path(pynwb.__file__).parent / "nwb-schema" / "nwb.schema.json"


def test_spec_validates_against_meta_schema():
    for path in sorted(SPEC.glob("*.yaml")):
        validate_spec(str(path), str(META_SCHEMA))


def test_regenerating_the_spec_changes_nothing(tmp_path):
    spec_module = importlib.util.spec_from_file_location(
        "create_extension_spec", EXTENSION / "src" / "spec" / "create_extension_spec.py"
    )
    module = importlib.util.module_from_spec(spec_module)
    spec_module.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("ndx-tms.namespace.yaml", "ndx-tms.extensions.yaml"):
        assert (tmp_path / name).read_text() == (SPEC / name).read_text(), (
            f"{name} is stale: run `make spec` and commit the YAML"
        )


def test_package_version_matches_namespace():
    import ndx_tms
    import yaml

    namespace = yaml.safe_load((SPEC / "ndx-tms.namespace.yaml").read_text())["namespaces"][0]
    assert namespace["version"] == ndx_tms.__version__
