"""Benchmarks: one ``bench_<area>.py`` module per benchmark, each exposing ``main()``.

Run one with ``python -m bench.bench_<area>``, all with ``python -m bench`` (from the repo root).
Each prints its times and ratios against a baseline measured in the same run; none asserts a time.
"""
