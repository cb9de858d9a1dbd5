"""Write behaviour CSVs of the documented layout for tests (with the csv module)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from nwbtms.sources.behavior.csv_table import REQUIRED_COLUMNS

#: A small study's scores: tail suspension and sucrose preference before, open field after.
EXAMPLE_ROWS = [
    {"subject": "M1", "session": "pre", "test": "tail_suspension", "start_time": "2026-01-28T10:00:00-08:00",
     "duration_s": 360, "immobility_s": 142.5},
    {"subject": "M1", "session": "pre", "test": "sucrose_preference", "start_time": "2026-01-29T18:00:00-08:00",
     "duration_s": 86400, "sucrose_preference_percent": 61.0},
    {"subject": "M1", "session": "post", "test": "open_field", "start_time": "2026-02-09T10:00:00-08:00",
     "duration_s": 600, "distance_cm": 3521.4, "center_time_s": 48.0},
    {"subject": "M2", "session": "pre", "test": "tail_suspension", "start_time": "2026-01-28T10:30:00-08:00",
     "duration_s": 360, "immobility_s": 88.0},
]


def write_behavior_csv(path: str | Path, rows: list[dict] = EXAMPLE_ROWS) -> Path:
    """A behaviour CSV with the documented columns and every measure any row has."""
    path = Path(path)
    measures = sorted({k for row in rows for k in row} - set(REQUIRED_COLUMNS))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*REQUIRED_COLUMNS, *measures])
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_ethovision(path: str | Path, *, subject: str = "M1", start: str = "02/09/2026 10:00:00.000",
                     num_samples: int = 100, rate_hz: float = 10.0, encoding: str = "utf-16",
                     delimiter: str = ";") -> Path:
    """An EthoVision XT raw-data text export of one trial (the documented layout, written with the csv module):
    moving 1 cm per sample, immobile for the first quarter, in the centre zone in the second half."""
    path = Path(path)
    rows = [["Number of header lines:", ""], ["Experiment", "Open field"], ["Trial name", "Trial     1"],
            ["Subject name", subject], ["Start time", start], ["Trial duration", f"{num_samples / rate_hz:.1f}"],
            ["Arena name", "Arena 1"], ["Treatment", "vehicle"], [""]]
    columns = ["Trial time", "Recording time", "X center", "Y center", "Distance moved", "Velocity",
               "In zone(Center / center-point)", "Mobility state(Immobile)"]
    units = ["s", "s", "cm", "cm", "cm", "cm/s", "", ""]
    rows[0][1] = str(len(rows) + 2)
    rows += [columns, units]
    for i in range(num_samples):
        immobile = i < num_samples // 4
        rows.append([f"{i / rate_hz:.2f}", f"{i / rate_hz:.2f}", f"{i * 0.5:.2f}", "0.00",
                     "-" if i == 0 else ("0.00" if immobile else "1.00"), "-" if i == 0 else "1.0",
                     "1" if i >= num_samples // 2 else "0", "1" if immobile else "0"])
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_ALL
                   ).writerows(rows)
    return path


def write_ethovision_statistics(path: str | Path, *, bins: int = 0, line_end: str = "\r", encoding: str = "ascii",
                                delimiter: str = ",") -> Path:
    """An EthoVision XT statistics export (the layout of a real one; see
    ``tests/sources/behavior/test_ethovision_statistics.py``): four header rows (variable, zone / point, statistic,
    unit), leading ``Result 1``, ``Trial     <n>`` (and, with ``bins``, 1-minute time-bin) columns, independent
    variables ``mouse id``, ``test``, ``treatment``; ``-`` for the latency to a zone never entered. Two trials:
    mouse 582 enters the hot zone (8 times, 72.48 s, first after 10.16 s), mouse 578 never does."""
    path = Path(path)
    lead = ["", "", ""] if bins else ["", ""]
    iv = "Independent Variable"
    rows = [lead + [iv, iv, iv, "Distance moved", "Velocity"] + ["In zone 2"] * 3,
            lead + [iv, iv, iv, "center-point", "center-point"] + ["hot zone / center-point"] * 3,
            lead + ["mouse id", "test", "treatment", "Total", "Mean", "Frequency", "Cumulative Duration",
                    "Latency to First"],
            lead + ["", "", "", "cm", "cm/s", "", "s", "s"]]
    trials = [("582", "saline", "938.848", "3.13409", "8", "72.48", "10.16"),
              ("578", "drug", "820.676", "2.73887", "0", "0", "-")]
    for n, (mouse, treatment, *values) in enumerate(trials, start=1):
        labels = [f"{'Start' if b == 0 else f'0:{b:02d}:00'}-0:{b + 1:02d}:00" for b in range(bins)] or [None]
        for label in labels:
            rows.append(["Result 1", f"Trial {n:5d}"] + ([label] if label else [])
                        + [mouse, "test1", treatment, *values])
    if path.suffix.lower() == ".xlsx":  # the same rows in a workbook: numbers as numbers, empty cells empty
        import openpyxl

        book = openpyxl.Workbook()
        for row in rows:
            book.active.append([None if not c else float(c) if re.fullmatch(r"[\d.]+", c) else c for c in row])
        book.save(path)
        return path
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    # the real export has no terminator after its last row
    path.write_bytes(text.getvalue().removesuffix(line_end).encode(encoding))
    return path


def write_ethovision_xlsx(path: str | Path, *, num_samples: int = 40, rate_hz: float = 15.0,
                          recording_after_s: float = 0.0) -> Path:
    """An EthoVision XT raw-data Excel export of one trial with openpyxl, in the layout of a real one (see
    ``tests/sources/behavior/test_ethovision.py``): the header count as text in B1, a 36-line header whose section
    titles have no value, a row holding one space before the column names, no unit for unitless columns, numbers
    as numbers and ``-`` for a missing one, zones and two groups of mutually exclusive scored behaviours.
    Samples: in the food zone for the last quarter; walking the first half, stationary the second; a missing
    nose point in sample 2. With ``recording_after_s`` the layout of another real one: the recording starts that
    long after the trial (``Trial time`` from it, ``Recording time`` from 0), ``Distance moved`` (``-`` in the first
    sample), a user-defined ``Mouse Number`` and ``Day``, and the zone variable ``In zone 2`` over the zones."""
    import openpyxl

    path = Path(path)
    header = [("Experiment", "21FR02_test"), ("System Independent Variable", None), ("Trial name", "Trial     1"),
              ("Trial ID", "0"), ("Arena name", "Arena 1"), ("Arena ID", "0"), ("Subject name", "Subject 1"),
              ("Subject ID", "0"), ("Start time", "03/15/2021 13:54:26.490"), ("Trial duration", "+ 00:20:00.130"),
              ("Video start time", "03/15/2021 13:54:03.000"), ("Trial status", "Acquired"),
              ("Missed samples", "0.0 %"), ("Recording after", f"+ 00:00:{recording_after_s:06.3f}"),
              ("User-defined Independent Variable", None), ("Mouse Number", "5"), ("Day", "4")]
    columns = ["Trial time", "Recording time", "X center", "Y center", "X nose", "Y nose", "Area", "Elongation",
               "Distance moved", "In zone(Arena / center-point)", "In zone(food zone / center-point)", "In zone 2",
               "Walking(Mutually exclusive)",
               "Stationary(Mutually exclusive)", "Eating food(Mutually exclusive 2)", "Result 1"]
    units = ["s", "s", "cm", "cm", "cm", "cm", "cm²", None, "cm", None, None, None, None, None, None, None]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    n_header = 36
    sheet.append(["Number of header lines:", str(n_header)])
    for name, value in header:
        sheet.append([name, value])
    while sheet.max_row < n_header - 3:
        sheet.append([f"Unused header {sheet.max_row}", None])
    sheet.append([" "])
    sheet.append(columns)
    sheet.append(units)
    for i in range(num_samples):
        t = round(i / rate_hz, 3)
        trial_t = round(recording_after_s + t, 3)
        food = int(i >= num_samples * 3 // 4)
        walking = int(i < num_samples // 2)
        nose = "-" if i == 2 else -19.9 + i * 0.1
        sheet.append([trial_t, t, -18.7 + i * 0.1, 19.5, nose, nose, 25.7, 0.77, "-" if i == 0 else 0.1, 1, food,
                      food, walking, 1 - walking, food, 1])
    book.save(path)
    return path
