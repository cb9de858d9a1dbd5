"""Text, JSON and TSV renderings of the registry and of turnover (the CLI prints these).

Registry JSON: ``{"subjects": [{"subject_id", "sessions": [{"session_id", "start_time", "path"}], "rois":
[{"roi_key", "roi_kind", "parent_key", "cell_type", "presence": [bool per session]}]}]}``; TSV: one line
per key and session (``subject_id, roi_key, roi_kind, parent_key, cell_type, session_id, present``).

Turnover JSON: ``{"conditions": {...}, "rows": [...], "summary": [...]}`` (:meth:`TurnoverResult.as_dict`);
TSV: the rows with a header, a blank line, then the summary per cell type x condition x session pair with its
own header (``condition`` as ``factor=level, ...``, summed counts, ``mean_<rate>``, ``sem_<rate>``); NaN is
written ``nan`` in TSV and text, ``null`` in JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from nwbtms.spines.registry import Registry
from nwbtms.spines.turnover import COUNT_FIELDS, RATE_FIELDS, ROW_FIELDS, TurnoverResult

FORMATS = ("text", "json", "tsv")


def registry_dict(registry: Registry) -> dict[str, Any]:
    """The registry as a JSON-ready mapping."""
    subjects = []
    for subject in registry.subjects.values():
        sessions = [{"session_id": s.label, "start_time": None if s.start_time is None else s.start_time.isoformat(),
                     "path": str(s.path)} for s in subject.sessions]
        rois = []
        for row in subject.rows():
            rois.append({k: row[k] for k in ("roi_key", "roi_kind", "parent_key", "cell_type")}
                        | {"presence": list(row["presence"].values())})
        subjects.append({"subject_id": subject.subject_id, "sessions": sessions, "rois": rois})
    return {"subjects": subjects}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value).replace("\t", " ").replace("\n", " ")


def render_registry(registry: Registry, fmt: str) -> str:
    """``text`` (a presence matrix per subject: ``x`` present, ``.`` absent), ``json`` or ``tsv``."""
    if fmt == "json":
        return json.dumps(registry_dict(registry), indent=1)
    if fmt == "tsv":
        lines = ["subject_id\troi_key\troi_kind\tparent_key\tcell_type\tsession_id\tpresent"]
        for subject in registry.subjects.values():
            for row in subject.rows():
                base = [row["subject_id"], row["roi_key"], row["roi_kind"], row["parent_key"], row["cell_type"]]
                for session, present in row["presence"].items():
                    lines.append("\t".join(_cell(v) for v in [*base, session, present]))
        return "\n".join(lines) + "\n"
    out = []
    for subject in registry.subjects.values():
        labels = [s.label for s in subject.sessions]
        rows = subject.rows()
        width = max([len("key")] + [len(r["roi_key"]) for r in rows])
        out.append(f"subject {subject.subject_id}: {len(labels)} session(s), {len(rows)} key(s)")
        out.append(f"  {'key':<{width}}  {'kind':<8}  {'cell type':<9}  " + " ".join(labels))
        for row in rows:
            marks = " ".join(("x" if p else ".").center(len(label)) for label, p in
                             zip(labels, row["presence"].values(), strict=True))
            out.append(f"  {row['roi_key']:<{width}}  {row['roi_kind']:<8}  {row['cell_type'] or '-':<9}  {marks}")
        out.append("")
    return "\n".join(out)


def render_turnover(result: TurnoverResult, fmt: str) -> str:
    """``text`` (aligned tables), ``json`` or ``tsv`` (see the module docstring)."""
    if fmt == "json":
        return json.dumps(result.as_dict(), indent=1)
    rows = [r.as_dict() for r in result.rows]
    summary_fields = ["cell_type", "condition", "from_session", "to_session", "interval_days", "n_subjects",
                      *COUNT_FIELDS, *[f"mean_{f}" for f in RATE_FIELDS], *[f"sem_{f}" for f in RATE_FIELDS]]
    summary = []
    for s in result.summary:
        summary.append({"cell_type": s.cell_type, "condition": s.condition_label or None,
                        "from_session": s.from_session, "to_session": s.to_session,
                        "interval_days": s.interval_days, "n_subjects": s.n_subjects,
                        **{k: s.counts.get(k, 0) for k in COUNT_FIELDS}, **{f"mean_{k}": v for k, v in s.mean.items()},
                        **{f"sem_{k}": v for k, v in s.sem.items()}})
    if fmt == "tsv":
        lines = ["\t".join(ROW_FIELDS)]
        lines += ["\t".join(_cell(r[f]) for f in ROW_FIELDS) for r in rows]
        lines += ["", "\t".join(summary_fields)]
        lines += ["\t".join(_cell(s[f]) for f in summary_fields) for s in summary]
        return "\n".join(lines) + "\n"
    return (_table(rows, ROW_FIELDS, "turnover per session pair (dendrite '-' = pooled per cell type)") + "\n"
            + _table(summary, summary_fields, "group summary per cell type x condition (counts summed; mean, SEM "
                     "of per-subject rates)"))


_SHORT = {"formation_rate": "form", "elimination_rate": "elim", "turnover_ratio": "TOR",
          "survival_fraction": "surv", "density_end_per_um": "dens/um", "interval_days": "days",
          "dendrite_key": "dendrite", "from_session": "from", "to_session": "to", "subject_id": "subject",
          "cell_type": "type", "n_subjects": "n"}


def _short(name: str) -> str:
    for prefix in ("mean_", "sem_"):
        if name.startswith(prefix):
            return prefix[:-1] + " " + _SHORT.get(name[len(prefix):], name[len(prefix):])
    return _SHORT.get(name, name)


def _table(rows: list[dict[str, Any]], fields, title: str) -> str:
    header = [_short(f) for f in fields]
    cells = [[_cell(r[f]) if r[f] is not None else "-" for f in fields] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines) + "\n"


__all__ = ["FORMATS", "registry_dict", "render_registry", "render_turnover"]
