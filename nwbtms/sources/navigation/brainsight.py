"""Read the Brainsight text export (``Exported Brainsight Data.txt``): the Samples section, one row per pulse.

Layout (Brainsight user manual, "Exporting data"; checked on Brainsight 2.3 exports): tab-separated; header lines
``# Version:``, ``# Coordinate system:``, ``# Units:``, ``# Encoding:``; then sections, each introduced by a
``# <Kind> Name<TAB>...`` column line (``Target``, ``Sample``, ``Electrode``, ``Planned Landmark``,
``Session Landmark``). The Samples section has one row per recorded pulse with ``Loc. X/Y/Z`` (mm),
direction cosines ``m{i}n{j}`` (component ``j`` of coil axis ``i``), and, depending on the version,
``Index``, ``Assoc. Target``, ``Dist. to Target``, ``Target Error`` (mm), ``Angular Error`` and
``Twist Error`` (deg), ``Stim. Power``, ``Date``, ``Time`` and EMG columns. Missing values are ``(null)``.
Columns are found by name, so versions with more or fewer columns read alike; only ``Loc. X/Y/Z`` and the
nine ``m{i}n{j}`` are required.

Decisions:

- The recorded matrix has axis ``i`` as column ``i`` and the location as the translation
  (``pose_recorded``). ``pose`` is in the SimNIBS matsimnibs axes: Brainsight's coil x and z axes point
  opposite to SimNIBS's (its z points out of the head), so ``pose = recorded @ diag(-1, 1, -1, 1)`` (the
  mapping of SimNIBS ``simnibs/utils/nnav.py``; checked on the real files, where the recorded z axis points
  away from the head centre). Translations stay in the exported coordinate system (``World`` is DICOM LPS,
  ``Brainsight`` is LPS-like, ``NIfTI:*`` are RAS); no flip is applied.
- Rotations are checked for orthonormality (tolerance
  :data:`ndx_tms_vocabulary.POSE_TOLERANCE`, above the 3-decimal print
  rounding) and handedness; offending rows are listed in ``problems`` with their line, never corrected.
- A row with ``(null)`` in any pose column is an untracked pulse: NaN pose, listed in ``problems``.
- ``time_s`` is seconds since midnight of the first sample's ``Date`` (wall clock); NaN when the export
  has no ``Date``/``Time``.
- ``Stim. Power`` (the output the connected stimulator reported; ``Stim. Power A`` in v12/v14 exports) is
  read as %MSO.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from os import PathLike
from pathlib import Path

import numpy as np

from nwbtms.errors import SourceError
from nwbtms.sources.navigation.navigator_pulses import NavigatorPulses, drop_invalid_poses, pose_problems
from nwbtms.sources.registry import Reader, head_text

#: Brainsight coil axes -> matsimnibs axes (x and z reversed); SimNIBS utils/nnav.py.
BRAINSIGHT_TO_MATSIMNIBS_AXES = np.diag([-1.0, 1.0, -1.0, 1.0])
POSITION_COLUMNS = ("Loc. X", "Loc. Y", "Loc. Z")
COSINE_COLUMNS = tuple(f"m{i}n{j}" for i in range(3) for j in range(3))
MISSING = frozenset({"", "(null)", "null", "nan", "NaN"})
#: Our field -> the column names that hold it, first found wins (Brainsight v12/v14 exports name the
#: stimulator output ``Stim. Power A``, channel A of the connected stimulator; older ones ``Stim. Power``).
OPTIONAL_NUMBERS = {
    "target_error_mm": ("Target Error",),
    "angular_error_deg": ("Angular Error",),
    "twist_error_deg": ("Twist Error",),
    "amplitude_percent_mso": ("Stim. Power", "Stim. Power A"),
}
SPACE_ORIENTATION = {"world": "DICOM LPS", "brainsight": "LPS"}


def read_brainsight(path: str | PathLike) -> NavigatorPulses:
    """Read the Samples section of a Brainsight text export, line by line.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    NavigatorPulses
        One entry per sample row, in file order.

    Raises
    ------
    SourceError
        No Samples section, a required column missing, or a value that is not a number (file, line and
        column named).
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("Brainsight export not found", file=path, hint="check the path")
    header: dict[str, str] = {}
    parser: _SampleParser | None = None
    with open(path, encoding="utf-8-sig", errors="strict", newline="") as handle:
        section = None
        try:
            for line_number, raw in enumerate(handle, start=1):
                text = raw.rstrip("\r\n")
                if text.startswith("#"):
                    body = text[1:].strip()
                    if "\t" in body and body.split("\t", 1)[0].endswith("Name"):
                        section = body.split("\t", 1)[0]
                        if section == "Sample Name":
                            if parser is not None:
                                raise SourceError("second Samples section", file=path, line=line_number,
                                                  hint="export one Brainsight session per file")
                            parser = _SampleParser(path, [c.strip() for c in body.split("\t")], line_number)
                    elif ":" in body and section is None:
                        key, _, value = body.partition(":")
                        header[key.strip().lower()] = value.strip()
                    continue
                if section == "Sample Name" and text.strip():
                    parser.add(line_number, text.split("\t"))
        except UnicodeDecodeError as exc:
            raise SourceError(f"not UTF-8 text ({exc.reason})", file=path,
                              hint="export from Brainsight with Encoding: UTF-8") from None
    if parser is None:
        raise SourceError("no Samples section ('# Sample Name' line)", file=path,
                          hint="export the samples from Brainsight (File > Export, include samples)")
    pulses = parser.finish(header)
    if section == "Sample Name":  # Brainsight writes the electrode and landmark sections after the samples
        pulses.problems.append(f"possibly truncated: the file ends inside the Samples section ({len(pulses)} "
                               "sample(s) read; Brainsight writes electrode and landmark sections after it)")
    return pulses


#: Per-row numbers kept while reading: 3 location, 9 cosines, the optional numbers, time.
_ROW_WIDTH = 3 + 9 + len(OPTIONAL_NUMBERS) + 1


class _SampleParser:
    """Parses Sample rows one at a time into compact arrays (memory bounded by the output)."""

    def __init__(self, path: Path, columns: list[str], header_line: int) -> None:
        missing = [c for c in POSITION_COLUMNS + COSINE_COLUMNS if c not in columns]
        if missing:
            raise SourceError(f"Samples section lacks column(s) {missing}", file=path, line=header_line,
                              field=missing[0], hint="export the samples with location and orientation")
        self.path = path
        self.columns = columns
        self.position = {name: i for i, name in enumerate(columns)}
        self.values = array("d")
        self.lines = array("q")
        self.labels: list[str] = []
        self.first_date: dt.date | None = None

    def _number(self, cells: list[str], column: str, line: int) -> float:
        text = cells[self.position[column]].strip()
        if text in MISSING:
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise SourceError(f"{column} value {text!r} is not a number", file=self.path, line=line,
                              field=column, hint="the export is damaged; export it again") from None

    def add(self, line: int, cells: list[str]) -> None:
        if len(cells) > len(self.columns):
            raise SourceError(f"row has {len(cells)} fields, the Sample header has {len(self.columns)}",
                              file=self.path, line=line, hint="the export is damaged; export it again")
        cells = cells + [""] * (len(self.columns) - len(cells))
        row = [self._number(cells, c, line) for c in POSITION_COLUMNS + COSINE_COLUMNS]
        for names in OPTIONAL_NUMBERS.values():
            column = next((name for name in names if name in self.position), None)
            row.append(self._number(cells, column, line) if column is not None else math.nan)
        time_s = math.nan
        if "Date" in self.position and "Time" in self.position:
            stamp = _timestamp(self.path, line, cells[self.position["Date"]], cells[self.position["Time"]])
            if stamp is not None:
                if self.first_date is None:
                    self.first_date = stamp.date()
                time_s = (stamp - dt.datetime.combine(self.first_date, dt.time())).total_seconds()
        row.append(time_s)
        self.values.extend(row)
        self.lines.append(line)
        label = cells[self.position["Assoc. Target"]].strip() if "Assoc. Target" in self.position else ""
        self.labels.append("" if label in MISSING else label)

    def finish(self, header: dict[str, str]) -> NavigatorPulses:
        table = np.frombuffer(self.values, dtype=np.float64).reshape(-1, _ROW_WIDTH) if len(self.values) \
            else np.zeros((0, _ROW_WIDTH))
        n = table.shape[0]
        location, cosines = table[:, :3], table[:, 3:12].reshape(n, 3, 3)  # cosines[k, i] = axis i
        tracked = np.isfinite(location).all(axis=1) & np.isfinite(cosines).all(axis=(1, 2))
        recorded = np.full((n, 4, 4), np.nan)
        recorded[tracked, :3, :3] = np.swapaxes(cosines[tracked], 1, 2)  # column i = axis i
        recorded[tracked, :3, 3] = location[tracked]
        recorded[tracked, 3] = (0.0, 0.0, 0.0, 1.0)
        numbers = {ours: table[:, 12 + k].copy() for k, ours in enumerate(OPTIONAL_NUMBERS)}
        times = table[:, -1].copy()
        lines = np.asarray(self.lines, dtype=np.int64)
        pose = recorded @ BRAINSIGHT_TO_MATSIMNIBS_AXES
        problems = pose_problems(recorded, [f"line {line}" for line in lines.tolist()])
        pose = drop_invalid_poses(pose, problems)
        untracked_lines = lines[~tracked].tolist()
        if untracked_lines:
            problems.append(f"{len(untracked_lines)} sample(s) without a pose (coil not tracked): lines "
                            f"{untracked_lines[:10]}{' ...' if len(untracked_lines) > 10 else ''}")
        if n and np.isnan(times).all():
            problems.append("the export has no Date/Time per sample: time_s is NaN; merge by order")
        space = header.get("coordinate system", "")
        orientation = SPACE_ORIENTATION.get(space.lower(), "RAS" if space.lower().startswith("nifti") else "")
        return NavigatorPulses(
            time_s=times,
            pose=pose,
            amplitude_percent_mso=numbers["amplitude_percent_mso"],
            di_dt_a_per_us=np.full(n, np.nan),
            target_error_mm=numbers["target_error_mm"],
            angular_error_deg=numbers["angular_error_deg"],
            twist_error_deg=numbers["twist_error_deg"],
            target_label=self.labels,
            coordinate_space=space,
            path=self.path,
            pose_convention="matsimnibs axes (Brainsight coil x and z reversed, as SimNIBS nnav.py does); "
                            f"translation in mm in the exported '{space}' system"
                            + (f" ({orientation})" if orientation else ""),
            pose_recorded=recorded,
            clock=("s since midnight of the first sample's Date (wall clock)" if self.first_date else "none"),
            problems=problems,
        )


def _timestamp(path: Path, line: int, date_text: str, time_text: str) -> dt.datetime | None:
    date_text, time_text = date_text.strip(), time_text.strip()
    if date_text in MISSING or time_text in MISSING:
        return None
    try:
        return dt.datetime.fromisoformat(f"{date_text}T{time_text}")
    except ValueError:
        raise SourceError(f"Date/Time {date_text!r} {time_text!r} is not a date and time", file=path,
                          line=line, field="Date/Time",
                          hint="expected YYYY-MM-DD and HH:MM:SS.mmm as Brainsight writes them") from None


class BrainsightReader(Reader):
    """Brainsight sample exports as a registered reader (:mod:`nwbtms.sources.registry`)."""

    name = "brainsight"
    kind = "navigator"
    display_name = "Brainsight export"
    suffixes = (".txt", ".csv", ".tsv", ".tab")
    info = "Brainsight (Rogue Research) 'Export samples' text files: pulses with coil poses and EMG."

    @classmethod
    def sniff(cls, path: Path) -> bool:
        text = head_text(path)
        return text.startswith("# Version:") and "Brainsight" in text

    @classmethod
    def open(cls, path: str | PathLike) -> NavigatorPulses:
        return read_brainsight(path)
