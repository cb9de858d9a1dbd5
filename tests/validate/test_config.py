"""Configuration: skip and demote checks with a justification; unknown IDs, replaced NWB Inspector checks,
raising demotions and missing justifications are rejected (exit 2)."""

from __future__ import annotations

import pytest

from nwbtms.errors import ConfigError
from nwbtms.validate import Severity, load_config, validate_paths
from nwbtms.validate.config import config_from_dict


def _write(tmp_path, text: str):
    path = tmp_path / "nwbtms-validate.yaml"
    path.write_text(text)
    return path


def test_skip_and_demote_are_loaded(tmp_path):
    config = load_config(_write(tmp_path, """
version: 1
fail_on: CRITICAL
skip:
  - id: report.pulse_width
    justification: The stimulator manual does not give the pulse width.
demote:
  - id: inspector.check_data_orientation
    to: BEST_PRACTICE_SUGGESTION
    justification: Our imaging series are frames x rows x columns by design.
"""))
    assert config.skip == {"report.pulse_width": "The stimulator manual does not give the pulse width."}
    assert config.demote["inspector.check_data_orientation"][0] == Severity.BEST_PRACTICE_SUGGESTION
    assert config.fail_on == Severity.CRITICAL


@pytest.mark.parametrize("data, match", [
    ({"version": 1, "skip": [{"id": "tms.pulses.ascendingg", "justification": "typo"}]}, "unknown check ID"),
    ({"version": 1, "skip": [{"id": "tms.pulses.ascending"}]}, "does not follow"),
    ({"version": 1, "skip": [{"id": "inspector.check_timestamps_ascending", "justification": "x y z"}]},
     "unknown check ID"),
    ({"version": 1, "demote": [{"id": "report.pulse_width", "to": "CRITICAL", "justification": "x y z"}]},
     "raise it"),
    ({"version": 1, "skip": [{"id": "dandi.sex", "justification": "a b"}],
      "demote": [{"id": "dandi.sex", "to": "INFO", "justification": "a b"}]}, "listed twice"),
    ({"version": 2}, "does not follow"),
])
def test_bad_configurations_are_rejected(data, match):
    with pytest.raises(ConfigError) as exc:
        config_from_dict(data)
    assert match in str(exc.value)
    assert exc.value.exit_code == 2


def test_replaced_inspector_check_names_its_replacement():
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"version": 1, "skip": [{"id": "inspector.check_subject_sex", "justification": "abc"}]})
    assert "dandi.sex" in str(exc.value)


def test_cli_rejects_unknown_id_with_exit_2(tmp_path, complete_nwb, capsys):
    from nwbtms.cli import main

    path = _write(tmp_path, "version: 1\nskip:\n  - id: no.such_check\n    justification: because\n")
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(complete_nwb), "--config", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown check ID 'no.such_check'" in err
    assert "Traceback" not in err


def test_yaml_error_has_a_line(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(_write(tmp_path, "version: 1\nskip: [\n"))
    assert exc.value.line is not None


def test_skip_and_demote_apply_to_findings(tmp_path, complete_nwb, make_copy):
    def plant(h5):
        h5["intervals/tms_sessions/num_pulses"][1] = 500  # tms.sessions.num_pulses (VIOLATION)
        h5["general/subject/sex"][()] = "X"  # dandi.sex (CRITICAL)

    broken = make_copy(complete_nwb, tmp_path / "broken" / "broken.nwb", plant)
    config = {"version": 1,
              "skip": [{"id": "dandi.sex", "justification": "sex is recorded in the lab database"}],
              "demote": [{"id": "tms.sessions.num_pulses", "to": "BEST_PRACTICE_SUGGESTION",
                          "justification": "session 1 was cut short and num_pulses keeps the plan"}]}
    report = validate_paths([broken], config=config, fast=True)
    ids = {f.check_id: f for f in report.findings}
    assert "dandi.sex" not in ids
    assert ids["tms.sessions.num_pulses"].severity == Severity.BEST_PRACTICE_SUGGESTION
    assert ids["tms.sessions.num_pulses"].demoted_from == Severity.BEST_PRACTICE_VIOLATION
    assert report.exit_code == 0
    assert report.to_dict()["skipped_checks"][0]["id"] == "dandi.sex"


def test_example_ci_configuration_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "ci" / "nwbtms-validate.yaml"
    config = load_config(example)
    assert "report.pulse_width" in config.skip
