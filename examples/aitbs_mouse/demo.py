"""``make demo``: build the example session and validate it, then print where the file is.

Until the converters land this writes the ndx-tms mock file (``nwbtms mock``) and validates it with pynwb.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nwbtms.cli import main as nwbtms_main


def run(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "mock_tms.nwb"
    try:
        nwbtms_main(["mock", "-o", str(target), "--overwrite"])
    except SystemExit as exc:
        if exc.code:
            raise
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/aitbs_mouse"))
    path = run(parser.parse_args().out)
    print(f"demo file: {path.resolve()}")
