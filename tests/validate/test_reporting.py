"""Exit codes, output formats (JSON against schemas/report.schema.json, SARIF 2.1.0, JUnit XML), the CLI, and
files that cannot be opened (truncated, empty, not HDF5)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from nwbtms.cli import cli
from nwbtms.validate import Severity, validate_paths
from nwbtms.validate.reporters import render

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text())


@pytest.fixture(scope="module")
def unreadable(tmp_path_factory, complete_nwb) -> dict[str, Path]:
    """A truncated copy of the complete file, an empty file and a text file named .nwb."""
    root = tmp_path_factory.mktemp("unreadable")
    data = complete_nwb.read_bytes()
    files = {"truncated": root / "truncated.nwb", "empty": root / "empty.nwb", "text": root / "text.nwb"}
    files["truncated"].write_bytes(data[: len(data) * 2 // 3])
    files["empty"].write_bytes(b"")
    files["text"].write_text("subject,species\nM001,mouse\n")
    return files


@pytest.fixture(scope="module")
def mixed_report(complete_nwb, unreadable):
    """The complete file validated with the unreadable ones, in 2 processes."""
    return validate_paths([complete_nwb, *unreadable.values()], jobs=2)


@pytest.mark.parametrize("name", ["truncated", "empty", "text"])
def test_unreadable_file_alone_exits_2_with_one_finding(unreadable, name):
    report = validate_paths([unreadable[name]])
    assert report.exit_code == 2
    assert [f.check_id for f in report.findings] == ["file.readable"]
    assert report.findings[0].severity == Severity.ERROR
    assert report.findings[0].file == str(unreadable[name])


def test_mixed_run_exits_1_and_keeps_going(mixed_report, complete_nwb):
    assert mixed_report.exit_code == 1
    assert [f.opened for f in mixed_report.files] == [True, False, False, False]
    assert not [f for f in mixed_report.findings if f.file == str(complete_nwb) and f.severity >= Severity.CRITICAL]


def test_json_follows_the_report_schema(mixed_report):
    document = json.loads(render(mixed_report, "json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["exit_code"] == 1
    assert document["summary"]["files_opened"] == 1


def test_sarif_structure(mixed_report):
    log = json.loads(render(mixed_report, "sarif"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(run["results"]) == len(mixed_report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert result["message"]["text"]


def test_junit_parses_and_counts_failures(mixed_report):
    root = ET.fromstring(render(mixed_report, "junit"))
    assert root.tag == "testsuites"
    assert len(root.findall("testsuite")) == 4
    failures = root.findall(".//failure")
    assert int(root.get("failures")) == len(failures) == 3  # one file.readable case per unreadable file


def test_text_groups_by_severity_with_hints(mixed_report):
    text = render(mixed_report, "text")
    assert text.index("== ERROR (blocking)") < text.index("== INFO")
    assert "hint:" in text
    assert "FAILED: 4 file(s), 1 opened" in text


def test_fail_on_sets_what_blocks(unreadable):
    report = validate_paths([unreadable["text"]], fail_on="critical")
    assert report.fail_on == Severity.CRITICAL
    with pytest.raises(Exception, match="unknown severity"):
        validate_paths([unreadable["text"]], fail_on="fatal")


def test_cli_exit_codes_and_output_file(tmp_path, unreadable):
    runner = CliRunner()
    out = tmp_path / "report.json"
    result = runner.invoke(cli, ["validate", str(unreadable["text"]), "--format", "json", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert json.loads(out.read_text())["exit_code"] == 2
    out.write_text("previous report")
    from nwbtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["validate", str(unreadable["text"]), "--format", "json", "-o", str(out)])
    assert exc.value.code == 2 and out.read_text() == "previous report"
    result = runner.invoke(cli, ["validate", str(unreadable["text"]), "--format", "json", "-o", str(out),
                                 "--overwrite"])
    assert json.loads(out.read_text())["exit_code"] == 2
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["validate", str(tmp_path / "missing.nwb")])
    assert result.exit_code == 2
    assert "file does not exist" in result.output


def test_cli_empty_folder_is_a_usage_error(tmp_path):
    from nwbtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path)])
    assert exc.value.code == 2


def test_cli_folder_recursive_and_list_checks(tmp_path, unreadable):
    runner = CliRunner()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "x.nwb").write_bytes(unreadable["text"].read_bytes())
    result = runner.invoke(cli, ["validate", str(tmp_path), "--jobs", "2", "--format", "text"])
    assert result.exit_code == 2
    assert "x.nwb" in result.output
    listing = runner.invoke(cli, ["validate", "--list-checks"])
    assert listing.exit_code == 0
    assert "tms.pulses.ascending" in listing.output and "inspector.check_data_orientation" in listing.output


def _remote_rows(report, urls: dict[str, str]) -> list[tuple]:
    """Findings as comparable rows, each URL replaced by the local path it serves."""
    def local(text):
        for url, path in urls.items():
            text = text.replace(url, path) if text else text
        return text

    return sorted((local(f.file), f.check_id, f.severity.name, local(f.message), f.location, f.index, f.count,
                   f.hint) for f in report.findings)


def test_urls_read_by_byte_ranges_give_the_local_findings(complete_nwb, unreadable, mixed_report, tmp_path):
    """The complete file and the unreadable ones served over loopback HTTP with range requests: the same
    findings as the local copies; bytes transferred reported; a missing URL is a file.readable finding."""
    pytest.importorskip("remfile")
    import shutil

    from nwbtms.io.testing import serve_files

    served = {}
    for path in (complete_nwb, *unreadable.values()):
        target = tmp_path / path.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, target)
        served[str(path)] = target
    with serve_files(tmp_path) as server:
        urls = {server.url(target): local for local, target in served.items()}
        report = validate_paths([*urls, server.base_url + "missing/x.nwb"], jobs=2)
        sent = server.bytes_sent
    missing = [f for f in report.findings if f.file.endswith("missing/x.nwb")]
    assert [(f.check_id, f.message) for f in missing] == [("file.readable", "no file at this URL (HTTP 404)")]
    found = [row for row in _remote_rows(report, urls) if not row[0].endswith("missing/x.nwb")]
    assert found == sorted((f.file, f.check_id, f.severity.name, f.message, f.location, f.index, f.count, f.hint)
                           for f in mixed_report.findings)
    remote_complete = next(r for r in report.files if r.path.endswith("complete.nwb"))
    assert remote_complete.size_bytes == complete_nwb.stat().st_size
    assert 0 < remote_complete.bytes_transferred <= sent


@pytest.mark.parametrize("fmt", ["sarif", "junit"])
def test_ci_formats_write_a_document_even_when_nothing_is_validated(tmp_path, fmt, capsys):
    from nwbtms.cli import main

    (tmp_path / "empty").mkdir()
    out = tmp_path / f"report.{fmt}"
    with pytest.raises(SystemExit) as info:
        main(["validate", str(tmp_path / "empty"), "--format", fmt, "-o", str(out)])
    assert info.value.code == 2
    text = out.read_text()
    if fmt == "sarif":
        log = json.loads(text)
        [run] = log["runs"]
        assert run["results"] == [] and run["invocations"][0]["executionSuccessful"] is False
        assert "holds no .nwb file" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    else:
        root = ET.fromstring(text)
        assert root.get("errors") == "1" and "holds no .nwb file" in root.find(".//error").get("message")
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("path, uri", [
    ("dandiset/sub-M 1/ä#1%.nwb", "dandiset/sub-M%201/%C3%A4%231%25.nwb"),
    ("/data/my files/a.nwb", "file:///data/my%20files/a.nwb"),
    ("https://dandiarchive.org/a b.nwb", "https://dandiarchive.org/a%20b.nwb"),
    ("s3://bucket/key%20x.nwb", "s3://bucket/key%20x.nwb"),
])
def test_sarif_uris_are_percent_encoded(path, uri):
    from nwbtms.validate.reporters.sarif import artifact_uri

    assert artifact_uri(path) == uri
