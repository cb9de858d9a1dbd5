"""The mock factories follow pynwb's ``testing.mock``: keyword parameters only, unique names by default,
``nwbfile=`` attaches what they build (and the file writes and reads back)."""

from __future__ import annotations

import datetime as dt
import inspect

from ndx_tms import find_tms_tables, testing
from pynwb import NWBHDF5IO, NWBFile
from pynwb.testing.mock.ophys import mock_TwoPhotonSeries

FACTORIES = {name: f for name, f in vars(testing).items()
             if name.startswith("mock_") and name[5:6].isupper() and inspect.isfunction(f)}
NAMED_MANY = ["mock_TMSStimulatorModel", "mock_TMSStimulator", "mock_TMSCoilModel", "mock_TMSCoil",
              "mock_TMSNavigationSystem", "mock_TMSCoordinateSpace", "mock_TMSRegistration", "mock_TMSClockAlignment"]


def _nwbfile() -> NWBFile:
    return NWBFile(session_description="mock factories", identifier="mock-factories",
                   session_start_time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))


def test_every_factory_takes_only_explicit_keyword_parameters():
    assert len(FACTORIES) >= 19
    for name, factory in FACTORIES.items():
        params = inspect.signature(factory).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), name
        assert "nwbfile" in inspect.signature(factory).parameters, name
        assert "name" in inspect.signature(factory).parameters or name == "mock_TMSExperimentMetadata", name


def test_two_calls_give_unique_names_and_name_is_accepted():
    for name in NAMED_MANY:
        first, second = FACTORIES[name](), FACTORIES[name]()
        assert first.name != second.name, name
        assert FACTORIES[name](name="given").name == "given"
    series = mock_TwoPhotonSeries()
    masks = [testing.mock_TMSArtifactMask(series=series) for _ in range(2)]
    assert masks[0].name != masks[1].name


def test_nwbfile_attaches_what_is_built_and_the_file_round_trips(tmp_path):
    nwbfile = _nwbfile()
    coil = testing.mock_TMSCoil(nwbfile=nwbfile)
    assert nwbfile.devices[coil.name] is coil
    assert nwbfile.devices[coil.stimulator.name] is coil.stimulator  # built dependencies are attached too
    assert nwbfile.device_models[coil.model.name] is coil.model
    pulses = testing.mock_TMSPulsesTable(coil=coil, sessions=1, nwbfile=nwbfile)
    found = find_tms_tables(nwbfile)
    metadata = found["metadata"]
    assert found["pulses"] is pulses and found["sessions"] is pulses["session"].table
    assert metadata.protocols is pulses["protocol"].table and metadata.targets is pulses["target"].table
    assert metadata.coils is pulses.coils
    assert metadata.thresholds is not None and len(metadata.tms_coordinate_spaces) == 1
    assert testing.mock_TMSReconciliationTable(sessions=found["sessions"], nwbfile=nwbfile) is metadata.reconciliation
    assert testing.mock_TMSAdverseEventsTable(nwbfile=nwbfile) is find_tms_tables(nwbfile)["adverse_events"]
    assert testing.mock_CellTypesTable(nwbfile=nwbfile) is metadata.cell_types
    registration = testing.mock_TMSRegistration(coordinate_space=metadata.tms_coordinate_spaces[
        next(iter(metadata.tms_coordinate_spaces))], nwbfile=nwbfile)
    assert metadata.tms_registrations[registration.name] is registration
    alignment = testing.mock_TMSClockAlignment(nwbfile=nwbfile)
    assert nwbfile.processing["ophys"][alignment.name] is alignment
    path = tmp_path / "mock.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    with NWBHDF5IO(path, "r") as io:
        read = io.read()
        assert len(find_tms_tables(read)["pulses"]) == len(pulses)
        assert coil.name in read.devices


def test_metadata_factory_attaches_itself_and_the_example_file_keeps_its_names():
    nwbfile = _nwbfile()
    metadata = testing.mock_TMSExperimentMetadata(sessions=1, nwbfile=nwbfile)
    assert nwbfile.lab_meta_data["tms"] is metadata
    assert nwbfile.devices["coil"] is find_tms_tables(nwbfile)["pulses"].coils["device"][0]
    example = testing.mock_tms_nwbfile()
    assert {"stimulator", "coil"} <= set(example.devices)
    assert {"MagPro X100", "Rodent coil 8 mm"} <= set(example.device_models)
    assert list(example.lab_meta_data["tms"].tms_coordinate_spaces) == ["bregma_stereotaxic"]
    assert {"scanimage_to_daq", "TwoPhotonSeries_tms_artifact_mask"} <= set(example.processing["ophys"].data_interfaces)
