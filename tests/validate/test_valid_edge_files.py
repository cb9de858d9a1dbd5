"""Valid files nwbtms writes must validate clean: a session with no missing pulse (its reconciliation column
``missing_pulse_time_in_s`` is an empty ragged column), a day of imaging without stimulation (empty protocols
table, no coil or stimulator), and an NWB Inspector check that crashes is the inspector's (INFO, never blocking)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nwbtms import convert_session
from nwbtms.validate import Severity, validate_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import ExampleParameters, generate  # noqa: E402

#: no dropped pulse (session index past the last session); frames outnumber pixels per side (data orientation)
PERFECT = ExampleParameters(sessions=2, num_frames=70, frame_size=64, dropped_pulse=(99, 0))


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("perfect")
    return generate(folder, PERFECT)


def _blocking(report) -> list:
    return [f"{f.check_id}: {f.message}" for f in report.findings if f.severity >= Severity.BEST_PRACTICE_VIOLATION]


def test_perfect_session_validates_clean(example, tmp_path):
    out = tmp_path / "perfect.nwb"
    result = convert_session(example, out, quiet=True)
    assert result.num_pulses == 2 * 600
    report = validate_paths([out])
    assert _blocking(report) == [] and report.exit_code == 0
    assert not [f for f in report.findings if f.check_id == "inspector.crashed"]  # empty ragged column is fine


def test_imaging_only_day_validates_clean(example, tmp_path):
    metadata = yaml.safe_load(example.read_text())
    for section in ("stimulation", "protocols", "targets", "thresholds"):
        metadata.pop(section)
    for device in ("stimulator", "coil"):
        metadata["devices"].pop(device)
    metadata["manipulations"]["dcz"].pop("target_cell_type", None)
    metadata["imaging_planes"]["plane0"]["clock"] = "none"
    out = tmp_path / "imaging_only.nwb"
    result = convert_session(metadata, out, quiet=True, base_dir=example.parent)
    assert result.num_pulses == 0 and result.num_rois > 0
    report = validate_paths([out])
    assert _blocking(report) == [] and report.exit_code == 0


def test_inspector_crash_is_reported_as_the_inspectors_and_does_not_block(tmp_path, monkeypatch):
    from hdmf.common import DynamicTable, VectorData, VectorIndex
    from nwbinspector import Importance, register_check
    from nwbinspector._registration import available_checks
    from pynwb.file import Subject
    from pynwb.testing.mock.file import mock_NWBFile

    from nwbtms.io.nwb_write import write_nwbfile
    from nwbtms.validate.checks import inspector

    nwbfile = mock_NWBFile(session_id="s1")
    nwbfile.subject = Subject(subject_id="a1", species="Mus musculus", sex="M", age="P90D")
    values = VectorData(name="values", description="ragged, every row empty", data=np.zeros(0))
    columns = [values, VectorIndex(name="values_index", data=np.zeros(2, np.uint8), target=values),
               VectorData(name="level", description="a float", data=np.array([1.0, 2.0]))]
    table = DynamicTable(name="trials_extra", description="an empty ragged column and a float column",
                         columns=columns, id=[0, 1])
    nwbfile.add_acquisition(table)
    path = tmp_path / "empty_ragged.nwb"
    write_nwbfile(nwbfile, path)

    @register_check(importance=Importance.CRITICAL, neurodata_type=DynamicTable)
    def check_always_crashes(table):
        raise RuntimeError("upstream bug")

    available_checks.remove(check_always_crashes)  # registered for this test only
    original = inspector.base_checks
    monkeypatch.setattr(inspector, "base_checks", lambda skip=frozenset(): (
        *original(skip), inspector._guarded(check_always_crashes)))
    report = validate_paths([path], profile="dandi")
    crashed = [f for f in report.findings if f.check_id == "inspector.crashed"]
    assert {f.location for f in crashed} == {"/acquisition/trials_extra"}
    assert all("check_always_crashes" in f.message and "upstream bug" in f.message for f in crashed)
    assert all(f.severity == Severity.INFO for f in crashed)
    # check_col_not_nan and check_table_values_for_dict ran on the non-empty columns without crashing
    assert not [f for f in report.findings if "check_col_not_nan" in f.message + f.check_id]
    assert report.exit_code == 0, _blocking(report)
    assert np.isfinite(report.files[0].duration_s)


def test_day_level_preset_as_session_protocol_is_reconciled_as_convert_did(example, tmp_path):
    metadata = yaml.safe_load(example.read_text())
    metadata["stimulation"]["protocol"] = "aitbs_day"  # the whole day's schedule for one long session
    metadata["stimulation"]["min_session_gap_s"] = 60
    metadata["stimulation"]["match_tolerance_s"] = 0.004
    out = tmp_path / "day.nwb"
    result = convert_session(metadata, out, quiet=True, base_dir=example.parent)
    assert result.num_sessions == 1
    report = validate_paths([out])
    assert not [f for f in report.findings if f.check_id.startswith("tms.protocols.reconciled")]
    assert report.exit_code == 0, _blocking(report)


def test_the_recorded_tolerance_is_the_one_validate_uses():
    from nwbtms.protocols.reconcile import DEFAULT_SESSION_TOLERANCE_S, TOLERANCE_NOTE, tolerance_from_description

    assert tolerance_from_description(f"one row per session; {TOLERANCE_NOTE.format(0.0125)}.") == 0.0125
    assert tolerance_from_description("written by another tool") == DEFAULT_SESSION_TOLERANCE_S
