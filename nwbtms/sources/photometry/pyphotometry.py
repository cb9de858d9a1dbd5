"""pyPhotometry ``.ppd`` files (Akam & Walton 2019, Sci Rep 9:3521; format: the pyPhotometry docs, "Data
files", and its ``import_ppd`` function).

Layout: 2 bytes (little-endian unsigned) giving the header length, a UTF-8 JSON header (``subject_ID``,
``date_time``, ``mode``, ``sampling_rate`` in Hz, ``volts_per_division``, ``LED_current``, ``version``; from
1.0 ``n_analog_signals`` and ``n_digital_signals``; from 1.1 ``ADC_max_value``), then little-endian uint16
words: the 15 high bits are an analog sample (times ``volts_per_division``), the low bit a digital input.
Words are interleaved sample by sample: one word per analog signal (digital input ``d`` is the low bit of
word ``d``); from version 1.1 in pulsed modes two words per signal, the LED-on sample then the LED-off
(baseline) sample, the signal being their difference (digital input ``d`` in word ``2 d``). Files before 1.0
always have two analog and two digital signals.

In time-division modes (``pulsed``, and ``time div.`` before 1.0) the signals of one sampling cycle are read one
after another, so signal ``k`` (and digital input ``k``, read with it) starts ``k / (n rate)`` after the first.

Streams: ``analog_<n>`` (kind ``signal``, volts); in 1.1+ pulsed files also ``analog_<n>_led_on`` and
``analog_<n>_baseline`` (kind ``raw``). Digital inputs ``digital_<n>``. The data part is memory-mapped and
read by sample range, so memory stays bounded whatever the recording's length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.photometry.base import BLOCK_SAMPLES, PhotometryRecording, PhotometryStream, rising_edges_in_blocks
from nwbtms.sources.registry import Reader, head_bytes

#: the longest header accepted (real headers are a few hundred bytes)
MAX_HEADER_BYTES = 1 << 16
REQUIRED_KEYS = ("sampling_rate", "volts_per_division", "mode", "version")


def parse_version(value) -> tuple[int, ...]:
    """``'1.1.2'`` or the number ``0.2`` (files before 1.0 write a number) as a tuple of ints."""
    parts = []
    for part in str(value).split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def read_header(path: Path) -> tuple[dict, int]:
    """The JSON header of a ``.ppd`` file and the byte offset of its data.

    Raises
    ------
    SourceError
        Too short, a header length past the file, a header that is not a JSON object, or a required key missing.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(2)
        if len(head) < 2:
            raise SourceError("file too short for a pyPhotometry header", file=path, field="header",
                              hint="a .ppd file starts with 2 bytes giving its JSON header's length")
        length = int.from_bytes(head, "little")
        if length == 0 or length > MAX_HEADER_BYTES or 2 + length > size:
            raise SourceError(f"header length {length} does not fit the file ({size} bytes)", file=path,
                              field="header", hint="the file is truncated or not a pyPhotometry .ppd file")
        text = handle.read(length)
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"header is not JSON ({exc})", file=path, field="header",
                          hint="not a pyPhotometry .ppd file (or a damaged one)") from None
    if not isinstance(header, dict):
        raise SourceError("header is not a JSON object", file=path, field="header")
    missing = [key for key in REQUIRED_KEYS if key not in header]
    if missing:
        raise SourceError(f"header lacks {', '.join(missing)}", file=path, field=f"header/{missing[0]}",
                          hint="pyPhotometry writes these keys in every version; the file is not a .ppd file")
    return header, 2 + length


def read_ppd(path: str | Path) -> PhotometryRecording:
    """Open a pyPhotometry ``.ppd`` file (see the module docstring).

    Raises
    ------
    SourceError
        A malformed header (named key), a non-positive sampling rate, a data part that is not whole words, or no
        complete sample.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("pyPhotometry file not found", file=path)
    header, offset = read_header(path)
    version = parse_version(header["version"])
    rate = header["sampling_rate"]
    if not isinstance(rate, int | float) or not rate > 0:
        raise SourceError(f"sampling_rate must be a positive number, got {rate!r}", file=path,
                          field="header/sampling_rate")
    volts = header["volts_per_division"]
    volts = volts[0] if isinstance(volts, list) and volts else volts
    if not isinstance(volts, int | float) or not volts > 0:
        raise SourceError(f"volts_per_division must be positive, got {header['volts_per_division']!r}", file=path,
                          field="header/volts_per_division")
    n_analog = 2 if version < (1, 0) else int(header.get("n_analog_signals", 0))
    n_digital = 2 if version < (1, 0) else int(header.get("n_digital_signals", 0))
    if n_analog < 1:
        raise SourceError(f"n_analog_signals must be at least 1, got {header.get('n_analog_signals')!r}",
                          file=path, field="header/n_analog_signals")
    mode = str(header["mode"])
    pulsed = version >= (1, 1) and "pulsed" in mode
    words = n_analog * (2 if pulsed else 1)
    data_bytes = path.stat().st_size - offset
    if data_bytes % 2:
        raise SourceError(f"data part of {data_bytes} bytes is not whole 16-bit words", file=path, field="data",
                          hint="the file is truncated; re-copy it from the acquisition computer")
    samples = data_bytes // 2 // words
    if samples < 1:
        raise SourceError("no complete sample after the header", file=path, field="data",
                          hint="the recording was stopped before its first sample")
    data = np.memmap(path, dtype="<u2", mode="r", offset=offset, shape=(samples * words,)) \
        if samples * words else np.zeros(0, dtype="<u2")
    table = data.reshape(samples, words)
    rate = float(rate)

    def analog(column: int):
        return lambda a, b: (table[a:b, column] >> 1).astype(np.float64) * volts

    def difference(on: int, off: int):
        return lambda a, b: ((table[a:b, on] >> 1).astype(np.float64) - (table[a:b, off] >> 1)) * volts

    # time-division modes sample the signals one after another within each cycle: signal k at k / (n rate)
    divided = "pulsed" in mode or "time div" in mode
    slot_s = (lambda k: k / (rate * n_analog)) if divided else (lambda k: 0.0)
    streams: dict[str, PhotometryStream] = {}
    for a in range(n_analog):
        name = f"analog_{a + 1}"
        if pulsed:
            streams[name] = PhotometryStream(
                name=name, kind="signal", num_samples=samples, rate_hz=rate, unit="volts",
                reader=difference(2 * a, 2 * a + 1), first_time_s=slot_s(a),
                description=f"pyPhotometry analog signal {a + 1} ({mode}): LED-on sample minus LED-off baseline.")
        else:
            streams[name] = PhotometryStream(
                name=name, kind="signal", num_samples=samples, rate_hz=rate, unit="volts", reader=analog(a),
                first_time_s=slot_s(a), description=f"pyPhotometry analog signal {a + 1} ({mode}).")
    if pulsed:
        for a in range(n_analog):
            for suffix, column, what in (("led_on", 2 * a, "LED-on"), ("baseline", 2 * a + 1, "LED-off baseline")):
                name = f"analog_{a + 1}_{suffix}"
                streams[name] = PhotometryStream(
                    name=name, kind="raw", num_samples=samples, rate_hz=rate, unit="volts",
                    reader=analog(column), first_time_s=slot_s(a),
                    description=f"pyPhotometry analog signal {a + 1}, raw {what} samples ({mode}).")

    def digital(column: int, first_s: float):
        def edges() -> np.ndarray:
            blocks = ((s, table[s:s + BLOCK_SAMPLES, column] & 1) for s in range(0, samples, BLOCK_SAMPLES))
            return rising_edges_in_blocks(blocks, lambda i: first_s + i / rate)
        return edges

    step = 2 if pulsed else 1
    inputs = {f"digital_{d + 1}": digital(step * d, slot_s(d)) for d in range(n_digital) if step * d < words}

    def close() -> None:
        mm = getattr(data, "_mmap", None)
        if mm is not None:
            mm.close()

    return PhotometryRecording(path=path, reader="pyphotometry", streams=streams, digital_inputs=inputs, mode=mode,
                               start_time=str(header.get("date_time")) if header.get("date_time") else None,
                               subject=str(header.get("subject_ID")) if header.get("subject_ID") else None,
                               header=header, closer=close)


class PyPhotometryReader(Reader):
    """pyPhotometry ``.ppd`` as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "pyphotometry"
    kind = "photometry"
    display_name = "pyPhotometry .ppd"
    suffixes = (".ppd",)
    info = "pyPhotometry binary data file: JSON header, interleaved 16-bit analog+digital words (pyPhotometry docs)."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A 2-byte header length followed by a JSON object naming ``sampling_rate``."""
        head = head_bytes(path, 4096)
        if len(head) < 3:
            return False
        length = int.from_bytes(head[:2], "little")
        return 0 < length <= MAX_HEADER_BYTES and head[2:3] == b"{" and b"sampling_rate" in head[2:2 + length]

    @classmethod
    def open(cls, path: Path) -> PhotometryRecording:
        return read_ppd(path)


__all__ = ["PyPhotometryReader", "parse_version", "read_header", "read_ppd"]
