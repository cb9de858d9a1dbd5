"""Step 6, every region column of a table, resolved through its own ``table`` attribute (never a sibling
found by name): the table it points at has the type the column means, and every row it names exists.

A ``protocol`` column wired to the targets table, or a ``threshold`` column to the protocols table, is
reported even when the row numbers happen to fit.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._paths import column_path
from nwbtms.validate.chunked import CHUNK_ELEMENTS, FirstOffender, iter_rows, n_rows
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

TMS_REGION_TARGET = define(
    "tms.regions.target", Severity.CRITICAL, 6,
    "Every region column of a TMS table points at a table of the type it means, and its rows exist there.",
    "Point the column's 'table' attribute at the right table (e.g. pulses.protocol at the TMSProtocolsTable) "
    "and keep its row numbers within that table.", profiles=("tms",))

#: (type of the table holding the column, column) -> type the column's rows belong to (ndx-tms docs of each
#: column: "Row of the protocols table ..."); ``None`` as table type: a column of that name in any table.
REGION_TARGETS: dict[tuple[str | None, str], str] = {
    ("TMSProtocolsTable", "threshold"): "TMSThresholdsTable",
    ("TMSPulsesTable", "protocol"): "TMSProtocolsTable",
    ("TMSPulsesTable", "target"): "TMSTargetsTable",
    ("TMSPulsesTable", "coil"): "TMSCoilsTable",
    ("TMSPulsesTable", "session"): "TMSSessionsTable",
    ("TMSSessionsTable", "protocol"): "TMSProtocolsTable",
    ("TMSSessionsTable", "target"): "TMSTargetsTable",
    ("TMSReconciliationTable", "session"): "TMSSessionsTable",
    ("TMSReconciliationTable", "protocol"): "TMSProtocolsTable",
    (None, "cell_type"): "CellTypesTable",
}
#: Columns whose row numbers another check already scans with the rest of its table (tms.pulses.references,
#: tms.cell_types.terms).
ROWS_CHECKED_ELSEWHERE = frozenset({("TMSPulsesTable", "protocol"), ("TMSPulsesTable", "target"),
                                    ("TMSPulsesTable", "coil"), (None, "cell_type")})


def type_names(obj) -> tuple[str, ...]:
    """Class names of ``obj`` and its bases (``TMSPulsesTable``, ``EventsTable``, ``DynamicTable`` ...)."""
    return tuple(c.__name__ for c in type(obj).__mro__)


def expected_target(table, column: str) -> str | None:
    """The type ``table[column]`` must point at, or None when nwbtms does not know the column."""
    for name in type_names(table):
        if (name, column) in REGION_TARGETS:
            return REGION_TARGETS[(name, column)]
    return REGION_TARGETS.get((None, column))


def region_columns(table) -> list:
    """The DynamicTableRegion columns of ``table``."""
    from hdmf.common import DynamicTableRegion

    return [c for c in getattr(table, "columns", ()) if isinstance(c, DynamicTableRegion)]


@register_check(TMS_REGION_TARGET, neurodata_type="DynamicTable")
def check_region_columns(table, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every region column of ``table`` (a DynamicTable read from a file or built in memory): the table its
    ``table`` attribute names has the expected type, and every row number is within it. Tables of other
    extensions are left alone unless they have a column nwbtms knows (``cell_type``)."""
    if not (type(table).__module__.startswith("ndx_tms")
            or any((None, c.name) in REGION_TARGETS for c in region_columns(table))):
        return
    held = type_names(table)[0]
    for column in region_columns(table):
        location = column_path(table, column.name)
        target = column.table
        expected = expected_target(table, column.name)
        if target is None:
            yield TMS_REGION_TARGET.hit(f"{held}.{column.name} names no table", location=location)
            continue
        if expected is not None and expected not in type_names(target):
            yield TMS_REGION_TARGET.hit(
                f"{held}.{column.name} points at {type_names(target)[0]} {target.name!r}, not a {expected}",
                location=location)
            continue
        if (held, column.name) in ROWS_CHECKED_ELSEWHERE or (None, column.name) in ROWS_CHECKED_ELSEWHERE:
            continue
        size = len(target)
        missing = FirstOffender()
        for start, block in iter_rows(column.data, chunk_elements=chunk_elements):
            rows = np.asarray(block, dtype=np.int64)
            missing.add(start, np.flatnonzero((rows < 0) | (rows >= size)),
                        lambda i, r=rows, t=target.name, n=size: f"row {r[i]} of {t!r}, which has {n} rows")
        if missing.count:
            yield TMS_REGION_TARGET.hit(
                f"{missing.count} of {n_rows(column.data)} row(s) of {held}.{column.name} refer to rows that do not "
                f"exist; first at row {missing.index}: {missing.detail}", location=location, index=missing.index,
                count=missing.count)
