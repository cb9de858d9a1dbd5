"""Read the TMS tables of an NWB file back, wherever the extension keeps them.

:func:`tms_tables` is the one place that knows where ndx-tms tables live in a file, so comparisons between
files (``nwbtms convert`` against a NeuroConv conversion, tests) do not depend on the layout.
"""

from __future__ import annotations

from hdmf.common import DynamicTable

#: Namespace of the TMS extension's types.
NAMESPACE = "ndx-tms"


def tms_tables(nwbfile) -> dict[str, DynamicTable]:
    """Every ndx-tms table of ``nwbfile`` (in memory or read), by object name.

    Parameters
    ----------
    nwbfile : pynwb.NWBFile

    Returns
    -------
    dict of str to DynamicTable
        ``tms_pulses`` (in /events), ``tms_sessions`` (in /intervals), ``protocols``, ``targets``,
        ``thresholds``, ``cell_types``... A name used by two tables is given as ``<parent>/<name>`` for the
        second.
    """
    tables: dict[str, DynamicTable] = {}
    for obj in sorted(nwbfile.objects.values(), key=lambda o: (o.name, o.object_id)):
        if isinstance(obj, DynamicTable) and getattr(obj, "namespace", None) == NAMESPACE:
            name = obj.name if obj.name not in tables else f"{obj.parent.name}/{obj.name}"
            tables[name] = obj
    return tables


__all__ = ["tms_tables"]
