"""The report's figures, one function per figure, each drawing reduced data from :mod:`nwbtms.report.reader`.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global state,
no display needed). Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable with the common colour-vision deficiencies; line style and marker carry meaning too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from nwbtms.report.reader import (
    ClockFit,
    ImagingTimeline,
    PulseSummary,
    ReconciliationRow,
    RoiMap,
)
from nwbtms.report.validation import finding_place, severity_name

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
ACTIVE = OKABE_ITO["blue"]
SHAM = OKABE_ITO["vermillion"]
MISSING = OKABE_ITO["vermillion"]
EXTRA = OKABE_ITO["orange"]
MASKED = OKABE_ITO["vermillion"]
FAINT = "#BBBBBB"
#: Colours of cell types, in the order of the cell types table.
CELL_TYPE_COLOURS = [OKABE_ITO[k] for k in ("orange", "sky_blue", "green", "yellow", "purple", "blue", "vermillion")]
#: How each ROI kind is drawn: (line style, centroid marker).
ROI_KIND_STYLES = {
    "soma": ("-", None),
    "dendrite": ("--", None),
    "spine": (":", "o"),
    "unspecified": ("-", None),
}
#: Severities of nwbtms.validate (NWB Inspector's importance levels), most serious first.
SEVERITY_ORDER = ("error", "critical", "best_practice_violation", "best_practice_suggestion", "info")
SEVERITY_COLOURS = {
    "error": OKABE_ITO["vermillion"],
    "critical": OKABE_ITO["purple"],
    "best_practice_violation": OKABE_ITO["orange"],
    "best_practice_suggestion": OKABE_ITO["sky_blue"],
    "info": OKABE_ITO["blue"],
}
WIDTH_IN = 10.0
DPI = 100


def figure_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg canvas."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    # zlib level 1: about half the encoding time of the default 6 for ~15% larger pages (bench_report)
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def text_width_in(labels, fontsize: float) -> float:
    """Rough width (inches) of the longest line of ``labels`` at ``fontsize`` points (0.6 em a character)."""
    longest = max((len(line) for label in labels for line in str(label).split("\n")), default=0)
    return longest * fontsize * 0.6 / 72


def place_axes(
    fig: Figure,
    *,
    left_in: float,
    right_in: float = 0.25,
    top_in: float = 0.4,
    bottom_in: float = 0.55,
    hgap_in: float = 0.0,
    wgap_in: float = 0.0,
    nrows: int = 1,
    ncols: int = 1,
) -> None:
    """Fixed margins and gaps in inches instead of a layout engine.

    Constrained layout measures every text twice per figure; with hundreds of tick labels that was most of
    the report's time (``bench/bench_report.py``). Margins here come from the label lengths instead.
    """
    width_in, height_in = fig.get_size_inches()
    usable_h = max(height_in - top_in - bottom_in, 0.5)
    usable_w = max(width_in - left_in - right_in, 0.5)
    hspace = hgap_in * nrows / max(usable_h - (nrows - 1) * hgap_in, 0.1) if nrows > 1 else 0.0
    wspace = wgap_in * ncols / max(usable_w - (ncols - 1) * wgap_in, 0.1) if ncols > 1 else 0.0
    fig.subplots_adjust(
        left=left_in / width_in,
        right=1 - right_in / width_in,
        bottom=bottom_in / height_in,
        top=1 - top_in / height_in,
        hspace=hspace,
        wspace=wspace,
    )


def time_scale(span_s: float) -> tuple[float, str]:
    """Divisor and unit for a time axis spanning ``span_s`` seconds (s, min or h)."""
    if span_s > 3 * 3600:
        return 3600.0, "h"
    if span_s > 300:
        return 60.0, "min"
    return 1.0, "s"


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of runs of True in ``flags``."""
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    change = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b - a)) for a, b in zip(change[::2], change[1::2], strict=True)]


def _session_ticks(ax, labels: list[str], colours: list[str], max_labels: int = 30) -> None:
    """Label at most ``max_labels`` session rows (every k-th), each in its row's colour."""
    step = max(1, -(-len(labels) // max_labels))
    positions = list(range(0, len(labels), step))
    ax.set_yticks(positions)
    ax.set_yticklabels([labels[i] for i in positions], fontsize=8)
    for tick, i in zip(ax.get_yticklabels(), positions, strict=True):
        tick.set_color(colours[i])


def _rectangles(ax, x0, x1, y0, y1, colours: Sequence[str]) -> None:
    """Add rectangles ``[x0, x1] x [y0, y1]`` (arrays) as one collection (fast for thousands of bars)."""
    x0, x1, y0, y1 = (np.asarray(v, dtype=np.float64) for v in (x0, x1, y0, y1))
    if not x0.size:
        return
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    verts = np.stack([np.stack(corner, -1) for corner in corners], 1)  # (n, 4, 2)
    ax.add_collection(PolyCollection(verts, facecolors=colours, edgecolors=colours, linewidths=0.6))
    ax.autoscale_view()


def _draw_rows(
    ax, occupancy: np.ndarray, edges: np.ndarray, colours: Sequence[str], scale: float, height: float = 0.7
) -> None:
    """Draw each row's occupied bins as merged bars (no aliasing: every run is at least one line wide)."""
    padded = np.zeros((occupancy.shape[0], occupancy.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = occupancy > 0
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)  # row-major order: the n-th start and the n-th stop pair up
    _, stops = np.nonzero(change == -1)
    _rectangles(
        ax,
        edges[starts] / scale,
        edges[stops] / scale,
        rows - height / 2,
        rows + height / 2,
        [colours[r] for r in rows.tolist()],
    )


def _bars(ax, x: np.ndarray, heights: np.ndarray, colour: str, width: float = 0.8) -> None:
    """Vertical bars from 0 to ``heights`` at ``x`` as one collection."""
    keep = heights != 0
    x, heights = x[keep], heights[keep]
    _rectangles(ax, x - width / 2, x + width / 2, np.minimum(0.0, heights), np.maximum(0.0, heights), [colour] * x.size)


def stimulation_overview(summary: PulseSummary) -> Figure:
    """Figure 1: every pulse as a raster, one row per session; zoom panels on one train and one burst."""
    rows = summary.sessions
    height = 2.5 + min(len(rows), 60) * 0.12
    fig = Figure(figsize=(WIDTH_IN, height + 2.6))
    grid = fig.add_gridspec(2, 2, height_ratios=[height, 2.2])
    ax = fig.add_subplot(grid[0, :])
    scale, unit = time_scale(float(summary.row_edges_s[-1]))
    colours = [SHAM if r.sham else ACTIVE for r in rows]
    _draw_rows(ax, summary.occupancy, summary.row_edges_s, colours, scale)
    course_start = rows[0].first_s
    c_scale, c_unit = time_scale(rows[-1].first_s - course_start)
    labels = [
        f"S{r.number} +{(r.first_s - course_start) / c_scale:.1f} {c_unit}" + (" sham" if r.sham else "") for r in rows
    ]
    _session_ticks(ax, labels, colours)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, summary.row_edges_s[-1] / scale)
    ax.set_xlabel(f"time since the session's first pulse ({unit})")
    ax.set_ylabel("session (onset after the first)")
    n_sham = sum(r.sham for r in rows)
    ax.set_title(f"{summary.n_pulses:,} pulses in {len(rows)} session(s)" + (f", {n_sham} sham" if n_sham else ""))
    ax.legend(
        handles=[Patch(color=ACTIVE, label="active"), Patch(color=SHAM, label="sham")],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    for col, (times, label, factor, tunit) in enumerate(
        (
            (summary.zoom_train_s, summary.train_label, 1.0, "s"),
            (summary.zoom_burst_s, summary.burst_label, 1000.0, "ms"),
        )
    ):
        zoom = fig.add_subplot(grid[1, col])
        colour = SHAM if any(r.sham and r.number == summary.zoom_session for r in rows) else ACTIVE
        if times.size:
            zoom.vlines(times * factor, 0, 1, color=colour, linewidth=1.2)
            pad = max(float(times[-1] * factor) * 0.05, 0.5 if factor == 1.0 else 2.0)
            zoom.set_xlim(-pad, float(times[-1] * factor) + pad)
        zoom.set_ylim(0, 1.1)
        zoom.set_yticks([])
        zoom.set_xlabel(f"time since first pulse of the {label.split()[0]} ({tunit})")
        zoom.set_title(f"zoom: session S{summary.zoom_session}, {label} ({times.size} pulses)", fontsize=9)
    place_axes(fig, left_in=0.55 + text_width_in(labels, 8), top_in=0.45, hgap_in=0.95, wgap_in=0.4, nrows=2, ncols=2)
    return fig


def _binned(ax, centres: np.ndarray, lo: np.ndarray, hi: np.ndarray, mean: np.ndarray, colour: str, label: str) -> None:
    ok = np.isfinite(mean)
    ax.vlines(centres[ok], lo[ok], hi[ok], color=to_rgba(colour, 0.35), linewidth=2)
    ax.plot(centres[ok], mean[ok], ".", color=colour, markersize=3, label=label)


def intensity_course(summary: PulseSummary) -> Figure:
    """Figure 2: stimulator output (%MSO) and realised dI/dt (A/us, where recorded) over the course."""
    panels = 2 if summary.has_didt else 1
    fig = Figure(figsize=(WIDTH_IN, 2.6 * panels + 0.6))
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    edges = summary.course_edges_s
    scale, unit = time_scale(float(edges[-1] - edges[0]))
    centres = (edges[:-1] + edges[1:]) / 2 / scale
    _binned(
        axes[0],
        centres,
        summary.intensity_min,
        summary.intensity_max,
        summary.intensity_mean,
        ACTIVE,
        "mean per bin",
    )
    axes[0].set_ylabel("intensity (%MSO)")
    axes[0].set_title(
        "stimulator output per pulse: bars span min to max per time bin, dots the mean"
        + ("" if summary.has_didt else "; dI/dt not recorded"),
        fontsize=9,
    )
    if summary.has_didt:
        _binned(
            axes[1],
            centres,
            summary.didt_min,
            summary.didt_max,
            summary.didt_mean,
            OKABE_ITO["green"],
            "mean per bin",
        )
        axes[1].set_ylabel("dI/dt (A/\u00b5s)")
    axes[-1].set_xlabel(f"time on the session clock ({unit})")
    for ax in axes:
        ax.grid(alpha=0.3)
    place_axes(fig, left_in=1.0, top_in=0.35, hgap_in=0.15, nrows=panels)
    return fig


def protocol_reconciliation(rows: list[ReconciliationRow], summary: PulseSummary | None) -> Figure:
    """Figure 3: declared versus delivered pulses per session, missing and extra pulses where they sit."""
    fig = Figure(figsize=(WIDTH_IN, 6.0))
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 1.6])
    x = np.arange(len(rows))
    missing = np.array([max(r.num_missing, 0) for r in rows])
    extra = np.array([max(r.num_extra, 0) for r in rows])
    _bars(top, x, -missing, MISSING)
    _bars(top, x, extra, EXTRA)
    top.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    top.axhline(0, color=OKABE_ITO["black"], linewidth=0.8)
    top.set_xticks(x[:: max(1, -(-len(rows) // 20))])
    top.set_xlabel("stimulation session")
    top.set_ylabel("pulses (count)")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.yaxis.set_major_formatter(lambda value, _pos: f"{abs(value):g}")
    declared = sum(r.num_declared for r in rows)
    delivered = sum(r.num_delivered for r in rows)
    top.set_title(
        f"declared {declared:,}, delivered {delivered:,}, missing {missing.sum():,}, extra {extra.sum():,}",
        fontsize=9,
    )
    top.legend(
        handles=[
            Patch(color=MISSING, label="missing (declared, not delivered)"),
            Patch(color=EXTRA, label="extra (delivered, not declared)"),
        ],
        fontsize=8,
        loc="lower right",
    )
    lim = max(1, int(missing.max(initial=0)), int(extra.max(initial=0)))
    top.set_ylim(-lim * 1.3, lim * 1.3)

    numbers = [s.number for s in summary.sessions] if summary is not None else []
    first_by_number = {s.number: s.first_s for s in summary.sessions} if summary is not None else {}
    for r in rows:
        if r.session not in numbers:
            numbers.append(r.session)
    position = {n: i for i, n in enumerate(numbers)}
    if summary is not None:
        scale, unit = time_scale(float(summary.row_edges_s[-1]))
        _draw_rows(bottom, summary.occupancy, summary.row_edges_s, [FAINT] * len(summary.sessions), scale, height=0.5)
    else:
        spans = [float(np.ptp(r.missing_s)) for r in rows if r.missing_s.size]
        scale, unit = time_scale(max(spans, default=0.0))
    miss_x, miss_y = [], []
    for r in rows:
        origin = first_by_number.get(r.session, float(r.missing_s.min()) if r.missing_s.size else 0.0)
        miss_x.extend(((r.missing_s - origin) / scale).tolist())
        miss_y.extend([position[r.session]] * r.missing_s.size)
    bottom.plot(
        miss_x,
        miss_y,
        "x",
        color=MISSING,
        markersize=8,
        markeredgewidth=2,
        label=f"missing ({len(miss_x)} with times)",
    )
    if summary is not None and summary.extra_rel_s.size:
        ey = [position[summary.sessions[i].number] for i in summary.extra_session.tolist()]
        bottom.plot(
            summary.extra_rel_s / scale,
            ey,
            "^",
            color=EXTRA,
            markersize=7,
            label=f"extra ({summary.n_extra})",
        )
    bottom.plot([], [], "s", color=FAINT, label="delivered")
    bottom.set_ylim(len(numbers) - 0.5, -0.5)
    _session_ticks(bottom, [f"S{n}" for n in numbers], [OKABE_ITO["black"]] * len(numbers), max_labels=12)
    bottom.set_xlabel(f"time since the session's first pulse ({unit})")
    bottom.set_ylabel("stimulation session")
    bottom.legend(fontsize=8, loc="upper right")
    session_labels = [f"S{n}" for n in numbers] + [f"{-lim:,}"]
    place_axes(fig, left_in=0.6 + text_width_in(session_labels, 10), top_in=0.35, hgap_in=0.95, nrows=2)
    return fig


def clock_alignment(fits: list[ClockFit]) -> Figure:
    """Figure 4: residuals of each clock fit over time, with +/- RMS lines."""
    shown = fits[:4]
    fig = Figure(figsize=(WIDTH_IN, 2.6 * len(shown) + 0.4))
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, fit in zip(axes, shown, strict=True):
        span = float(np.ptp(fit.time_s)) if fit.time_s.size else 0.0
        scale, unit = time_scale(span)
        ax.plot(
            fit.time_s / scale,
            fit.residual_s * 1e6,
            ".-" if fit.time_s.size < 300 else ".",  # many events: dots show quantisation steps
            color=ACTIVE,
            linewidth=0.8,
            markersize=3,
            label="residual",
        )
        for sign in (1, -1):
            ax.axhline(
                sign * fit.rms_s * 1e6,
                color=OKABE_ITO["orange"],
                linestyle="--",
                linewidth=1,
                label="\u00b1 RMS" if sign == 1 else None,
            )
        ax.axhline(0, color=OKABE_ITO["black"], linewidth=0.5)
        ax.set_ylabel("residual (\u00b5s)")
        ax.set_xlabel(f"{fit.aligned_clock or 'device'} time ({unit})")
        note = f", min/max per bin of {fit.n_events:,} events" if fit.downsampled else f", {fit.n_events} events"
        ax.set_title(
            f"{fit.name}: {fit.aligned_clock} \u2192 {fit.reference_clock}; "
            f"RMS {fit.rms_s * 1e6:.3g} \u00b5s, "
            f"offset {fit.offset_s * 1e3:.4g} ms, drift {fit.drift_ppm:.3g} ppm{note}",
            fontsize=9,
        )
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.3)
    place_axes(fig, left_in=1.0, top_in=0.35, hgap_in=0.95, nrows=len(shown))
    return fig


def _frame_period_s(line: ImagingTimeline) -> float:
    """Time between frames: from the rate, else the frame duration."""
    return 1.0 / line.rate_hz if line.rate_hz else line.frame_duration_s


def _close_gaps(flags: np.ndarray, frames_per_bin_width: float) -> np.ndarray:
    """``flags`` with runs of False shorter than 1.5 frame periods (in bins) set, between True bins.

    With more time bins than frames, bins between two consecutive frames are empty; imaging did not stop
    there, so the band of imaged time is drawn unbroken.
    """
    limit = int(np.ceil(1.5 * frames_per_bin_width))
    closed = flags.copy()
    for start, length in _runs(~flags):
        if start > 0 and start + length < flags.size and length <= limit:
            closed[start : start + length] = True
    return closed


def imaging_timeline(
    timelines: list[ImagingTimeline], summary: PulseSummary | None, window_pulses_s: Sequence[np.ndarray] = ()
) -> Figure:
    """Figure 5: frames over time with artifact frames highlighted; a zoom on the first masked frame."""
    shown = timelines[:3]
    fig = Figure(figsize=(WIDTH_IN, 4.6 * len(shown) + 0.4))
    axes = fig.subplots(2 * len(shown), 1, squeeze=False, height_ratios=[1, 1] * len(shown))[:, 0]
    for k, line in enumerate(shown):
        over, zoom = axes[2 * k], axes[2 * k + 1]
        pad = 0.02 * (line.edges_s[-1] - line.edges_s[0])
        lo, hi = line.edges_s[0] - pad, line.edges_s[-1] + pad
        scale, unit = time_scale(hi - lo)
        edges = line.edges_s
        imaged = _close_gaps(line.frames_per_bin > 0, _frame_period_s(line) / float(edges[1] - edges[0]))
        for a, n in _runs(imaged):
            over.axvspan(edges[a] / scale, edges[a + n] / scale, color=FAINT, alpha=0.5, linewidth=0)
        # masked fraction per bin; bins between two frames carry the previous frame's value
        has_frames = line.frames_per_bin > 0
        fraction = line.masked_per_bin / np.maximum(line.frames_per_bin, 1)
        last_with_frames = np.maximum.accumulate(np.where(has_frames, np.arange(has_frames.size), 0))
        fraction = np.where(imaged, fraction[last_with_frames], 0.0)
        over.fill_between(edges / scale, np.append(fraction, fraction[-1]), step="post", color=MASKED, linewidth=0)
        if summary is not None:
            p_centres = (summary.course_edges_s[:-1] + summary.course_edges_s[1:]) / 2
            pulse_bins = (summary.course_count > 0) & (p_centres >= lo) & (p_centres <= hi)
            p_centres = p_centres / scale
            over.plot(
                p_centres[pulse_bins],
                np.full(int(pulse_bins.sum()), 1.08),
                "|",
                color=OKABE_ITO["black"],
                markersize=6,
            )
        over.set_ylim(0, 1.15)
        over.set_xlim(lo / scale, hi / scale)
        over.set_ylabel("masked fraction")
        over.set_xlabel(f"time on the session clock ({unit})")
        percent = 100.0 * line.n_masked / max(line.n_frames, 1)
        mask_text = (
            f"{line.n_masked:,} of {line.n_frames:,} frames masked ({percent:.2f} %)"
            if line.mask_name
            else f"{line.n_frames:,} frames; no TMS artifact mask in the file"
        )
        over.set_title(f"{line.series}: {mask_text}", fontsize=9, loc="left")
        over.legend(
            handles=[
                Patch(color=FAINT, label="imaging"),
                Patch(color=MASKED, label="masked fraction"),
                Line2D([], [], color="k", marker="|", linestyle="", label="TMS pulses"),
            ],
            fontsize=8,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=3,
            frameon=False,
        )
        frames = line.zoom_frame_s
        colours = np.where(line.zoom_masked, MASKED, FAINT)
        zoom.broken_barh([(t, line.frame_duration_s * 0.9) for t in frames.tolist()], (0, 1), facecolors=colours)
        pulses = window_pulses_s[k] if k < len(window_pulses_s) else np.zeros(0)
        if pulses.size:
            zoom.vlines(pulses, -0.1, 1.2, color=OKABE_ITO["black"], linewidth=1.2)
        if frames.size:
            zoom.set_xlim(frames[0] - line.frame_duration_s, frames[-1] + 2 * line.frame_duration_s)
        zoom.set_ylim(-0.15, 1.25)
        zoom.set_yticks([])
        zoom.set_xlabel("time on the session clock (s)")
        zoom.set_title(f"zoom: {frames.size} frames around the first masked frame", fontsize=9, loc="left")
        zoom.legend(
            handles=[
                Patch(color=FAINT, label="frame"),
                Patch(color=MASKED, label="masked frame"),
                Line2D([], [], color="k", label="pulse"),
            ],
            fontsize=8,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=3,
            frameon=False,
        )
    place_axes(fig, left_in=0.9, top_in=0.35, hgap_in=0.95, nrows=2 * len(shown))
    return fig


def roi_map(maps: list[RoiMap]) -> Figure:
    """Figure 6: mean image with ROI outlines coloured by cell type and drawn by kind."""
    shown = maps[:2]
    fig = Figure(figsize=(7.5 * len(shown), 7.0))
    axes = fig.subplots(1, len(shown), squeeze=False)[0]
    for ax, plane in zip(axes, shown, strict=True):
        if plane.image is not None:
            finite = plane.image[np.isfinite(plane.image)]
            vmin, vmax = np.percentile(finite, [1, 99.5]) if finite.size else (0, 1)
            # brightest pixels at 60% grey, so coloured outlines stay visible on bright ROIs
            ax.imshow(plane.image, cmap="gray", vmin=vmin, vmax=vmin + (vmax - vmin) / 0.6, interpolation="nearest")
        else:
            ax.set_facecolor("#222222")
            ax.invert_yaxis()
        types = list(plane.cell_types) + sorted({r.cell_type for r in plane.rois} - set(plane.cell_types))
        colour_of = {
            t: (FAINT if t == "unlabelled" else CELL_TYPE_COLOURS[i % len(CELL_TYPE_COLOURS)])
            for i, t in enumerate(types)
        }
        groups: dict[tuple[str, str], list[np.ndarray]] = {}
        for roi in plane.rois:
            groups.setdefault((roi.cell_type, roi.kind), []).extend(roi.lines)
        for (cell_type, kind), lines in groups.items():
            style, _ = ROI_KIND_STYLES.get(kind, ("-", None))
            outlines = LineCollection(lines, colors=colour_of[cell_type], linestyles=style, linewidths=1.6)
            outlines.set_path_effects([patheffects.withStroke(linewidth=3.2, foreground="black")])
            ax.add_collection(outlines)
        centroids = {i: r.centroid for i, r in enumerate(plane.rois)}
        for roi in plane.rois:
            _, marker = ROI_KIND_STYLES.get(roi.kind, ("-", None))
            if marker:
                ax.plot(*roi.centroid, marker=marker, markersize=3, color=colour_of[roi.cell_type])
            if roi.parent >= 0 and roi.parent in centroids:
                px, py = centroids[roi.parent]
                ax.plot(
                    [roi.centroid[0], px],
                    [roi.centroid[1], py],
                    color=colour_of[roi.cell_type],
                    linewidth=0.5,
                    alpha=0.6,
                )
        handles = [
            Line2D([], [], color=colour_of[t], linewidth=2, label=t)
            for t in types
            if any(r.cell_type == t for r in plane.rois)
        ]
        kinds = sorted({r.kind for r in plane.rois})
        handles += [
            Line2D(
                [],
                [],
                color="k",
                linestyle=ROI_KIND_STYLES.get(k, ("-", None))[0],
                marker=ROI_KIND_STYLES.get(k, ("-", None))[1],
                label=k,
            )
            for k in kinds
        ]
        ax.legend(handles=handles, fontsize=7, loc="upper right", framealpha=0.8)
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
        drawn = (
            f"{len(plane.rois)} of {plane.n_rois} ROIs" if len(plane.rois) < plane.n_rois else f"{plane.n_rois} ROIs"
        )
        kind_note = "" if plane.has_kind else "; no roi_kind column"
        ax.set_title(
            f"{plane.name.rsplit('/', 1)[-1]}: {drawn}{kind_note}\nbackground: {plane.image_source}",
            fontsize=8,
        )
        if plane.image is None and plane.rois:
            xs = np.concatenate([np.concatenate(r.lines)[:, 0] for r in plane.rois])
            ys = np.concatenate([np.concatenate(r.lines)[:, 1] for r in plane.rois])
            ax.set_xlim(xs.min() - 2, xs.max() + 2)
            ax.set_ylim(ys.max() + 2, ys.min() - 2)
    place_axes(fig, left_in=0.75, top_in=0.55, bottom_in=0.6, wgap_in=0.9, ncols=len(shown))
    return fig


#: Most places listed in the validation figure (the table under it lists every finding).
MAX_FINDING_PLACES = 15


def _shorten(text: str, limit: int = 48) -> str:
    """``text`` cut from the left to ``limit`` characters (object paths end with what matters)."""
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1) :]


def validation_summary(findings: Sequence) -> Figure:
    """Figure 7: findings per severity (left) and where they sit (right: one bar per place, split by
    severity, labelled with the checks), most serious places first."""
    counts: dict[str, int] = {}
    places: dict[str, dict[str, int]] = {}
    checks: dict[str, list[str]] = {}
    for finding in findings:
        severity = severity_name(finding)
        counts[severity] = counts.get(severity, 0) + 1
        place = finding_place(finding)
        by_severity = places.setdefault(place, {})
        by_severity[severity] = by_severity.get(severity, 0) + 1
        check = str(getattr(finding, "check_id", ""))
        if check and check not in checks.setdefault(place, []):
            checks[place].append(check)
    order = [s for s in SEVERITY_ORDER if s in counts] + sorted(set(counts) - set(SEVERITY_ORDER))
    rank = {s: i for i, s in enumerate(order)}
    ranked = sorted(places, key=lambda p: (min(rank[s] for s in places[p]), -sum(places[p].values()), p))
    shown = ranked[:MAX_FINDING_PLACES]
    rows = max(len(shown), len(order), 2)
    fig = Figure(figsize=(WIDTH_IN, 0.9 + 0.32 * rows))
    left, right = fig.subplots(1, 2, width_ratios=[1, 2.4])
    total = sum(counts.values())
    if not order:
        for ax in (left, right):
            ax.set_axis_off()
        left.text(0.5, 0.5, "no findings", ha="center", va="center", transform=left.transAxes)
        fig.suptitle("validation: 0 findings", fontsize=9)
        return fig
    y = np.arange(len(order))
    values = [counts[s] for s in order]
    colours = [SEVERITY_COLOURS.get(s, OKABE_ITO["purple"]) for s in order]
    left.barh(y, values, color=colours)
    left.set_yticks(y, [s.replace("best_practice_", "best practice\n") for s in order], fontsize=8)
    left.set_ylim(len(order) - 0.5, -0.5)
    for yi, v in zip(y, values, strict=True):
        left.text(v, yi, f" {v}", va="center", fontsize=8)
    left.set_xlim(0, max(values) * 1.3 + 0.5)
    left.set_xlabel("findings (count)")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_title(f"{total} finding(s) by severity", fontsize=9)

    ys = np.arange(len(shown))
    start = np.zeros(len(shown))
    for severity in order:
        widths = np.array([places[p].get(severity, 0) for p in shown], dtype=float)
        if widths.any():
            right.barh(ys, widths, left=start, color=SEVERITY_COLOURS.get(severity, OKABE_ITO["purple"]))
        start += widths
    right.set_yticks(ys, [_shorten(p) for p in shown], fontsize=7)
    right.set_ylim(len(shown) - 0.5, -0.5)
    for yi, place in zip(ys, shown, strict=True):
        names = checks.get(place, [])
        label = names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "") if names else ""
        right.text(start[yi], yi, f" {label}", va="center", fontsize=7)
    right.set_xlim(0, float(start.max()) * 2.2 + 0.5)
    right.set_xlabel("findings (count)")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    more = f"; {len(ranked) - len(shown)} more place(s) in the table" if len(ranked) > len(shown) else ""
    right.set_title(f"where: {len(ranked)} place(s), most serious first{more}", fontsize=9)
    left_labels = [t.get_text() for t in left.get_yticklabels()]
    place_axes(
        fig,
        left_in=0.25 + text_width_in(left_labels, 8),
        top_in=0.35,
        bottom_in=0.5,
        wgap_in=0.35 + text_width_in([_shorten(p) for p in shown], 7),
        ncols=2,
    )
    return fig
