"""Bruker PrairieView VoltageRecording (``*_VoltageRecording_NNN.csv`` + ``.xml``) as a :class:`Recording`.

PrairieView records the analog inputs of an imaging session (a wired TMS trigger among them) on the
imaging clock. :func:`nwbtms.sources.imaging.read_voltage_recording` reads the pair (columns mapped by the
XML's enabled-signal order); this adapter serves it through the DAQ interface,
so detection and the ``nwbtms pulses detect`` command take it like any DAQ file.

One segment starting at the first row's time (the CSV's time column, ms); rate from ``Experiment/Rate``;
every enabled signal is an analog channel in its ``Unit/UnitName``, values as written in the CSV. The CSV
is streamed front to back (:class:`~nwbtms.sources.daq.base.SequentialRecording`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nwbtms.sources.daq.base import ChannelInfo, Segment, SequentialRecording, check_sample_rate
from nwbtms.sources.imaging.bruker_voltage import is_voltage_recording_master, read_voltage_recording

#: CSV rows parsed at a time (numpy.loadtxt per block of lines; about 1 MB of work memory).
BLOCK_ROWS = 1 << 12


class BrukerVoltageRecording(SequentialRecording):
    """A PrairieView VoltageRecording opened from its ``.csv`` or ``.xml`` (the other beside it)."""

    name = "bruker_voltage"
    display_name = "Bruker PrairieView VoltageRecording"
    suffixes = (".xml", ".csv")
    info = "PrairieView's analog inputs beside a T-series: *_VoltageRecording_NNN.csv and its master .xml."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if path.suffix.lower() == ".csv":
            return "_VoltageRecording_" in path.name
        return is_voltage_recording_master(path)

    @classmethod
    def select(cls, paths: list[Path]) -> list[Path]:
        """The master XMLs of a folder when it has any (each names its CSV), else the CSVs."""
        masters = [p for p in paths if p.suffix.lower() == ".xml"]
        return masters or paths

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self._voltage = read_voltage_recording(path)
        rate = check_sample_rate(self._voltage.sample_rate_hz, file=self._voltage.xml_path, field="Experiment/Rate")
        rows = self._voltage.iter_chunks(samples_per_chunk=1)
        first = next(rows, None)
        rows.close()
        start_s = float(first[0][0]) if first is not None else 0.0
        with open(self._voltage.csv_path, encoding="utf-8-sig") as handle:
            handle.readline()
            num_rows = sum(1 for line in handle if line.strip())
        channels = [ChannelInfo(s.name, "analog", s.unit, i) for i, s in enumerate(self._voltage.signals)]
        super().__init__(
            path=self._voltage.csv_path,
            format="bruker_voltage",
            sample_rate_hz=rate,
            channels=channels,
            segments=[Segment(0, start_s, num_rows)],
            metadata={
                "xml": str(self._voltage.xml_path),
                "input_channels": {s.name: s.channel for s in self._voltage.signals},
            },
        )

    def _blocks(self, info: ChannelInfo) -> Iterator[np.ndarray]:
        for _, values in self._voltage.iter_chunks(samples_per_chunk=BLOCK_ROWS):
            yield np.ascontiguousarray(values[:, info.index])
