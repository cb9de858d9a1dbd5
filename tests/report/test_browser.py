"""Open the report in headless Chromium: every image must load, the console must stay silent."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
        if p and Path(p).is_file()
    ),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary (.ci/run installs Debian's chromium; apt-get install chromium)",
)
WINDOW = (1200, 5200)


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``page`` offline-ish (no background networking, no sync, no updates)."""
    argv = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *extra,
        page.resolve().as_uri(),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def console_lines(stderr: str) -> list[str]:
    """Lines Chromium logs for the page's console (console.* calls and uncaught exceptions)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_page_loads_in_headless_chromium(mock_report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(mock_report.html, encoding="utf-8")
    shot = tmp_path / "screenshot.png"
    result = chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--dump-dom")
    marker = re.search(r'data-images-loaded="([^"]*)"', result.stdout)
    assert marker, f"no load marker in the DOM; stderr tail: {result.stderr[-2000:]}"
    assert marker.group(1) == "ok"
    count = re.search(r'data-image-count="(\d+)"', result.stdout)
    assert count and int(count.group(1)) == len(mock_report.figures)
    assert console_lines(result.stderr) == []
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == WINDOW
        # Not a blank page: the figures put many distinct colours on the screenshot.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_console_check_catches_errors(tmp_path):
    """The console capture works: a page with an error is seen as having one."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body><script>console.error("boom"); missing();</script></body></html>')
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    lines = console_lines(result.stderr)
    assert any("boom" in line for line in lines)
    assert any("Uncaught" in line for line in lines)
