"""Tests of ``nwbtms report``: outputs, and bad input exiting 2 without a traceback."""

from __future__ import annotations

import pytest

from nwbtms.cli import main


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_cli_writes_page_and_pngs(no_imaging_nwb, tmp_path, capsys):
    out = tmp_path / "r.html"
    code, stdout, err = run(
        [
            "-q",
            "report",
            str(no_imaging_nwb),
            "-o",
            str(out),
            "--png",
            str(tmp_path / "figs"),
            "--no-validate",
        ],
        capsys,
    )
    assert code == 0, err
    assert stdout.strip() == str(out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert {p.name for p in (tmp_path / "figs").iterdir()} == {
        "fig-stimulation.png",
        "fig-intensity.png",
        "fig-protocol.png",
    }


@pytest.mark.parametrize("case", ["missing", "text", "existing", "no_output"])
def test_cli_bad_input_exits_2_without_traceback(case, no_pulses_nwb, tmp_path, capsys):
    out = tmp_path / "r.html"
    nwb = str(no_pulses_nwb)
    if case == "missing":
        nwb = str(tmp_path / "absent.nwb")
    elif case == "text":
        bad = tmp_path / "bad.nwb"
        bad.write_text("hello")
        nwb = str(bad)
    elif case == "existing":
        out.write_text("keep")
    argv = ["report", nwb, "--no-validate"] + ([] if case == "no_output" else ["-o", str(out)])
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "Traceback" not in err
    assert err.strip()
    if case == "existing":
        assert out.read_text() == "keep"
        assert "--overwrite" in err


def test_missing_matplotlib_is_a_clear_error(tmp_path):
    """Without the 'report' extra the command says what to install, exit 2, no traceback."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "from nwbtms.cli import main\n"
        f"main(['report', {str(tmp_path / 'x.nwb')!r}, '-o', {str(tmp_path / 'r.html')!r}])\n"
    )
    (tmp_path / "x.nwb").write_bytes(b"")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'nwbtms[report]'" in result.stderr and "Traceback" not in result.stderr


def test_report_of_a_url_reads_byte_ranges(no_imaging_nwb, tmp_path, capsys):
    """``nwbtms report URL``: the page of a file served on the loopback address, read by range requests; the
    same figures as the local copy; the bytes transferred on stderr."""
    pytest.importorskip("remfile")
    from nwbtms.io.testing import serve_files

    served = tmp_path / "served" / no_imaging_nwb.name
    served.parent.mkdir()
    served.write_bytes(no_imaging_nwb.read_bytes())
    out = tmp_path / "remote.html"
    with serve_files(served.parent) as server:
        code, stdout, err = run(["report", server.url(served), "-o", str(out), "--png", str(tmp_path / "figs"),
                                 "--no-validate"], capsys)
        sent = server.bytes_sent
    assert code == 0, err
    assert "transferred" in err and 0 < sent
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and f"report of {no_imaging_nwb.name}" in page
    assert {p.name for p in (tmp_path / "figs").iterdir()} == {"fig-stimulation.png", "fig-intensity.png",
                                                              "fig-protocol.png"}
