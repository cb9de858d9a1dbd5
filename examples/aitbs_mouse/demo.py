"""``make demo``: the study in miniature, from raw files to a validated DANDI folder, spine turnover and a study page.

Steps (each timed on stderr, each nwbtms step the command a user would type, run as its own process):

1. write the raw files of five mice and one metadata file per session (:mod:`examples.aitbs_mouse.study`);
2. ``nwbtms batch <sessions> --out dandiset/`` converts them in parallel on a local dask cluster into DANDI
   layout (``sub-<id>/sub-<id>_ses-<id>.nwb``, a ledger per session);
3. ``nwbtms validate dandiset/`` checks every file and across files (condition factors, ROI keys over days,
   subject facts, session order); the report goes to ``validation.txt``;
4. ``nwbtms spines turnover dandiset/`` follows each spine over the four days: turnover per cell type x
   condition (``turnover.json``; the summary is printed);
5. ``nwbtms report dandiset/ -o study.html``: the study page (design table, turnover, behaviour and
   pulse-aligned photometry per condition, each session's page linked).

Exit 0 when every step succeeded (the folder validates with nothing blocking). The last lines on stdout say
where things are. ``--one-mouse`` runs the earlier, single-mouse example instead (one aiTBS day converted with
:func:`nwbtms.convert_session` from Python, and its follow-up a week later).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StudyOutcome:
    """What the study demo did: its folders and files, and each step's exit code."""

    out: Path
    metadata: list[Path]
    dandiset: Path
    validation: Path
    turnover: Path
    study_page: Path | None
    exit_codes: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if all(code == 0 for code in self.exit_codes.values()) else 1


def _cpu_s() -> float:
    """CPU time (user + system) of this process and its finished child processes, s."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (what a user would type)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _nwbtms(args: list[str], shown: list[str]) -> subprocess.CompletedProcess:
    """Run ``nwbtms ARGS`` in its own process (this interpreter), echoing ``$ nwbtms SHOWN`` on stderr."""
    print(f"$ nwbtms {' '.join(shown)}", file=sys.stderr, flush=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "nwbtms", *args], capture_output=True, text=True, env=env,
                          check=False)


def _tail(text: str, lines: int) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(("  " + line) for line in kept[-lines:])


def _turnover_table(path: Path) -> str:
    """The group summary of ``nwbtms spines turnover --format json``: one line per cell type x condition x
    session pair, formation and elimination (mean over the group's subjects)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = [f"  {'cell type':9}  {'condition':42}  {'from -> to':34}  n  gained  lost  formation  elimination"]
    for row in data["summary"]:
        condition = ", ".join(f"{k}={v}" for k, v in sorted((row.get("condition") or {}).items()))
        mean = row["mean"]
        pair = f"{row['from_session']} -> {row['to_session']}"

        def rate(name: str, mean: dict = mean) -> str:
            return "-" if mean.get(name) is None else f"{mean[name]:.2f}"

        lines.append(f"  {row['cell_type'] or '-':9}  {condition:42}  {pair:34}  {row['n_subjects']}  "
                     f"{row['gained']:6}  {row['lost']:4}  {rate('formation_rate'):>9}  "
                     f"{rate('elimination_rate'):>11}")
    return "\n".join(lines)


def run(out: Path, params=None, *, workers: int | None = None, study_page: bool = True) -> StudyOutcome:
    """Generate the study into ``out``, convert, validate, compute turnover and write the study page.

    Parameters
    ----------
    out : Path
        Folder of everything the demo writes (created; files of an earlier run are replaced).
    params : examples.aitbs_mouse.study.StudyParameters, optional
        The study's size (default: ``make demo``'s).
    workers : int, optional
        Worker processes of the batch conversion (default: ``nwbtms batch``'s, one per core).
    study_page : bool
        Write the study page (the slowest step after the conversion).
    """
    from examples.aitbs_mouse.study import generate_study

    out.mkdir(parents=True, exist_ok=True)
    started, cpu_started = time.perf_counter(), _cpu_s()
    outcome = StudyOutcome(out=out, metadata=[], dandiset=out / "dandiset", validation=out / "validation.txt",
                           turnover=out / "turnover.json", study_page=out / "study.html" if study_page else None)

    def done(step: str, since: float) -> float:
        now = time.perf_counter()
        cpu = _cpu_s()
        print(f"  [{step}: {now - since:.1f} s, {cpu - cpu_at[0]:.1f} s CPU]", file=sys.stderr, flush=True)
        cpu_at[0] = cpu
        return now

    cpu_at = [_cpu_s()]

    outcome.metadata = generate_study(out, params)
    print(f"generated {len(outcome.metadata)} session metadata files and raw/ in {_shown(out)}", file=sys.stderr)
    step = done("generate", started)

    dandiset = outcome.dandiset
    args = ["batch", *map(str, outcome.metadata), "--out", str(dandiset), "--force"]
    workers_args = ["--workers", str(workers)] if workers else []
    batch = _nwbtms(args + workers_args,
                    ["batch", f"{_shown(out)}/sub-*.yaml", "--out", _shown(dandiset), "--force", *workers_args])
    outcome.exit_codes["batch"] = batch.returncode
    print(_tail(batch.stderr, 3), file=sys.stderr)
    step = done("batch", step)

    validate = _nwbtms(["validate", str(dandiset), "-o", str(outcome.validation), "--overwrite"],
                       ["validate", _shown(dandiset), "-o", _shown(outcome.validation), "--overwrite"])
    outcome.exit_codes["validate"] = validate.returncode
    summary = [line for line in outcome.validation.read_text(encoding="utf-8").splitlines()
               if line.startswith(("OK:", "FAIL"))] if outcome.validation.is_file() else []
    print(_tail("\n".join(summary) or validate.stderr, 3), file=sys.stderr)
    step = done("validate", step)

    turnover = _nwbtms(["spines", "turnover", str(dandiset), "--format", "json", "-o", str(outcome.turnover),
                        "--overwrite"],
                       ["spines", "turnover", _shown(dandiset), "--format", "json", "-o", _shown(outcome.turnover),
                        "--overwrite"])
    outcome.exit_codes["turnover"] = turnover.returncode
    if turnover.returncode == 0:
        print("spine turnover per cell type x condition (mean over the group's subjects):", file=sys.stderr)
        print(_turnover_table(outcome.turnover), file=sys.stderr)
    else:
        print(_tail(turnover.stderr, 5), file=sys.stderr)
    step = done("turnover", step)

    if outcome.study_page is not None:
        page = outcome.study_page
        report = _nwbtms(["report", str(dandiset), "-o", str(page), "--overwrite", "--no-validate"],
                         ["report", _shown(dandiset), "-o", _shown(page), "--overwrite", "--no-validate"])
        outcome.exit_codes["report"] = report.returncode
        print(_tail(report.stdout + report.stderr, 2), file=sys.stderr)
        step = done("study page", step)

    print(f"demo done in {time.perf_counter() - started:.1f} s, {_cpu_s() - cpu_started:.1f} s CPU "
          f"(exit {outcome.exit_code})", file=sys.stderr)
    nwb_files = sorted(dandiset.rglob("*.nwb"))
    print(f"session metadata: {_shown(out)}/sub-*.yaml ({len(outcome.metadata)} files; raw files in "
          f"{_shown(out / 'raw')})")
    print(f"dandiset:         {_shown(dandiset)} ({len(nwb_files)} NWB files, "
          f"{len({p.parent.name for p in nwb_files})} subjects)")
    print(f"validation:       {_shown(outcome.validation)} (exit {outcome.exit_codes['validate']})")
    print(f"spine turnover:   {_shown(outcome.turnover)}")
    if outcome.study_page is not None:
        print(f"study page:       {_shown(outcome.study_page)}")
    return outcome


@dataclass
class DemoOutcome:
    """What the one-mouse example did: the conversion, the ``pynwb.validate`` errors, and the exit code."""

    result: object  # nwbtms.assembly.convert.ConversionResult
    pynwb_errors: list
    metadata: Path
    followup: object = None  # the follow-up day's ConversionResult
    turnover: object = None  # nwbtms.spines.TurnoverResult over both days

    @property
    def exit_code(self) -> int:
        failed = self.followup is not None and self.followup.exit_code
        return 1 if self.pynwb_errors or self.result.exit_code or failed else 0


def run_one_mouse(out: Path) -> DemoOutcome:
    """The single-mouse example: generate one aiTBS day, convert and validate it, then its follow-up a week
    later and the spine turnover between them; progress on stderr, the aiTBS day's file on stdout."""
    from pynwb import validate

    from examples.aitbs_mouse.generator import generate, generate_followup
    from nwbtms import convert_session
    from nwbtms.spines import compute_turnover, read_registry
    from nwbtms.spines.output import render_turnover

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    metadata = generate(out)
    print(f"generated {metadata} and raw/ in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    result = convert_session(metadata, dandi_layout=out / "nwb", overwrite=True)
    print(result.summary(), file=sys.stderr)
    errors = validate(path=str(result.output))
    print(f"pynwb.validate: {len(errors)} error(s)", file=sys.stderr)
    for finding in result.findings:
        print(f"  {finding.severity.name} {finding.check_id}: {finding.message}", file=sys.stderr)
    followup = convert_session(generate_followup(out), dandi_layout=out / "nwb", overwrite=True)
    print(followup.summary(), file=sys.stderr)
    errors += validate(path=str(followup.output))
    turnover = compute_turnover(read_registry(out / "nwb"))
    print(render_turnover(turnover, "text"), file=sys.stderr)
    print(f"demo done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(f"demo file: {result.output.resolve()}")
    return DemoOutcome(result=result, pynwb_errors=list(errors), metadata=metadata, followup=followup,
                       turnover=turnover)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/aitbs_mouse"))
    parser.add_argument("--workers", type=int, default=None, help="batch worker processes (default: one per core)")
    parser.add_argument("--one-mouse", action="store_true", help="the single-mouse example instead of the study")
    arguments = parser.parse_args()
    if arguments.one_mouse:
        sys.exit(run_one_mouse(arguments.out).exit_code)
    sys.exit(run(arguments.out, workers=arguments.workers).exit_code)
