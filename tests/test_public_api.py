"""The public API: every name of ``nwbtms.__all__`` resolves, and ``import nwbtms`` alone imports no pynwb."""

from __future__ import annotations

import subprocess
import sys


def test_every_public_name_resolves():
    import nwbtms

    missing = [name for name in nwbtms.__all__ if getattr(nwbtms, name, None) is None]
    assert missing == []
    assert set(nwbtms.__all__) <= set(dir(nwbtms))


def test_import_nwbtms_stays_light():
    code = "import sys, nwbtms; print(sorted(m for m in ('pynwb', 'h5py', 'dask') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
