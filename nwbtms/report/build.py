"""Build the quality-control page of one NWB file: read, draw each section, assemble, write atomically.

Each section is drawn on its own: data that are absent give a note saying so, and an unexpected error
in one section is shown in that section (and listed in :attr:`Report.errors`) instead of failing the
whole page.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nwbtms._version import __version__
from nwbtms.errors import OutputExistsError
from nwbtms.io.atomic import atomic_output, make_folder, refuse_existing
from nwbtms.progress import progress
from nwbtms.report import figures
from nwbtms.report.html import Section, assemble_page, table_html
from nwbtms.report.reader import (
    NwbFile,
    read_clock_alignments,
    read_header,
    read_imaging_timelines,
    read_reconciliation,
    read_roi_maps,
    summarise_pulses,
)
from nwbtms.report.validation import finding_row, run_validation

#: (figure id, section title) in page order; the figure id is also the PNG file stem of ``--png``.
FIGURES = (
    ("fig-stimulation", "1. Stimulation overview"),
    ("fig-intensity", "2. Intensity over the course"),
    ("fig-protocol", "3. Delivered versus declared protocol"),
    ("fig-clock", "4. Clock alignment"),
    ("fig-imaging", "5. Imaging timeline and TMS artifact frames"),
    ("fig-roi", "6. ROI map"),
    ("fig-spines", "7. Spines across days"),
    ("fig-validation", "8. Validation summary"),
)
#: Most rows listed in a table under a figure.
MAX_TABLE_ROWS = 200


@dataclass
class Report:
    """The page and its figures (PNG bytes by figure id); ``errors`` lists sections that failed."""

    html: str
    figures: dict[str, bytes]
    sections: list[Section]
    errors: list[str] = field(default_factory=list)
    #: remote files (URLs): bytes transferred to read the page's data (validation not included)
    transferred: str | None = None


def _draw(section: Section, make: Callable[[], object]) -> None:
    """Render ``make()`` (a Figure, or a str saying the data are absent) into ``section``."""
    result = make()
    if isinstance(result, str):
        section.absent = result
    elif result is not None:
        section.png = figures.figure_png(result)


def render_report(path: str | os.PathLike, *, validate: bool = True, quiet: bool = False) -> Report:
    """Read ``path`` and build the page in memory.

    Parameters
    ----------
    path : path
        The NWB file.
    validate : bool
        Run the nwbtms validator for section 7 (when importable).
    quiet : bool
        No progress bar.

    Raises
    ------
    InputError
        The file is missing or not an NWB file.
    """
    from nwbtms.io.remote import is_url

    path = path if is_url(path) else Path(path)
    sections = {fig_id: Section(fig_id, title) for fig_id, title in FIGURES}
    errors: list[str] = []
    with NwbFile(path) as nwb:
        file_name = nwb.name
        header = read_header(nwb)
        state: dict[str, object] = {}

        def imaging() -> object:
            timelines = read_imaging_timelines(nwb)
            state["timelines"] = timelines
            return timelines

        def pulses() -> object:
            timelines = state.get("timelines")
            timelines = timelines if isinstance(timelines, list) else []
            windows = [
                (float(t.zoom_frame_s[0]) - 1.0, float(t.zoom_frame_s[-1]) + 1.0)
                for t in timelines[:3]
                if t.zoom_frame_s.size
            ]
            summary = summarise_pulses(nwb, windows_s=windows)
            state["pulses"] = summary
            return summary

        steps: list[tuple[str, Callable[[], object]]] = [
            ("read imaging", imaging),
            ("read pulses", pulses),
            ("fig-stimulation", lambda: _stimulation(_need(state, "pulses"))),
            ("fig-intensity", lambda: _intensity(_need(state, "pulses"))),
            ("fig-protocol", lambda: _protocol(nwb, _need(state, "pulses"), sections["fig-protocol"])),
            ("fig-clock", lambda: _clock(nwb)),
            ("fig-imaging", lambda: _imaging(_need(state, "timelines"), _need(state, "pulses"))),
            ("fig-roi", lambda: _roi(nwb)),
            ("fig-spines", lambda: _spines(path, sections["fig-spines"])),
            ("fig-validation", lambda: _validation(path, validate, sections["fig-validation"])),
        ]
        for name, step in progress(steps, total=len(steps), desc="report", unit="step", quiet=quiet):
            try:
                if name in sections:
                    _draw(sections[name], step)
                else:
                    step()
            except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
                message = f"{type(exc).__name__}: {exc}"
                errors.append(f"{name}: {message}")
                if name in sections:
                    sections[name].error = message
                else:
                    state["timelines" if name == "read imaging" else "pulses"] = _ReadFailed(message)
        transferred = nwb.remote.describe() if nwb.remote is not None else None
    for fig_id, section in sections.items():
        if section.png is None and section.absent is None and section.error is None:
            section.error = "skipped because reading its data failed; see the other sections"
            errors.append(f"{fig_id}: not drawn")
    ordered = [sections[fig_id] for fig_id, _ in FIGURES]
    page = assemble_page(header, ordered, generator=f"nwbtms {__version__} report of {file_name}")
    return Report(page, {s.fig_id: s.png for s in ordered if s.png is not None}, ordered, errors,
                  transferred=transferred)


class _ReadFailed:
    """Marks data whose reading failed, so dependent sections say so instead of 'absent'."""

    def __init__(self, message: str) -> None:
        self.message = message


def _need(state: dict[str, object], key: str) -> object:
    value = state.get(key)
    if isinstance(value, _ReadFailed):
        raise RuntimeError(f"reading the {key} failed ({value.message})")
    return value


def _stimulation(summary) -> object:
    if summary is None:
        return "No TMS pulses in this file (no TMSPulsesTable, or it has no rows)."
    return figures.stimulation_overview(summary)


def _intensity(summary) -> object:
    if summary is None:
        return "No TMS pulses in this file, so no intensity to show."
    return figures.intensity_course(summary)


def _protocol(nwb: NwbFile, summary, section: Section) -> object:
    rows = read_reconciliation(nwb)
    if not rows:
        return "No TMSReconciliationTable in this file: delivered pulses were not reconciled with the protocol."
    listed = [
        (
            r.session,
            r.protocol,
            r.num_declared,
            r.num_delivered,
            r.num_missing,
            r.num_extra,
            "; ".join(r.discrepancies),
        )
        for r in rows
        if r.discrepancies or r.num_missing or r.num_extra
    ]
    if listed:
        section.extra_html.append(
            table_html(
                ["session", "protocol", "declared", "delivered", "missing", "extra", "where"],
                listed[:MAX_TABLE_ROWS],
                caption=f"sessions with discrepancies ({len(listed)}; first {MAX_TABLE_ROWS} listed)"
                if len(listed) > MAX_TABLE_ROWS
                else "sessions with discrepancies",
            )
        )
    section.caption = "Top: missing and extra pulses per session. Bottom: where they sit in each session."
    return figures.protocol_reconciliation(rows, summary)


def _clock(nwb: NwbFile) -> object:
    fits = read_clock_alignments(nwb)
    if not fits:
        return "No TMSClockAlignment in this file: no clock fit to show."
    return figures.clock_alignment(fits)


def _imaging(timelines, summary) -> object:
    if not timelines:
        return "No imaging series (TwoPhotonSeries or OnePhotonSeries) in this file."
    windows = summary.window_pulses_s if summary is not None else []
    return figures.imaging_timeline(timelines, summary, windows)


def _roi(nwb: NwbFile) -> object:
    maps = read_roi_maps(nwb)
    if not maps:
        return "No PlaneSegmentation with image or pixel masks in this file."
    return figures.roi_map(maps)


def _spines(path: Path | str, section: Section) -> object:
    from nwbtms.report.spines import read_spine_days, spines_across_days

    data = read_spine_days(path)
    if data is None:
        return "No spine ROIs with a roi_key in this file: nothing to follow across days."
    rows = [(r.cell_type or "-", r.from_session, r.to_session, r.n_start, r.n_end, r.gained, r.lost,
             f"{r.turnover_ratio:.3g}", f"{r.survival_fraction:.3g}", f"{r.density_end_per_um:.3g}")
            for r in data.pooled]
    if rows:
        section.extra_html.append(table_html(
            ["cell type", "from", "to", "n_start", "n_end", "gained", "lost", "turnover ratio", "survival",
             "density (/um)"], rows[:MAX_TABLE_ROWS], caption="pooled per cell type (nwbtms spines turnover)"))
    section.caption = ("Top: each spine key (row) by session (column), filled where annotated, grouped by "
                       "dendrite; sessions are this file and the files of the same subject beside it, by "
                       "start time. Bottom: formation and elimination rates per cell type.")
    return spines_across_days(data)


def _validation(path: Path | str, validate: bool, section: Section) -> object:
    if not validate:
        return "Validation was not run (disabled)."
    outcome = run_validation(path)
    if outcome.findings is None:
        return f"Validation was unavailable: {outcome.unavailable}."
    rows = [finding_row(f) for f in outcome.findings]
    if rows:
        section.extra_html.append(
            table_html(
                ["severity", "check", "where", "message", "hint"],
                rows[:MAX_TABLE_ROWS],
                caption=f"first {MAX_TABLE_ROWS} of {len(rows)} findings" if len(rows) > MAX_TABLE_ROWS else "",
            )
        )
    return figures.validation_summary(outcome.findings)


def write_report(
    path: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    png_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    validate: bool = True,
    quiet: bool = False,
) -> Report:
    """Build the page of ``path`` and write it to ``output`` and/or its figures into ``png_dir``.

    Every file is written atomically; existing files are refused before any work unless ``overwrite``.

    Raises
    ------
    OutputExistsError
        An output file exists and ``overwrite`` is false.
    InputError
        The NWB file is missing or not NWB, or an output folder does not exist.
    """
    targets = []
    if output is not None:
        targets.append(Path(output))
    png_path = Path(png_dir) if png_dir is not None else None
    if png_path is not None:
        if png_path.exists() and not png_path.is_dir():
            raise OutputExistsError(
                "--png must be a folder, and this path is a file",
                file=png_path,
                hint="give a folder name for the figures",
            )
        targets.extend(png_path / f"{fig_id}.png" for fig_id, _ in FIGURES)
    for target in targets:
        refuse_existing(target, overwrite=overwrite)
    report = render_report(path, validate=validate, quiet=quiet)
    if png_path is not None:
        make_folder(png_path)
        for fig_id, png in report.figures.items():
            with atomic_output(png_path / f"{fig_id}.png", overwrite=overwrite) as tmp:
                tmp.write_bytes(png)
    if output is not None:
        with atomic_output(Path(output), overwrite=overwrite) as tmp:
            tmp.write_text(report.html, encoding="utf-8")
    return report
