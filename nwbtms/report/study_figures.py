"""The study page's figures: spine turnover per cell type x condition, behaviour per condition, photometry per
cell type. Each takes the plain groups :mod:`nwbtms.report.study` computed; Agg canvas, Okabe-Ito colours
(cell types) with line style and marker for the condition, as :mod:`nwbtms.report.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from nwbtms.report.figures import CELL_TYPE_COLOURS, FAINT, OKABE_ITO, WIDTH_IN, place_axes, text_width_in

#: Line style and marker of the n-th condition.
CONDITION_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"), ((0, (1, 1)), "P")]
#: Colours of conditions where colour is free (behaviour bars).
CONDITION_COLOURS = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky_blue",
                                            "yellow")]
#: Most behaviour panels drawn (the rest are in the table).
MAX_PANELS = 12


def _colour(index: int) -> str:
    return CELL_TYPE_COLOURS[index % len(CELL_TYPE_COLOURS)]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def turnover_by_group(pairs: Sequence[str], groups: Sequence[tuple[str, str, dict[str, tuple]]],
                      cell_types: Sequence[str], conditions: Sequence[str]) -> Figure:
    """Turnover ratio and spine density (mean +/- SEM across subjects) per day interval, one line per cell type
    x condition. ``groups``: (cell type, condition label, {pair: (tor mean, tor sem, density mean, density sem,
    n)})."""
    fig = Figure(figsize=(WIDTH_IN, 5.2))
    tor_ax, density_ax = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(pairs))
    width = 0.5 / max(1, len(groups))
    for index, (cell_type, condition, values) in enumerate(groups):
        colour = _colour(cell_types.index(cell_type))
        style, marker = CONDITION_STYLES[conditions.index(condition) % len(CONDITION_STYLES)]
        shift = (index - (len(groups) - 1) / 2) * width
        for ax, (m, s) in ((tor_ax, (0, 1)), (density_ax, (2, 3))):
            xs, ys, es = [], [], []
            for p_index, pair in enumerate(pairs):
                if pair in values and _finite(values[pair][m]):
                    xs.append(x[p_index] + shift)
                    ys.append(values[pair][m])
                    es.append(values[pair][s] if _finite(values[pair][s]) else 0.0)
            if xs:
                ax.errorbar(xs, ys, yerr=es, color=colour, linestyle=style, marker=marker, markersize=5,
                            capsize=3, linewidth=1.3)
    tor_ax.set_ylabel("turnover ratio\n(gained+lost)/(n0+n1)", fontsize=8)
    density_ax.set_ylabel("spines per um\n(later session)", fontsize=8)
    density_ax.set_xticks(x, list(pairs), fontsize=8)
    density_ax.set_xlim(-0.6, len(pairs) - 0.4)
    for ax in (tor_ax, density_ax):
        ax.set_ylim(bottom=0.0)  # rates and densities start at zero, so one group's point is not magnified
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#eeeeee")
    handles = [Line2D([], [], color=_colour(i), linewidth=6, label=t) for i, t in enumerate(cell_types)]
    handles += [Line2D([], [], color="k", linestyle=CONDITION_STYLES[i % len(CONDITION_STYLES)][0],
                       marker=CONDITION_STYLES[i % len(CONDITION_STYLES)][1], label=c or "(no condition)")
                for i, c in enumerate(conditions)]
    tor_ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    tor_ax.set_title("spine turnover per cell type x condition (mean +/- SEM across subjects)", fontsize=9)
    place_axes(fig, left_in=0.9, right_in=2.9, top_in=0.4, bottom_in=0.5, hgap_in=0.25, nrows=2)
    return fig


def behavior_by_condition(panels: Sequence[tuple[str, Sequence[str], dict[tuple[str, str], list[float]]]],
                          conditions: Sequence[str]) -> Figure:
    """One panel per test and measure: bars of the mean (+/- SEM) across subjects per behaviour session and
    condition, with each subject's value as a dot. ``panels``: (title, behaviour sessions in order,
    {(behaviour session, condition): per-subject values})."""
    panels = list(panels)[:MAX_PANELS]
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(WIDTH_IN, 2.5 * nrows + 0.4 + 0.2 * len(conditions)))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    width = 0.8 / max(1, len(conditions))
    for ax, (title, sessions, values) in zip(axes, panels, strict=False):
        for c_index, condition in enumerate(conditions):
            colour = CONDITION_COLOURS[c_index % len(CONDITION_COLOURS)]
            for s_index, session in enumerate(sessions):
                points = values.get((session, condition))
                if not points:
                    continue
                xc = s_index - 0.4 + width * (c_index + 0.5)
                mean = float(np.mean(points))
                sem = float(np.std(points, ddof=1) / math.sqrt(len(points))) if len(points) > 1 else 0.0
                ax.bar(xc, mean, width * 0.9, color=colour, alpha=0.55, edgecolor=colour, yerr=sem, capsize=3)
                ax.plot(np.full(len(points), xc), points, "o", color="k", markersize=3)
        ax.set_xticks(range(len(sessions)), list(sessions), fontsize=7)
        ax.set_xlim(-0.6, len(sessions) - 0.4)
        ax.tick_params(labelsize=7)
        ax.set_title(title, fontsize=8)
    for ax in axes[len(panels):]:
        ax.axis("off")
    labels = [c or "(no condition)" for c in conditions]
    handles = [Line2D([], [], color=CONDITION_COLOURS[i % len(CONDITION_COLOURS)], linewidth=6, label=label)
               for i, label in enumerate(labels)]
    # as many legend columns as fit the width, so long condition labels are never cut off
    legend_columns = max(1, min(len(handles), int((WIDTH_IN - 0.4) // (text_width_in(labels, 7) + 0.6))))
    legend_rows = math.ceil(len(handles) / legend_columns)
    fig.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=legend_columns)
    place_axes(fig, left_in=0.6, right_in=0.2, top_in=0.45 + 0.2 * legend_rows, bottom_in=0.4, hgap_in=0.6,
               wgap_in=0.6, nrows=nrows, ncols=ncols)
    return fig


def photometry_by_cell_type(panels: Sequence[tuple[str, list[tuple[str, np.ndarray, np.ndarray, np.ndarray, int]]]],
                            conditions: Sequence[str]) -> Figure:
    """One panel per cell type (and excitation wavelength): the pulse-aligned response (mean, shaded +/- SEM) per
    condition. ``panels``: (title, [(condition, time s, mean, sem, n fibres)])."""
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(WIDTH_IN, 2.8 * nrows + 0.4))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (title, lines) in zip(axes, panels, strict=False):
        for condition, time_s, mean, sem, n in lines:
            c_index = conditions.index(condition)
            colour = CONDITION_COLOURS[c_index % len(CONDITION_COLOURS)]
            ax.fill_between(time_s, mean - sem, mean + sem, color=colour, alpha=0.25, linewidth=0)
            ax.plot(time_s, mean, color=colour, linewidth=1.3,
                    linestyle=CONDITION_STYLES[c_index % len(CONDITION_STYLES)][0],
                    label=f"{condition or '(no condition)'} (n={n})")
        ax.axvline(0.0, color=FAINT, linewidth=1)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("time from pulse (s)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="best")
    for ax in axes[len(panels):]:
        ax.axis("off")
    axes[0].set_ylabel("response (mean +/- SEM)", fontsize=7)
    place_axes(fig, left_in=0.7, right_in=0.2, top_in=0.35, bottom_in=0.5, hgap_in=0.7, wgap_in=0.5,
               nrows=nrows, ncols=ncols)
    return fig


__all__ = ["behavior_by_condition", "photometry_by_cell_type", "turnover_by_group"]
