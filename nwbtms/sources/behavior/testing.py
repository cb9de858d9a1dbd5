"""Write behaviour CSVs of the documented layout for tests (with the csv module)."""

from __future__ import annotations

import csv
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
