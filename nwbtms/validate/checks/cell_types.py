"""Step 6, cell types: Cell Ontology IDs well formed (``ndx_tms.vocabulary.CL_ID_PATTERN``) and every
``cell_type`` column pointing at existing rows of the CellTypesTable."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nwbtms.validate.checks._paths import column_path
from nwbtms.validate.checks._tables import has_column, text_column, tms_metadata
from nwbtms.validate.chunked import CHUNK_ELEMENTS, FirstOffender, iter_rows
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import TMS_ONLY, Hit, define, register_check

TMS_CELL_TYPES = define(
    "tms.cell_types.terms", Severity.CRITICAL, 6,
    "Cell Ontology IDs are well formed ('CL:' + 7 digits) "
                        "and cell_type columns point at existing rows.",
    "Write IDs like CL:4023008.",
    profiles=TMS_ONLY)


def check_cell_type_terms(cell_types) -> Iterator[Hit]:
    """Every CL ID of a CellTypesTable (None: nothing to check) is ``CL:`` + 7 digits, in full."""
    from ndx_tms.vocabulary import CL_ID_PATTERN  # imported when used: files without TMS data never load ndx-tms

    if cell_types is not None and has_column(cell_types, "cell_ontology_id"):
        for i, term in enumerate(text_column(cell_types, "cell_ontology_id")):
            if not CL_ID_PATTERN.fullmatch(term):  # the whole text: '$' alone lets a trailing newline pass
                yield TMS_CELL_TYPES.hit(f"row {i}: {term!r} is not a Cell Ontology ID ('CL:' + 7 digits)",
                                         location=column_path(cell_types, "cell_ontology_id"), index=i)


@register_check(TMS_CELL_TYPES, neurodata_type="NWBFile")
def check_cell_types(nwbfile, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
    """Every CL ID of the file's CellTypesTable and every ``cell_type`` reference in the file's tables."""
    metadata = tms_metadata(nwbfile)
    yield from check_cell_type_terms(getattr(metadata, "cell_types", None))
    for table in nwbfile.objects.values():
        column = getattr(table, "colnames", None) and "cell_type" in table.colnames and table["cell_type"]
        if not column or not hasattr(column, "table"):
            continue
        n_types = len(column.table)
        missing = FirstOffender()
        for start, block in iter_rows(column.data, chunk_elements=chunk_elements):
            rows = np.asarray(block, dtype=np.int64)
            missing.add(start, np.flatnonzero((rows < 0) | (rows >= n_types)))
        if missing.count:
            yield TMS_CELL_TYPES.hit(f"{missing.count} row(s) of {table.name} refer to cell types that do not exist "
                                     f"({n_types} types); first at row {missing.index}",
                                     location=column_path(table, "cell_type"), index=missing.index,
                                     count=missing.count)
