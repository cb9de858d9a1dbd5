"""The wheel ships the spec inside the package, so an installed ndx_tms loads without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_wheel_contains_spec_and_package(tmp_path):
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         str(EXTENSION)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("ndx_tms-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"ndx_tms/spec/ndx-tms.namespace.yaml", "ndx_tms/spec/ndx-tms.extensions.yaml",
            "ndx_tms/__init__.py", "ndx_tms/testing.py"} <= names
    assert not any(name.startswith("tests/") for name in names)
