"""Step 8, the TMS reporting items (Chipchase 2012, BEP037), and what the profiles and --fail-on change: one copy
of the complete file with every reporting item left out, validated with profile tms (every item named) and
dandi (none of them, exit 0)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nwbtms.validate import Severity, validate_paths

TMS = "general/tms"


def _omit_reporting_items(h5) -> None:
    h5["general/devices/models/MagPro X100"].attrs["manufacturer"] = ""
    h5["general/devices/models/Rodent coil 8 mm"].attrs["shape"] = ""
    h5[f"{TMS}/protocols/waveform"][0] = ""
    h5[f"{TMS}/protocols/pulse_width_in_us"][0] = np.nan
    h5[f"{TMS}/protocols/coil_current_direction"][0] = ""
    h5[f"{TMS}/protocols/intensity_reference"][1] = ""
    for column in ("timing_level", "timing_count", "timing_interval_in_s"):  # row 0 keeps no timing level (and
        h5[f"{TMS}/protocols/{column}_index"][0] = 0  # row 1 all six: its lists stay of equal length)
    h5[f"{TMS}/thresholds/criterion"][0] = ""
    h5[f"{TMS}/targets/label"][0] = ""
    segmentation = h5["processing/ophys/ImageSegmentation/PlaneSegmentation"]
    segmentation.attrs["colnames"] = np.array(["image_mask"], dtype=object)
    del segmentation["cell_type"]


#: check ID -> (location, index) expected for the file without reporting items
EXPECTED = {
    "report.stimulator_model": ("/general/devices/stimulator", None),
    "report.coil_model": ("/general/devices/coil", None),
    "report.waveform": ("/general/tms/protocols/waveform", 0),
    "report.pulse_width": ("/general/tms/protocols/pulse_width_in_us", 0),
    "report.current_direction": ("/general/tms/protocols", 0),
    "report.intensity": ("/general/tms/protocols", 1),
    "report.protocol_timing": ("/general/tms/protocols/timing_level", 0),
    "report.threshold": ("/general/tms/thresholds", 0),
    "report.target": ("/general/tms/targets", 0),
    "report.cell_types_on_rois": ("/processing/ophys/ImageSegmentation/PlaneSegmentation", None),
}


@pytest.fixture(scope="module")
def unreported(complete_nwb, make_copy, tmp_path_factory):
    return make_copy(complete_nwb, tmp_path_factory.mktemp("unreported") / "unreported.nwb", _omit_reporting_items)


def test_profile_tms_names_every_missing_reporting_item(unreported):
    report = validate_paths([unreported])
    found = {(f.check_id, f.location, f.index) for f in report.findings if f.check_id.startswith("report.")}
    assert {(k, *v) for k, v in EXPECTED.items()} <= found
    assert report.exit_code == 1
    assert not [f for f in report.findings if f.severity >= Severity.CRITICAL]  # only reporting gaps were planted


def test_profile_dandi_runs_the_upload_gate_only(unreported, capsys):
    from nwbtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--quiet", "validate", str(unreported), "--profile", "dandi", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and document["exit_code"] == 0 and document["profile"] == "dandi"
    ids = {f["check_id"] for f in document["findings"]}
    assert not {i for i in ids if i.startswith(("report.", "tms."))}


def test_fail_on_critical_lets_reporting_gaps_pass(unreported, capsys):
    from nwbtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--quiet", "validate", str(unreported), "--fail-on", "CRITICAL", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and document["fail_on"] == "CRITICAL"
    assert document["summary"]["by_severity"]["BEST_PRACTICE_VIOLATION"] >= 8
