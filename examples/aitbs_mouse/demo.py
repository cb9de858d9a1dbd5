"""``make demo``: generate the miniature aiTBS session, convert it, validate it, print where the file is.

Steps (each timed): write the raw files and ``session.yaml`` with :mod:`examples.aitbs_mouse.generator`
(about 33 MB), convert with :func:`nwbtms.convert_session` into DANDI layout under ``--out``, check the
file with ``pynwb.validate`` and the nwbtms validator (the conversion's fast checks). Then the same mouse
a week later (an imaging-only structural day: z-stack and Fiji ROI set) is converted beside it, and spine
turnover between the two days is printed (:mod:`nwbtms.spines`). Exit 0 when the files are written and
nothing blocking was found; the last line on stdout is ``demo file: <path>`` (the aiTBS day).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class DemoOutcome:
    """What the demo did: the conversion, the ``pynwb.validate`` errors, and the exit code."""

    result: object  # nwbtms.assembly.convert.ConversionResult
    pynwb_errors: list
    metadata: Path
    followup: object = None  # the follow-up day's ConversionResult
    turnover: object = None  # nwbtms.spines.TurnoverResult over both days

    @property
    def exit_code(self) -> int:
        failed = self.followup is not None and self.followup.exit_code
        return 1 if self.pynwb_errors or self.result.exit_code or failed else 0


def run(out: Path) -> DemoOutcome:
    """Generate, convert and validate into ``out``, printing progress on stderr and the file on stdout."""
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
    sys.exit(run(parser.parse_args().out).exit_code)
