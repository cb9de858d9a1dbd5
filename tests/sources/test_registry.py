"""The reader registry: every reader declares itself; the schema, the metadata keys, the CLI and init derive from it;
each sniff recognises a real file written by the format's own library and refuses the other formats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nwbtms.sources import registry
from nwbtms.sources.registry import KINDS, READERS, Reader, reader, reader_names, recognise

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(READERS))
def test_each_reader_declares_itself(name):
    cls = reader(name)
    assert issubclass(cls, Reader) and cls.name == name
    assert cls.kind in KINDS
    assert cls.display_name and cls.info
    assert cls.folder or cls.suffixes or cls.kind == "neuroconv"  # an interface reads what it reads
    assert all(s.startswith(".") and s == s.lower() for s in cls.suffixes)
    assert "path" not in cls.options()


def test_session_schema_reader_enum_is_the_registry():
    schema = json.loads((ROOT / "schemas" / "session.schema.json").read_text())
    assert schema["$defs"]["source"]["properties"]["reader"]["enum"] == list(reader_names())


def test_imaging_formats_and_cli_choices_are_the_registry():
    from nwbtms.cli.imaging import _FORMAT_CHOICES
    from nwbtms.cli.pulses import detect
    from nwbtms.sources.imaging import FORMATS

    assert FORMATS == reader_names("imaging")
    assert _FORMAT_CHOICES == ["auto", *reader_names("imaging"), *reader_names("segmentation")]
    choices = next(p.type.choices for p in detect.params if p.name == "input_format")
    assert set(reader_names("daq")) <= set(choices)


def test_metadata_keys_take_sources_by_kind():
    from nwbtms.metadata.keys import references

    accepted = {ref.path: ref.target_kind[1] for ref in references() if ref.target_section == "sources"}
    assert accepted[("stimulation", "navigator")] == frozenset(reader_names("navigator"))
    assert accepted[("imaging_planes", "*", "imaging")] == frozenset(reader_names("imaging"))
    assert accepted[("stimulation", "pulses_from")] == frozenset(
        reader_names("daq") + reader_names("stimulator_log") + reader_names("navigator"))


def _samples(tmp_path: Path) -> dict[str, Path]:
    """One real file (or folder) per reader that can tell its format from content."""
    from nptdms import ChannelObject, TdmsWriter

    from nwbtms.sources.annotations.testing import write_annotation_csv, write_imagej_roiset
    from nwbtms.sources.daq.testing import write_openephys, write_wavesurfer
    from nwbtms.sources.imaging.testing import quiet_tifffile, write_scanimage, write_tseries

    files: dict[str, Path] = {}
    files["wavesurfer"] = write_wavesurfer(tmp_path / "ws.h5", [np.zeros((2, 100), dtype=np.int16)],
                                           sample_rate_hz=1000.0, channel_names=["trigger", "coil"])
    with TdmsWriter(tmp_path / "daq.tdms") as writer:
        writer.write_segment([ChannelObject("g", "trigger", np.zeros(10))])
    files["tdms"] = tmp_path / "daq.tdms"
    write_openephys(tmp_path / "oe", np.zeros((100, 2), dtype=np.int16))
    files["openephys"] = next((tmp_path / "oe").rglob("structure.oebin")).parent
    log = tmp_path / "log.csv"
    log.write_text("time_s,intensity_percent_mso\n0.5,45\n")
    files["stimulator_log"] = log
    brainsight = tmp_path / "samples.txt"
    brainsight.write_text("# Version: 12\n# Coordinate system: Brainsight\n")
    files["brainsight"] = brainsight
    localite = tmp_path / "TriggerMarkers_Coil0_20260302.xml"
    localite.write_text('<?xml version="1.0"?>\n<TriggerMarkerList coil="0"></TriggerMarkerList>\n')
    files["localite"] = localite
    with quiet_tifffile():
        (tmp_path / "si").mkdir()
        files["scanimage"] = write_scanimage(tmp_path / "si", num_volumes=2)[0]
    import tifffile

    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((2, 4, 4), dtype=np.uint16))
    files["tiff"] = tmp_path / "plain.tif"
    files["bruker"] = write_tseries(tmp_path / "bruker", voltage=False)
    plane = tmp_path / "suite2p" / "plane0"
    plane.mkdir(parents=True)
    for name in ("stat.npy", "ops.npy"):
        np.save(plane / name, np.zeros(1))
    files["suite2p"] = plane
    files["imagej_rois"] = write_imagej_roiset(tmp_path / "RoiSet.zip", [
        {"name": "d1", "type": "polyline", "points": [(1, 1), (5, 5)]}])
    from nwbtms.sources.behavior.testing import write_behavior_csv, write_ethovision, write_ethovision_statistics

    files["behavior_csv"] = write_behavior_csv(tmp_path / "behaviour.csv")
    files["ethovision"] = write_ethovision(tmp_path / "Track-Arena 1-Subject 1.txt")
    files["ethovision_statistics"] = write_ethovision_statistics(tmp_path / "Statistics-Open field.csv")
    from nwbtms.sources.photometry.testing import write_doric, write_ppd

    files["pyphotometry"] = write_ppd(tmp_path / "fiber.ppd", duration_s=1.0)
    files["doric"] = write_doric(tmp_path / "fiber.doric", duration_s=0.5)
    from nwbtms.sources.photometry.testing import write_neurophotometrics

    files["neurophotometrics"] = write_neurophotometrics(tmp_path / "FPdata.csv", duration_s=1.0)
    files["annotation_csv"] = write_annotation_csv(tmp_path / "rois.csv", [
        {"key": "d1:s1", "kind": "spine", "x_um": 1, "y_um": 2, "z_um": 3}])
    return files


def test_each_sniff_recognises_its_own_format_and_no_other(tmp_path):
    files = _samples(tmp_path)
    for name, path in files.items():
        found = recognise(path)
        assert found is not None and found.name == name, (name, path, found)
    readers = registry.readers()
    for name, path in files.items():
        claims = [cls.name for cls in readers if cls.matches_suffix(path) and cls.sniff(path)]
        assert claims[0] == name, (name, claims)
