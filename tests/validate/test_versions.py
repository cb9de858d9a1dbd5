"""Files of ndx-tms 0.1.0 (everything in /general/tms) and 0.2.0 (pulses in /events, sessions in /intervals):
the validator reads both, says which one a file uses, and runs the same checks; depth-adjusted dosing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from nwbtms.validate import validate_paths

SPEC_0_1 = Path(__file__).parent / "data" / "ndx_tms_0_1_0" / "ndx-tms.namespace.yaml"

#: Written in a fresh process that never imports ndx_tms: the 0.1.0 spec's generated classes.
WRITE_0_1 = """
import datetime as dt, sys
import numpy as np
from pynwb import NWBHDF5IO, NWBFile, get_class, load_namespaces
load_namespaces(sys.argv[1])
C = lambda name: get_class(name, "ndx-tms")
f = NWBFile(session_description="ndx-tms 0.1.0 file", identifier="legacy-0-1",
            session_start_time=dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc))
smodel = C("TMSStimulatorModel")(name="MagPro X100", manufacturer="MagVenture", description="stimulator")
cmodel = C("TMSCoilModel")(name="Rodent coil", manufacturer="custom", description="coil", shape="circular")
f.add_device_model(smodel); f.add_device_model(cmodel)
stim = C("TMSStimulator")(name="stimulator", description="s", mode="standard", model=smodel)
coil = C("TMSCoil")(name="coil", description="c", model=cmodel, stimulator=stim)
f.add_device(stim); f.add_device(coil)
space = C("TMSCoordinateSpace")(name="bregma", space="bregma_stereotaxic", units="mm", origin="bregma",
                                orientation="RAS")
thresholds = C("TMSThresholdsTable")(name="thresholds", description="t")
thresholds.add_row(threshold_type="rodent_visual_twitch", value_in_percent_mso=45.0, method="visual",
                   criterion="twitch", measurement_method="visual")
protocols = C("TMSProtocolsTable")(name="protocols", description="p", target_tables={"threshold": thresholds})
protocols.add_row(protocol_name="itbs_600", waveform="biphasic", pulse_width_in_us=280.0,
                  coil_current_direction="normal", induced_current_direction="unknown",
                  timing_level=["pulse", "burst", "train"], timing_count=[3, 10, 20],
                  timing_interval_in_s=[0.02, 0.2, 10.0], intensity_reference="percent_threshold",
                  intensity_value=100.0, intensity_in_percent_mso=45.0, threshold=0, sham=False, sham_type="")
targets = C("TMSTargetsTable")(name="targets", description="t")
targets.add_row(label="dmPFC", atlas_term="MOs", coordinate_space=space, target_position=[0.3, 1.9, -0.12],
                targeting_method="stereotaxic")
coils = C("TMSCoilsTable")(name="coils", description="c")
coils.add_row(device=coil)
sessions = C("TMSSessionsTable")(name="sessions", description="s",
                                 target_tables={"protocol": protocols, "target": targets})
t = np.concatenate([np.arange(3) * 0.02 + b * 0.2 + k * 10.0 for k in range(20) for b in range(10)])
t = np.concatenate([60.0 + t, 1860.0 + t])
for s in range(2):
    sessions.add_row(start_time=60.0 + 1800.0 * s, stop_time=251.84 + 1800.0 * s, protocol=0, target=0,
                     sham=False, num_pulses=600)
pulses = C("TMSPulsesTable")(name="pulses", description="p",
                             target_tables={"protocol": protocols, "target": targets, "coil": coils})
n = t.size
within = np.tile(np.arange(600), 2)
for i in range(n):
    pulses.add_row(timestamp=float(t[i]), protocol=0, target=0, coil=0, intensity_in_percent_mso=45.0,
                   di_dt_in_a_per_us=float("nan"), source="trigger_ttl", session_number=int(i // 600),
                   train_number=int(within[i] // 30), burst_number=int(within[i] // 3 % 10),
                   pulse_number=int(within[i] % 3), artifact_window_in_s=[-0.001, 0.025])
meta = C("TMSExperimentMetadata")(tms_coordinate_spaces=[space], thresholds=thresholds, protocols=protocols,
                                  targets=targets, coils=coils, pulses=pulses, sessions=sessions,
                                  ndx_tms_version="0.1.0")
f.add_lab_meta_data(meta)
with NWBHDF5IO(sys.argv[2], "w") as io:
    io.write(f)
"""


@pytest.fixture(scope="module")
def legacy_nwb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("legacy") / "legacy_0_1.nwb"
    subprocess.run([sys.executable, "-c", WRITE_0_1, str(SPEC_0_1), str(path)], check=True, cwd="/",
                   capture_output=True, text=True)
    return path


def _ids(report) -> dict[str, list]:
    found: dict[str, list] = {}
    for finding in report.findings:
        found.setdefault(finding.check_id, []).append(finding)
    return found


def test_a_0_1_file_is_read_with_its_own_spec_and_its_version_named(legacy_nwb):
    import ndx_tms  # the installed 0.2 is loaded in this process; the file must still read as 0.1

    assert ndx_tms.__version__.startswith("0.2")
    report = validate_paths([str(legacy_nwb)])
    found = _ids(report)
    version = found["nwb.namespaces.ndx_tms_version"][0].message
    assert "ndx-tms 0.1.0" in version and "0.1 layout" in version
    assert report.files[0].ndx_tms_version == "0.1.0"
    internal = [f.message for f in report.findings if "check failed internally" in f.message]
    assert internal == [] and "tms.skipped" not in found and "nwb.open" not in found
    assert not any(f.check_id.startswith("tms.pulses") for f in report.findings)


def test_checks_run_on_the_0_1_layout(legacy_nwb, tmp_path):
    broken = tmp_path / "legacy_broken.nwb"
    broken.write_bytes(legacy_nwb.read_bytes())
    with h5py.File(broken, "a") as h5:
        h5["general/tms/pulses/session_number"][700] = 0  # a session-1 pulse filed under session 0
    found = _ids(validate_paths([str(broken)]))
    assert any(f.index == 700 for f in found["tms.pulses.in_session"])
    assert "tms.sessions.num_pulses" in found


def test_a_0_2_file_names_its_layout(complete_nwb):
    found = _ids(validate_paths([str(complete_nwb)]))
    message = found["nwb.namespaces.ndx_tms_version"][0].message
    assert "ndx-tms 0.2.0" in message and "pulses and adverse events in /events" in message


def _saint_file(path: Path, adjusted: float) -> Path:
    """The mock file with its first protocol dosed as SAINT: 90% of a depth-adjusted threshold."""
    from ndx_tms.testing import mock_tms_nwbfile

    from nwbtms.io.nwb_write import write_nwbfile

    write_nwbfile(mock_tms_nwbfile(with_imaging=False), path)
    # threshold 45 %MSO at 14 mm; target 15.9 mm: 45 + 2.8 x 1.9 = 50.32 %MSO; 90 % of it = 45.288 %MSO, so the
    # mock pulses (45 %MSO) stay within the whole-%MSO rounding allowance
    with h5py.File(path, "a") as h5:
        p = h5["general/tms/protocols"]
        p["intensity_value"][0] = 90.0
        p["intensity_in_percent_mso"][0] = 45.288
        p["depth_adjustment_method"][0] = "stokes_2005"
        p["depth_adjustment_slope_in_percent_mso_per_mm"][0] = 2.8
        p["scalp_to_cortex_distance_motor_in_mm"][0] = 14.0
        p["scalp_to_cortex_distance_target_in_mm"][0] = 15.9
        p["depth_adjusted_threshold_in_percent_mso"][0] = adjusted
    return path


def test_a_depth_adjusted_protocol_validates_and_a_wrong_adjustment_is_caught(tmp_path):
    good = validate_paths([str(_saint_file(tmp_path / "saint.nwb", 50.32))])
    assert "tms.protocols.intensity_consistent" not in _ids(good)
    assert good.exit_code == 0, [(f.check_id, f.message) for f in good.findings if f.severity >= 2]
    bad = _ids(validate_paths([str(_saint_file(tmp_path / "saint_bad.nwb", 48.0))]))
    messages = [f.message for f in bad["tms.protocols.intensity_consistent"]]
    assert any("45.0 + 2.8 x (15.9 - 14.0) mm = 50.32" in m for m in messages)
