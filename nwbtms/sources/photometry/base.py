"""What every photometry reader returns: a :class:`PhotometryRecording` of named streams read lazily in blocks.

A stream is one sampled signal of the recording on the device's own clock:

- ``signal``: a per-excitation signal, what analysis uses (Doric lock-in demodulated ``AIN01xAOUT01-LockIn``;
  pyPhotometry's ``analog_1``, background-subtracted in pulsed modes);
- ``raw``: what the photodetector input saw before demodulation (Doric ``AnalogIn/AIN01``; pyPhotometry 1.1+
  pulsed modes keep each signal's LED-on and LED-off samples, ``analog_1_led_on``, ``analog_1_baseline``).

Digital inputs are kept as their rising-edge times (device clock, s), found block by block on first use: the
shared signal that puts the recording on the session clock (e.g. the TMS trigger on a digital input).
Streams never load a whole recording: :meth:`PhotometryStream.read` takes a sample range and
:meth:`PhotometryStream.blocks` yields bounded blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nwbtms.errors import ChannelNotFoundError

#: Samples per block for streamed reads (1 M float64 = 8 MB).
BLOCK_SAMPLES = 1 << 20

StreamKind = Literal["signal", "raw"]


@dataclass
class PhotometryStream:
    """One sampled stream: values in ``unit`` and device times in s, read by sample range."""

    name: str
    kind: StreamKind
    num_samples: int
    rate_hz: float
    unit: str
    description: str
    #: ``read(start, stop)`` -> float64 values of samples ``start:stop``
    reader: Callable[[int, int], np.ndarray] = field(repr=False)
    #: ``times(start, stop)`` -> device times in s; None: regular, ``first_time_s + i / rate_hz``
    time_reader: Callable[[int, int], np.ndarray] | None = field(default=None, repr=False)
    first_time_s: float = 0.0

    def _range(self, start: int, stop: int | None) -> tuple[int, int]:
        stop = self.num_samples if stop is None else min(int(stop), self.num_samples)
        return max(0, int(start)), max(max(0, int(start)), stop)

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Values of samples ``start:stop`` (float64, in :attr:`unit`)."""
        start, stop = self._range(start, stop)
        return np.asarray(self.reader(start, stop), dtype=np.float64)

    def times(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Device-clock times (s) of samples ``start:stop``."""
        start, stop = self._range(start, stop)
        if self.time_reader is not None:
            return np.asarray(self.time_reader(start, stop), dtype=np.float64)
        return self.first_time_s + np.arange(start, stop, dtype=np.float64) / self.rate_hz

    def blocks(self, block_samples: int = BLOCK_SAMPLES) -> Iterator[tuple[int, np.ndarray]]:
        """``(first sample, values)`` blocks of at most ``block_samples`` samples, in order."""
        for start in range(0, self.num_samples, block_samples):
            yield start, self.read(start, start + block_samples)


@dataclass
class PhotometryRecording:
    """A photometry file: its streams, digital inputs and header (see the module docstring)."""

    path: Path
    reader: str
    streams: dict[str, PhotometryStream]
    #: digital input name -> function computing its rising-edge times (device clock, s)
    digital_inputs: dict[str, Callable[[], np.ndarray]] = field(default_factory=dict, repr=False)
    #: acquisition mode as the file names it (e.g. ``2EX_1EM_pulsed``, ``lock-in``)
    mode: str = ""
    #: recording start as the file gives it (ISO 8601 text, often without a UTC offset), or None
    start_time: str | None = None
    subject: str | None = None
    header: dict[str, Any] = field(default_factory=dict, repr=False)
    closer: Callable[[], None] | None = field(default=None, repr=False)
    _edges: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def stream(self, name: str) -> PhotometryStream:
        """The stream ``name``.

        Raises
        ------
        ChannelNotFoundError
            No such stream; the message lists the streams there are.
        """
        if name not in self.streams:
            raise ChannelNotFoundError(f"no photometry stream {name!r}", file=self.path, field=name,
                                       hint=f"streams of this file: {', '.join(self.streams) or 'none'}")
        return self.streams[name]

    def rising_edges(self, name: str) -> np.ndarray:
        """Rising-edge times (device clock, s) of digital input ``name`` (computed once, block by block).

        Raises
        ------
        ChannelNotFoundError
            No such digital input; the message lists the ones there are.
        """
        if name not in self.digital_inputs:
            raise ChannelNotFoundError(f"no digital input {name!r}", file=self.path, field=name,
                                       hint=f"digital inputs of this file: {', '.join(self.digital_inputs) or 'none'}")
        if name not in self._edges:
            self._edges[name] = np.asarray(self.digital_inputs[name](), dtype=np.float64)
        return self._edges[name]

    def of_kind(self, kind: StreamKind) -> list[PhotometryStream]:
        """The streams of one kind, in file order."""
        return [s for s in self.streams.values() if s.kind == kind]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (``nwbtms inspect``)."""
        return {
            "mode": self.mode, "start_time": self.start_time, "subject": self.subject,
            "streams": [{"name": s.name, "kind": s.kind, "samples": s.num_samples, "rate_hz": round(s.rate_hz, 6),
                         "duration_s": round(s.num_samples / s.rate_hz, 6) if s.rate_hz else None, "unit": s.unit}
                        for s in self.streams.values()],
            "digital_inputs": {name: int(self.rising_edges(name).size) for name in self.digital_inputs},
        }

    def close(self) -> None:
        """Release the file (idempotent)."""
        if self.closer is not None:
            self.closer()
            self.closer = None

    def __enter__(self) -> PhotometryRecording:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def rising_edges_in_blocks(blocks: Iterator[tuple[int, np.ndarray]], times: Callable[[np.ndarray], np.ndarray],
                           *, threshold: float = 0.5) -> np.ndarray:
    """Sample indices of low-to-high crossings of ``threshold`` over ``(first sample, values)`` blocks (state
    carried across blocks; a signal high at its first sample has no edge there), as times via ``times(index)``."""
    found: list[np.ndarray] = []
    previous: bool | None = None
    for start, values in blocks:
        high = np.asarray(values) > threshold
        if high.size == 0:
            continue
        before = np.concatenate(([high[0] if previous is None else previous], high[:-1]))
        found.append(start + np.flatnonzero(high & ~before))
        previous = bool(high[-1])
    indices = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return times(indices)


__all__ = ["BLOCK_SAMPLES", "PhotometryRecording", "PhotometryStream", "StreamKind", "rising_edges_in_blocks"]
