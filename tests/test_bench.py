"""Every benchmark imports without the optional extras, and one whose extra is missing says what it skipped.

The extras are hidden from this process for each test (``sys.modules[name] = None``: ``import name`` raises
ImportError and ``importlib.util.find_spec(name)`` returns None, as when the package is not installed). The
benchmarks themselves are not run here (they print ratios; tests never assert timings).
"""

from __future__ import annotations

import importlib
import sys

import pytest

#: Packages of the optional extras (setup.cfg ``fast``, ``dask``, ``remote``, ``report``, ``neuroconv``, ``bench``)
EXTRAS = ("distributed", "dask", "remfile", "hdf5plugin", "isal", "deflate", "matplotlib", "psutil", "neuroconv")


@pytest.fixture
def without_extras(monkeypatch):
    for name in EXTRAS:
        monkeypatch.setitem(sys.modules, name, None)


def _fresh(monkeypatch, name: str):
    """``bench.<name>`` imported again, so its module-level imports run without the extras."""
    monkeypatch.delitem(sys.modules, f"bench.{name}", raising=False)
    return importlib.import_module(f"bench.{name}")


def test_every_benchmark_imports_without_the_extras(without_extras, monkeypatch):
    from bench.__main__ import bench_modules

    names = bench_modules()
    assert {"bench_cluster", "bench_imaging", "bench_remote", "bench_validate"} <= set(names)
    for name in names:
        assert callable(_fresh(monkeypatch, name).main), name


@pytest.mark.parametrize(("name", "extra"), [("bench_cluster", "dask"), ("bench_remote", "remote"),
                                             ("bench_report", "report")])
def test_a_benchmark_without_its_extra_says_what_it_skipped(without_extras, monkeypatch, capsys, name, extra):
    assert _fresh(monkeypatch, name).main([]) in (None, 0)
    out = capsys.readouterr().out
    assert out.startswith("skipped: ") and f"pip install 'nwbtms[{extra}]'" in out


def test_the_imaging_benchmark_skips_the_fast_profile_without_hdf5plugin(without_extras, monkeypatch, capsys,
                                                                          tmp_path):
    bench_imaging = _fresh(monkeypatch, "bench_imaging")
    assert bench_imaging.measure("fast", tmp_path / "movie.h5") is None
    assert "fast: skipped (hdf5plugin not installed; pip install 'nwbtms[fast]')" in capsys.readouterr().out
