"""Session metadata validation: every problem at once, each with the YAML line and JSON path."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import render_metadata  # noqa: E402
from nwbtms.errors import MetadataError  # noqa: E402
from nwbtms.metadata import load_session  # noqa: E402
from nwbtms.metadata.placeholders import find_placeholders, placeholder  # noqa: E402


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "session.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, pattern: str) -> int:
    """1-based line of the first line matching ``pattern``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not in text")


def _problems(path: Path):
    with pytest.raises(MetadataError) as info:
        load_session(path)
    return info.value


def test_example_metadata_is_valid(tmp_path):
    session = load_session(_write(tmp_path, render_metadata()))
    assert session.subject_id == "M001"
    assert session.sources["daq"].path == (tmp_path / "raw" / "daq.h5").resolve()
    assert session.stimulation.protocol == "itbs"
    assert session.session_start_time.utcoffset() is not None


def test_wrong_type_names_line_and_path(tmp_path):
    text = render_metadata().replace("      number_of_turns: 70", "      number_of_turns: seventy")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if p.field == "/devices/coil/model/number_of_turns"]
    assert problem.line == _line_of(text, "number_of_turns: seventy")
    assert "integer" in problem.message
    assert "session.yaml" in problem.file


def test_missing_field_names_its_parent(tmp_path):
    text = render_metadata().replace("  sex: M\n", "")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if "sex" in p.message]
    assert "required" in problem.message
    assert problem.field.startswith("/subject")
    assert problem.line == _line_of(text, "^subject:")


def test_unknown_key_rejected_with_line(tmp_path):
    text = render_metadata().replace("  strain: C57BL/6J\n", "  strain: C57BL/6J\n  colour: black\n")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if "colour" in p.message]
    assert problem.line in (_line_of(text, "colour: black"), _line_of(text, "^subject:"))
    assert problem.field.startswith("/subject")


def test_dangling_key_reported_with_known_keys(tmp_path):
    text = render_metadata().replace("    coordinate_space: bregma", "    coordinate_space: lambda")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if "dangling" in p.message]
    assert "'lambda'" in problem.message and "coordinate_spaces" in problem.message
    assert problem.field == "/targets/dmpfc/coordinate_space"
    assert problem.line == _line_of(text, "coordinate_space: lambda")
    assert "bregma" in problem.hint


def test_key_of_wrong_kind_is_reported(tmp_path):
    text = render_metadata().replace("  coil: coil\n  min_session_gap_s", "  coil: stimulator\n  min_session_gap_s")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if p.field == "/stimulation/coil"]
    assert "tms_coil" in problem.message


def test_placeholder_left_blocks_and_is_listed(tmp_path):
    marker = placeholder("subject species")
    text = render_metadata().replace("species: Mus musculus", f'species: "{marker}"')
    error = _problems(_write(tmp_path, text))
    [problem] = error.problems
    assert problem.message.startswith("placeholder left") and "subject species" in problem.message
    assert problem.line == _line_of(text, "FILL ME: subject species")
    assert problem.field == "/subject/species"
    assert "placeholder" in error.message


def test_placeholder_in_number_field_gives_no_type_error(tmp_path):
    marker = placeholder("%MSO")
    text = render_metadata().replace("    value_in_percent_mso: 45", f'    value_in_percent_mso: "{marker}"')
    error = _problems(_write(tmp_path, text))
    assert len(error.problems) == 1 and "placeholder" in error.problems[0].message


def test_five_different_errors_reported_at_once_with_line_and_path(tmp_path, capsys):
    """Wrong type, missing field, unknown key, placeholder and dangling key: one run lists all five."""
    from nwbtms.cli import main

    text = (render_metadata().replace("  sex: M\n", "")
            .replace("      number_of_turns: 70", "      number_of_turns: seventy")
            .replace("  strain: C57BL/6J\n", "  strain: C57BL/6J\n  colour: black\n")
            .replace("species: Mus musculus", f'species: "{placeholder("species")}"')
            .replace("    coordinate_space: bregma", "    coordinate_space: lambda"))
    path = _write(tmp_path, text)
    expected = {  # JSON path -> (line, words of the message)
        "/subject/sex": (_line_of(text, "^subject:"), "missing required field"),
        "/subject/species": (_line_of(text, "FILL ME: species"), "placeholder left"),
        "/subject/colour": (_line_of(text, "colour: black"), "unknown field"),
        "/devices/coil/model/number_of_turns": (_line_of(text, "number_of_turns: seventy"), "integer"),
        "/targets/dmpfc/coordinate_space": (_line_of(text, "coordinate_space: lambda"), "dangling key 'lambda'"),
    }
    error = _problems(path)
    assert {p.field: p.line for p in error.problems} == {k: line for k, (line, _) in expected.items()}
    assert [p.line for p in error.problems] == sorted(p.line for p in error.problems)
    with pytest.raises(SystemExit) as info:
        main(["convert", str(path), "-o", str(tmp_path / "out.nwb")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "5 problem(s)" in err and "Traceback" not in err
    for pointer, (line, words) in expected.items():
        [row] = [r for r in err.splitlines() if f"session.yaml:{line}: {pointer}: " in r]
        assert words in row
    assert not (tmp_path / "out.nwb").exists()


@pytest.mark.parametrize("path", ["../outside/daq.h5", "/etc/passwd", "raw\\daq.h5"])
def test_source_paths_may_not_escape(tmp_path, path):
    text = render_metadata().replace("    path: raw/daq.h5", f"    path: '{path}'")
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if p.field == "/sources/daq/path"]
    assert problem.line == _line_of(text, re.escape(f"path: '{path}'"))


def test_absolute_paths_allowed_when_declared(tmp_path):
    text = "allow_absolute_paths: true\n" + render_metadata().replace("    path: raw/daq.h5", "    path: /data/daq.h5")
    session = load_session(_write(tmp_path, text))
    assert session.sources["daq"].path == Path("/data/daq.h5")


def test_symlink_out_of_folder_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "session"
    folder.mkdir()
    (folder / "raw").symlink_to(outside)
    error = _problems(_write(folder, render_metadata()))
    assert any("outside the session folder" in p.message for p in error.problems)


def test_dict_metadata_is_accepted(tmp_path):
    import yaml

    data = yaml.safe_load(render_metadata())
    session = load_session(data, base_dir=tmp_path)
    assert session.sources["stim_log"].path == (tmp_path / "raw" / "stimulator_log.csv").resolve()
    data["subject"]["sex"] = "male"
    with pytest.raises(MetadataError) as info:
        load_session(data, base_dir=tmp_path)
    assert info.value.problems[0].field == "/subject/sex"


def test_find_placeholders_walks_keys_lists_and_values():
    data = {"a": [1, placeholder("x")], placeholder("k"): {"b": placeholder("y")}}
    pointers = dict(find_placeholders(data))
    assert set(pointers) == {"/a/1", "/<FILL ME: k>", "/<FILL ME: k>/b"}


def test_schema_knows_every_reader():
    """The reader enum is the reader registry (tests/sources/test_registry.py checks its order too)."""
    from nwbtms.io.yaml_loader import load_schema
    from nwbtms.sources.registry import reader_names

    readers = set(load_schema("session")["$defs"]["source"]["properties"]["reader"]["enum"])
    assert readers == set(reader_names())


@pytest.mark.parametrize(("value", "ok"), [("12.5", True), ("from_recording", True), ("soon", False)])
def test_daq_start_offset_is_seconds_or_from_recording(tmp_path, value, ok):
    text = render_metadata().replace("  pulses_from: daq\n", f"  pulses_from: daq\n  daq_start_offset_s: {value}\n")
    path = _write(tmp_path, text)
    if ok:
        assert load_session(path).stimulation.daq_start_offset_s in (12.5, "from_recording")
        return
    [problem] = _problems(path).problems
    assert problem.field == "/stimulation/daq_start_offset_s"
    assert problem.line == _line_of(text, "daq_start_offset_s: soon")


def test_values_that_used_to_fail_late_are_located_in_the_metadata(tmp_path):
    """.nan, a reversed artifact window, a huge DAQ offset and an unknown preset: each at its own line."""
    text = (render_metadata()
            .replace("    dose: 0.1\n", "    dose: .nan\n")
            .replace("  artifact_window_s: [-0.001, 0.025]", "  artifact_window_s: [0.025, -0.001]")
            .replace("  pulses_from: daq\n", "  pulses_from: daq\n  daq_start_offset_s: -1e12\n")
            .replace("    preset: itbs_600\n", "    preset: itbs600\n"))
    found = {p.field: p for p in _problems(_write(tmp_path, text)).problems}
    expected = {"/manipulations/dcz/dose": ("dose: .nan", "not a finite number"),
                "/stimulation/artifact_window_s": ("artifact_window_s: \\[0.025", "starts after it stops"),
                "/stimulation/daq_start_offset_s": ("daq_start_offset_s: -1e12", "more than 100 days"),
                "/protocols/itbs/preset": ("preset: itbs600", "unknown preset 'itbs600'")}
    for field, (line, message) in expected.items():
        assert found[field].line == _line_of(text, line) and message in found[field].message, found[field]


def test_orientation_must_name_each_axis_once_wherever_it_is_given(tmp_path):
    """RRS passes the letter pattern but names ML twice: refused at load, located, in the coordinate space and
    the injection alike (one rule: $defs/orientation), with what is allowed; lower case is the same orientation."""
    lines = render_metadata().splitlines(keepends=True)
    spots = [i for i, line in enumerate(lines) if line.strip() == "orientation: RAS"]
    assert len(spots) == 2  # coordinate_spaces.<key>.orientation and injections.<key>.orientation
    lines[spots[0]] = lines[spots[0]].replace("RAS", "RRS")
    lines[spots[1]] = lines[spots[1]].replace("RAS", "sar")
    text = "".join(lines)
    error = _problems(_write(tmp_path, text))
    [problem] = [p for p in error.problems if p.field.endswith("/orientation")]
    assert problem.field.startswith("/coordinate_spaces/") and problem.line == spots[0] + 1
    assert "'RRS' names the ML axis twice and the AP axis not at all" in problem.message
    assert "one of R/L, one of A/P, one of S/I" in problem.hint and "session.yaml" in problem.file
    lines[spots[1]] = lines[spots[1]].replace("sar", "LLP")
    error = _problems(_write(tmp_path, "".join(lines)))
    assert sorted(p.field.split("/")[1] for p in error.problems if p.field.endswith("/orientation")) == [
        "coordinate_spaces", "injections"]
