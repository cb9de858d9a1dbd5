"""The study page of a folder of NWB files (``nwbtms report DIR -o study.html``).

Sections: the design (one row per subject: its condition factors, cell types, effectors and ligand injections,
and its sessions in time order, each linked to its own page), spine turnover per cell type x condition across
days (:func:`nwbtms.spines.turnover.group_summary`), behaviour scores per condition (each subject's value
per test, measure and behaviour session, then mean and SEM across subjects), pulse-aligned fiber photometry
per cell type and condition (the mean across fibers of each fiber's mean response), and the session pages.

The files are read one task per file (:mod:`nwbtms.report.study_reader`), which also writes each session's
page into a folder beside the study page (``<stem>_sessions/<path of the file in DIR>.html``); every page is
written atomically, and existing pages are refused up front unless ``overwrite``. A section whose data are
absent says so, and one that fails shows its error without hiding the others.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np

from nwbtms._version import __version__
from nwbtms.errors import InputError, OutputExistsError
from nwbtms.io.atomic import atomic_output, make_folder, refuse_existing
from nwbtms.report import figures
from nwbtms.report.html import RawHtml, Section, esc, link_html, page_html, table_html
from nwbtms.report.study_reader import StudySession, page_path, read_study

#: (section id, title) in page order; the id is also the PNG stem of ``--png``.
SECTIONS = (
    ("study-design", "1. Design: subjects, condition factors, sessions"),
    ("study-turnover", "2. Spine turnover per cell type x condition across days"),
    ("study-behavior", "3. Behaviour scores per condition"),
    ("study-photometry", "4. Pulse-aligned fiber photometry per cell type"),
    ("study-sessions", "5. Session pages"),
)
#: Most rows listed in a table.
MAX_TABLE_ROWS = 500


@dataclass
class StudyReport:
    """The study page, its figures (PNG bytes by section id), the session pages and the problems."""

    html: str
    figures: dict[str, bytes]
    sections: list[Section]
    sessions: list[StudySession]
    errors: list[str] = field(default_factory=list)

    @property
    def pages(self) -> list[str]:
        """Session pages written."""
        return [s.page for s in self.sessions if s.page]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def _pm(mean: float, sem: float) -> str:
    """``mean +/- sem``, or the mean alone when the SEM is undefined (one subject)."""
    return _fmt(mean) if not math.isfinite(sem) else f"{_fmt(mean)} +/- {_fmt(sem)}"


def _mean_sem(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return math.nan, math.nan
    sem = float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else math.nan
    return float(array.mean()), sem


class _Study:
    """The sessions read, grouped by subject, with each subject's condition."""

    def __init__(self, sessions: list[StudySession], output: Path | None) -> None:
        from nwbtms.spines.registry import build_registry
        from nwbtms.spines.turnover import condition_label

        self.sessions = sessions
        self.read = [s for s in sessions if s.rois is not None]
        self.registry = build_registry(s.rois for s in self.read)
        self.by_rois = {id(s.rois): s for s in self.read}
        self.conditions = {sid: sub.condition for sid, sub in self.registry.subjects.items()}
        self.labels = {sid: condition_label(c) for sid, c in self.conditions.items()}
        self.condition_order = sorted(set(self.labels.values()))
        self.factors = sorted({f for c in self.conditions.values() for f in c})
        self.output = output

    def href(self, session: StudySession) -> str | None:
        """Link from the study page to the session's page (relative, URL-encoded)."""
        if not session.page or self.output is None:
            return None
        relative = os.path.relpath(session.page, self.output.resolve().parent)
        return quote(Path(relative).as_posix())


def _design(study: _Study, section: Section) -> str | None:
    if not study.registry.subjects:
        return "No readable NWB file in the folder."
    rows = []
    for subject_id, subject in study.registry.subjects.items():
        files = [study.by_rois[id(s)] for s in subject.sessions]
        cell_types = sorted({r.cell_type for s in subject.sessions for r in s.rois if r.cell_type}
                            | {p["cell_type"] for f in files for p in f.photometry if p["cell_type"]})
        effectors = sorted({f"{name} ({ligand})" if ligand else name for f in files for name, ligand
                            in f.effectors.items()})
        injections = sorted({substance for f in files for substance in f.ligand_injections})
        links = []
        for session, file in zip(subject.sessions, files, strict=True):
            href = study.href(file)
            links.append(link_html(href, session.label) if href else esc(session.label))
        condition = study.conditions[subject_id]
        rows.append((subject_id, *[condition.get(f, "-") for f in study.factors], ", ".join(cell_types) or "-",
                     ", ".join(effectors) or "-", ", ".join(injections) or "-", len(files),
                     RawHtml(", ".join(links))))
    section.extra_html.append(table_html(
        ["subject", *study.factors, "cell types", "effectors (ligand)", "ligand injections", "n", "sessions"],
        rows[:MAX_TABLE_ROWS],
        caption="one row per subject; factors from /general/study_design (levels joined by | where the subject's "
                "files disagree); sessions in time order, each linked to its page"))
    if not study.factors:
        section.absent = ("No condition factors in the files (no /general/study_design experimental_condition): "
                          "every summary below has one condition.")
    return None


def _turnover(study: _Study, section: Section):
    from nwbtms.spines.turnover import compute_turnover

    result = compute_turnover(study.registry)
    if not result.summary:
        return ("No spine turnover: no subject has two sessions with annotated dendrites and keyed spines "
                "(PlaneSegmentation roi_key).")
    pairs = list(dict.fromkeys(f"{s.from_session} -> {s.to_session}" for s in result.summary))
    cell_types = sorted({s.cell_type or "unlabelled" for s in result.summary})
    conditions = sorted({s.condition_label for s in result.summary})
    groups: dict[tuple[str, str], dict[str, tuple]] = {}
    rows = []
    for s in result.summary:
        cell_type = s.cell_type or "unlabelled"
        pair = f"{s.from_session} -> {s.to_session}"
        groups.setdefault((cell_type, s.condition_label), {})[pair] = (
            s.mean["turnover_ratio"], s.sem["turnover_ratio"], s.mean["density_end_per_um"],
            s.sem["density_end_per_um"], s.n_subjects)
        rows.append((cell_type, s.condition_label or "-", s.from_session, s.to_session, _fmt(s.interval_days),
                     s.n_subjects, s.counts["n_start"], s.counts["n_end"], s.counts["gained"], s.counts["lost"],
                     *(_pm(s.mean[k], s.sem[k]) for k in
                       ("turnover_ratio", "density_end_per_um", "formation_rate", "elimination_rate")),
                     ", ".join(s.subjects)))
    section.extra_html.append(table_html(
        ["cell type", "condition", "from", "to", "days", "n subjects", "n_start", "n_end", "gained", "lost",
         "turnover ratio", "density (/um)", "formation", "elimination", "subjects"], rows[:MAX_TABLE_ROWS],
        caption="counts summed over the group's subjects; rates mean +/- SEM across subjects (the mean alone for "
                "one subject; nwbtms spines turnover)"))
    section.caption = ("Turnover ratio (gained + lost) / (n_start + n_end) (Holtmaat et al. 2009) and spine density "
                       "per consecutive session pair; colour = cell type, line style = condition.")
    ordered = [(t, c, groups[(t, c)]) for t in cell_types for c in conditions if (t, c) in groups]
    from nwbtms.report.study_figures import turnover_by_group

    return turnover_by_group(pairs, ordered, cell_types, conditions)


def _behavior(study: _Study, section: Section):
    seen, per_subject = set(), {}
    for session in study.read:
        for value in session.behavior:
            key = (value["subject"], value["test"], value["behavior_session"], value["start_date"], value["measure"])
            if key in seen:  # each session file of a subject repeats the subject's tests
                continue
            seen.add(key)
            group = (value["test"], value["measure"], value["unit"], value["behavior_session"], value["subject"])
            per_subject.setdefault(group, []).append((value["start_date"], value["value"]))
    if not per_subject:
        return "No scored behaviour in the files (no intervals/behavior table)."
    panels: dict[tuple[str, str, str], dict[tuple[str, str], list[float]]] = {}
    first_date: dict[tuple[str, str, str], dict[str, str]] = {}
    members: dict[tuple, list[str]] = {}
    for (test, measure, unit, b_session, subject), values in sorted(per_subject.items()):
        condition = study.labels.get(subject, "")
        panel = (test, measure, unit)
        panels.setdefault(panel, {}).setdefault((b_session, condition), []).append(
            float(np.mean([v for _, v in values])))
        dates = first_date.setdefault(panel, {})
        dates[b_session] = min(dates.get(b_session, values[0][0]), *(d for d, _ in values))
        members.setdefault((*panel, b_session, condition), []).append(subject)
    conditions = sorted({c for values in panels.values() for _, c in values})
    drawn, rows = [], []
    for panel in sorted(panels):
        test, measure, unit = panel
        sessions = sorted(first_date[panel], key=lambda b: (first_date[panel][b], b))
        drawn.append((f"{test}: {measure}" + (f" ({unit})" if unit else ""), sessions, panels[panel]))
        for b_session in sessions:
            for condition in conditions:
                values = panels[panel].get((b_session, condition))
                if values:
                    mean, sem = _mean_sem(values)
                    rows.append((test, measure, unit or "-", b_session, condition or "-", len(values), _fmt(mean, 4),
                                 _fmt(sem, 4), ", ".join(members[(*panel, b_session, condition)])))
    section.extra_html.append(table_html(
        ["test", "measure", "unit", "behaviour session", "condition", "n subjects", "mean", "SEM", "subjects"],
        rows[:MAX_TABLE_ROWS], caption="per subject the mean of its tests of that kind in that behaviour session; "
                                       "then mean and SEM across subjects"))
    section.caption = "Bars: mean +/- SEM across subjects per condition; dots: subjects."
    from nwbtms.report.study_figures import MAX_PANELS, behavior_by_condition

    if len(drawn) > MAX_PANELS:
        section.caption += f" First {MAX_PANELS} of {len(drawn)} panels drawn; all are in the table."
    return behavior_by_condition(drawn, conditions)


def _photometry(study: _Study, section: Section):
    notes = [f"{s.relative}: {s.photometry_error}" for s in study.read if s.photometry_error]
    if notes:
        section.extra_html.append(f'<p class="error">Photometry not read from: {esc("; ".join(notes))}</p>')
    signals: dict[tuple[str, float, str], list[dict]] = {}
    for session in study.read:
        condition = study.labels.get(session.subject_id, "")
        for response in session.photometry:
            entry = dict(response, subject=session.subject_id, session=session.session_id)
            key = (response["cell_type"] or "unlabelled", response["excitation_wavelength_in_nm"], condition)
            signals.setdefault(key, []).append(entry)
    if not signals:
        return ("No pulse-aligned fiber photometry in the files (no FiberPhotometryResponseSeries with TMS pulses "
                "to align to).")
    conditions = sorted({c for _, _, c in signals})
    panels, rows = [], []
    for cell_type, nm in sorted({(t, nm) for t, nm, _ in signals}, key=lambda k: (k[0], -k[1])):
        lines = []
        for condition in conditions:
            entries = signals.get((cell_type, nm, condition))
            if not entries:
                continue
            time_s = np.asarray(entries[0]["time_s"], dtype=float)
            means = np.array([np.interp(time_s, np.asarray(e["time_s"], float), np.asarray(e["mean"], float))
                              for e in entries])
            if len(entries) > 1:
                mean, sem = np.nanmean(means, axis=0), np.nanstd(means, axis=0, ddof=1) / math.sqrt(len(entries))
            else:
                mean, sem = means[0], np.asarray(entries[0]["sem"], dtype=float)
            lines.append((condition, time_s, mean, sem, len(entries)))
            finite = np.isfinite(mean)
            peak = int(np.argmax(np.where(finite, np.abs(mean), -1.0))) if finite.any() else None
            rows.append((cell_type, f"{nm:g}", condition or "-", len(entries), len({e["subject"] for e in entries}),
                         sum(int(e["n_pulses"]) for e in entries),
                         ", ".join(sorted({e.get("aligned_to", "every pulse") for e in entries})), entries[0]["unit"],
                         "-" if peak is None else f"{mean[peak]:.4g} at {time_s[peak]:.3g} s",
                         ", ".join(sorted({f"{e['subject']}/{e['session']}/{e['fiber']}" for e in entries}))))
        panels.append((f"{cell_type} neurons, {nm:g} nm excitation", lines))
    section.extra_html.append(table_html(
        ["cell type", "excitation (nm)", "condition", "signals", "subjects", "onsets", "aligned to", "unit",
         "largest mean deflection", "subject/session/fiber"], rows[:MAX_TABLE_ROWS],
        caption="one response per fiber signal and session (mean over the onsets it is aligned to: every pulse, "
                "or the first pulse of each train or burst when the file's pulses come in trains; artifact samples "
                "left out); mean and SEM across signals"))
    section.caption = ("Mean response across fibers, shaded +/- SEM across fibers (one fiber: its own SEM across "
                       "onsets); time 0 = the onset aligned to (table: aligned to).")
    from nwbtms.report.study_figures import photometry_by_cell_type

    return photometry_by_cell_type(panels, conditions)


def _sessions(study: _Study, section: Section) -> str | None:
    order = {id(s): i for i, s in enumerate(s for sub in study.registry.subjects.values() for s in sub.sessions)}
    rows = []
    for session in sorted(study.sessions, key=lambda s: order.get(id(s.rois), len(order))):
        href = study.href(session)
        start = session.rois.start_time.isoformat() if session.rois is not None and session.rois.start_time else "-"
        note = session.error or "; ".join(session.page_errors) or ""
        rows.append((session.subject_id or "-", session.session_id, start, session.relative,
                     link_html(href, "page") if href else "-", note))
    section.extra_html.append(table_html(["subject", "session", "start", "file", "page", "problems"],
                                         rows[:MAX_TABLE_ROWS]))
    if not any(s.page for s in study.sessions):
        return "Session pages were not written (no output page given)."
    return None


def _header(folder: Path, study: _Study) -> str:
    facts = [("folder", str(folder)), ("files", len(study.sessions)), ("read", len(study.read)),
             ("subjects", len(study.registry.subjects)),
             ("condition factors", ", ".join(study.factors) or "none"),
             ("conditions", "; ".join(c or "(none)" for c in study.condition_order) or "none")]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return (f'<header id="header"><h1>nwbtms study report: {esc(folder.name or folder)}</h1>'
            f'<dl class="facts">{dl}</dl></header>')


def render_study(folder: Path, sessions: list[StudySession], *, output: Path | None = None) -> StudyReport:
    """Build the study page of ``sessions`` (read by :func:`nwbtms.report.study_reader.read_study`)."""
    study = _Study(sessions, output)
    sections = {sid: Section(sid, title) for sid, title in SECTIONS}
    errors = [f"{s.relative}: {s.error}" for s in sessions if s.error]
    errors += [f"{s.relative}: {e}" for s in sessions for e in s.page_errors]
    steps: dict[str, Callable[[_Study, Section], object]] = {
        "study-design": _design, "study-turnover": _turnover, "study-behavior": _behavior,
        "study-photometry": _photometry, "study-sessions": _sessions,
    }
    for sid, step in steps.items():
        section = sections[sid]
        try:
            result = step(study, section)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            section.error = f"{type(exc).__name__}: {exc}"
            errors.append(f"{sid}: {section.error}")
            continue
        if isinstance(result, str):
            section.absent = result
        elif result is not None:
            section.png = figures.figure_png(result)
    ordered = [sections[sid] for sid, _ in SECTIONS]
    page = page_html(f"nwbtms study report: {folder.name or folder}", _header(folder, study), ordered,
                     generator=f"nwbtms {__version__} study report of {folder.name or folder}")
    return StudyReport(page, {s.fig_id: s.png for s in ordered if s.png is not None}, ordered, sessions, errors)


def pages_folder(output: Path) -> Path:
    """The folder of the session pages beside ``output``: ``<stem>_sessions``."""
    return output.parent / f"{output.stem}_sessions"


def write_study_report(folder: str | os.PathLike, output: str | os.PathLike | None = None, *,
                       png_dir: str | os.PathLike | None = None, overwrite: bool = False, validate: bool = True,
                       jobs: int = 1, scheduler: str | None = None, ledger: str | os.PathLike | None = None,
                       quiet: bool = False) -> StudyReport:
    """Read every NWB file of ``folder`` (one task per file), write each session's page beside ``output``
    (:func:`pages_folder`) and the study page to ``output``, and/or the figures into ``png_dir``.

    Every output is refused up front when it exists unless ``overwrite``, and written atomically. With
    ``ledger`` (a folder) an interrupted or repeated run resumes: files unchanged since are taken from it and their
    pages are not drawn again (resume with ``overwrite``, since the pages of the first run exist).

    Raises
    ------
    InputError
        ``folder`` holds no readable NWB file.
    OutputExistsError
        An output exists and ``overwrite`` is false.
    """
    from nwbtms.spines.read import find_nwb_files

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=folder, hint="give a folder of NWB files for a study page")
    # absolute paths (symlinks kept): a worker of a dask scheduler may run in another working directory
    root = folder.absolute()
    files = [f.absolute() for f in find_nwb_files(folder)]
    output = Path(output) if output is not None else None
    png_path = Path(png_dir) if png_dir is not None else None
    pages = pages_folder(output).absolute() if output is not None else None
    targets = [] if output is None else [output] + [page_path(pages, f.relative_to(root).as_posix()) for f in files]
    if png_path is not None:
        if png_path.exists() and not png_path.is_dir():
            raise OutputExistsError("--png must be a folder, and this path is a file", file=png_path,
                                    hint="give a folder name for the figures")
        targets += [png_path / f"{sid}.png" for sid, _ in SECTIONS]
    for target in targets:
        refuse_existing(target, overwrite=overwrite)
    sessions = read_study(files, root, pages=pages, overwrite=overwrite, validate=validate, jobs=jobs,
                          scheduler=scheduler, ledger=ledger, quiet=quiet)
    report = render_study(folder, sessions, output=output)
    if png_path is not None:
        make_folder(png_path)
        for sid, png in report.figures.items():
            with atomic_output(png_path / f"{sid}.png", overwrite=overwrite) as tmp:
                tmp.write_bytes(png)
    if output is not None:
        with atomic_output(output, overwrite=overwrite) as tmp:
            tmp.write_text(report.html, encoding="utf-8")
    return report


__all__ = ["SECTIONS", "StudyReport", "pages_folder", "render_study", "write_study_report"]
