"""Report section 7: spines of this file's subject across days, and turnover rates per cell type.

The subject's sessions are this file and the NWB files beside it (the ``sub-<id>/`` folder of a DANDI
layout) with the same ``subject_id``, read with :mod:`nwbtms.spines` (identity columns only, h5py). The
figure shows, per dendrite, which spine keys are present in which session (ordered by start time), and
the pooled formation and elimination rates per cell type for each pair of consecutive sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nwbtms.report.figures import CELL_TYPE_COLOURS, FAINT, OKABE_ITO, WIDTH_IN, place_axes, text_width_in

#: Most spines drawn in the presence panel (the caption says how many were left out).
MAX_SPINES = 300
#: Most sibling files read.
MAX_SIBLINGS = 200


@dataclass
class SpineDays:
    """The subject's registry and turnover, for the figure."""

    subject_id: str
    sessions: list[str]
    #: (dendrite key, cell type, [(spine key, presence per session)])
    dendrites: list[tuple[str, str | None, list[tuple[str, list[bool]]]]]
    pooled: list  # TurnoverRow (pooled per cell type)
    files: int


def read_spine_days(path: str | Path) -> SpineDays | None:
    """The subject's spines across the files beside ``path``; None when ``path`` has no keyed spine."""
    from nwbtms.io.remote import is_url
    from nwbtms.spines.read import read_session_rois
    from nwbtms.spines.registry import build_registry
    from nwbtms.spines.turnover import subject_turnover

    remote = is_url(path)  # a URL has no folder to look beside: its own sessions only
    path = path if remote else Path(path)
    own = read_session_rois(path)
    if not any(r.kind == "spine" for r in own.rois):
        return None
    sessions = [own]
    siblings = [] if remote else sorted(p for p in path.parent.glob("*.nwb") if p.resolve() != path.resolve()
                                        and not p.name.startswith("."))[:MAX_SIBLINGS]
    for sibling in siblings:
        try:
            other = read_session_rois(sibling)
        except Exception:  # noqa: BLE001 - an unreadable neighbour is not this file's problem
            continue
        if other.subject_id == own.subject_id:
            sessions.append(other)
    registry = build_registry(sessions)
    subject = next(iter(registry.subjects.values()))
    labels = [s.label for s in subject.sessions]
    by_dendrite: dict[str, list[tuple[str, list[bool]]]] = {}
    for key, records in subject.keys.items():
        record = subject.record(key)
        if record.kind == "spine" and record.parent_key:
            presence = [i in records for i in range(len(labels))]
            by_dendrite.setdefault(record.parent_key, []).append((key, presence))
    dendrites = []
    for dendrite in sorted(by_dendrite):
        cell_type = subject.record(dendrite).cell_type if dendrite in subject.keys else None
        spines = sorted(by_dendrite[dendrite], key=lambda item: (-sum(item[1]), item[0]))
        dendrites.append((dendrite, cell_type, spines))
    pooled = [r for r in subject_turnover(subject) if r.dendrite_key is None]
    return SpineDays(subject.subject_id, labels, dendrites, pooled, len(subject.sessions))


def spines_across_days(data: SpineDays) -> Figure:
    """Figure 7: spine presence per dendrite (rows) by session (columns); rates per cell type."""
    types = sorted({t or "unlabelled" for _, t, _ in data.dendrites})
    colour_of = {t: (FAINT if t == "unlabelled" else CELL_TYPE_COLOURS[i % len(CELL_TYPE_COLOURS)])
                 for i, t in enumerate(types)}
    rows, labels, colours, separators = [], [], [], []
    for dendrite, cell_type, spines in data.dendrites:
        if len(rows) >= MAX_SPINES:
            break
        separators.append((len(rows), dendrite))
        for key, presence in spines[:MAX_SPINES - len(rows)]:
            rows.append(presence)
            labels.append(key)
            colours.append(colour_of[cell_type or "unlabelled"])
    shown, total = len(rows), sum(len(s) for _, _, s in data.dendrites)
    presence = np.array(rows, dtype=bool).reshape(shown, len(data.sessions))
    height_presence = min(9.0, max(1.6, 0.14 * shown + 0.8))
    fig = Figure(figsize=(WIDTH_IN, height_presence + 2.6))
    ax, rates = fig.subplots(2, 1, gridspec_kw={"height_ratios": [height_presence, 2.0]})
    image = np.ones((shown, len(data.sessions), 3))
    for i, colour in enumerate(colours):
        rgb = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
        image[i, presence[i]] = rgb
    ax.imshow(image, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(data.sessions)), data.sessions, fontsize=7)
    step = max(1, shown // 60)
    ax.set_yticks(range(0, shown, step), labels[::step], fontsize=6)
    for start, dendrite in separators:
        ax.axhline(start - 0.5, color="k", linewidth=0.8)
        ax.text(len(data.sessions) - 0.45, start, dendrite, fontsize=7, va="top", ha="left", clip_on=False)
    left_out = f"; {total - shown} more not drawn" if shown < total else ""
    ax.set_title(f"subject {data.subject_id}: {total} spine(s) on {len(data.dendrites)} dendrite(s), "
                 f"{len(data.sessions)} session(s) ({data.files} file(s) in this folder){left_out}", fontsize=8)
    ax.legend(handles=[Patch(color=colour_of[t], label=t) for t in types], fontsize=7, loc="lower left",
              bbox_to_anchor=(1.0, 0.0), framealpha=0.8)
    if data.pooled:
        pairs = sorted({(r.from_session, r.to_session) for r in data.pooled},
                       key=lambda p: data.sessions.index(p[1]) if p[1] in data.sessions else 0)
        width = 0.8 / max(1, 2 * len(types))
        for t_index, cell_type in enumerate(types):
            for p_index, pair in enumerate(pairs):
                row = next((r for r in data.pooled if (r.from_session, r.to_session) == pair
                            and (r.cell_type or "unlabelled") == cell_type), None)
                if row is None:
                    continue
                for offset, value, hatch in ((0, row.formation_rate, None), (1, row.elimination_rate, "//")):
                    if np.isfinite(value):
                        x = p_index - 0.4 + width * (2 * t_index + offset + 0.5)
                        rates.bar(x, value, width * 0.9, color=colour_of[cell_type], hatch=hatch,
                                  edgecolor="k", linewidth=0.5)
        rates.set_xticks(range(len(pairs)), [f"{a} -> {b}" for a, b in pairs], fontsize=7)
        rates.set_xlim(-0.6, len(pairs) - 0.4)
        rates.set_ylabel("rate (per spine)", fontsize=8)
        rates.legend(handles=[Patch(facecolor="white", edgecolor="k", label="formation"),
                              Patch(facecolor="white", edgecolor="k", hatch="//", label="elimination")],
                     fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        rates.set_title("pooled per cell type: formation = gained / n_start, elimination = lost / n_start",
                        fontsize=8)
    else:
        rates.axis("off")
        rates.text(0.5, 0.5, "one session only: no turnover to compute", ha="center", va="center",
                   fontsize=8, color=OKABE_ITO["blue"])
    left = min(3.0, max(0.8, 0.3 + text_width_in(labels or ["x"], 6)))
    place_axes(fig, left_in=left, top_in=0.45, bottom_in=0.5, right_in=1.6, hgap_in=0.7, nrows=2)
    return fig


__all__ = ["SpineDays", "read_spine_days", "spines_across_days"]
