"""The DANDI gate is at least as strict as DANDI: every NWB Inspector check nwbtms replaces
(``REPLACED_INSPECTOR_CHECKS``) is run by NWB Inspector itself, with its DANDI configuration (what ``dandi
validate`` and ``dandi upload`` run), on the same files as ``nwbtms validate``; whatever it reports, the
replacement reports too, at the same or a higher severity."""

from __future__ import annotations

import functools

import h5py
import numpy as np
import pytest

from nwbtms.validate import Severity, validate_paths
from nwbtms.validate.checks.inspector import IMPORTANCE_TO_SEVERITY
from nwbtms.validate.registry import REPLACED_INSPECTOR_CHECKS
from tests.validate.corpus_tools import set_text

SUBJECT = "general/subject"


def _text(path: str, value: str):
    return lambda h5: set_text(h5, path, value)


def _delete(path: str):
    def plant(h5: h5py.File) -> None:
        del h5[path]
    return plant


def _both(*plants):
    def plant(h5: h5py.File) -> None:
        for p in plants:
            p(h5)
    return plant


def _timestamps(index: int, value: float):
    def plant(h5: h5py.File) -> None:
        h5["acquisition/running_speed/timestamps"][index] = value
    return plant


def _regular(h5: h5py.File) -> None:
    h5["acquisition/running_speed/timestamps"][:] = np.arange(5000) * 0.01


def _epoch(index: int, stop: float):
    def plant(h5: h5py.File) -> None:
        h5["intervals/epochs/stop_time"][index] = stop
    return plant


#: name -> how the copy of the complete file is broken; each copy plants at most one problem per replacement
#: (so a finding cannot stand in for another), several replacements per copy (fewer files to validate)
CASES = {
    "form": _both(_text(f"{SUBJECT}/species", "mouse"), _text("general/session_id", "day/1"),
                  _text(f"{SUBJECT}/age", " P84D"), _timestamps(50, 0.0), _epoch(3, 250.0)),
    "case": _both(_text(f"{SUBJECT}/species", "mus musculus"), _text(f"{SUBJECT}/subject_id", "M/001"),
                  _text(f"{SUBJECT}/sex", "male"), _timestamps(10, np.nan), _epoch(4, 400.0)),
    "iri": _both(_text(f"{SUBJECT}/species", "https://purl.obolibrary.org/obo/NCBITaxon_10090"),
                 _delete(f"{SUBJECT}/sex"), _text(f"{SUBJECT}/age", "12 weeks"), _regular),
    "missing": _both(_delete(f"{SUBJECT}/species"), _delete(f"{SUBJECT}/subject_id"), _delete(f"{SUBJECT}/age")),
    "no_subject": _delete(SUBJECT),
    "c_elegans": _both(_text(f"{SUBJECT}/species", "Caenorhabditis elegans"), _text(f"{SUBJECT}/sex", "M")),
}


@pytest.fixture(scope="module")
def planted(complete_nwb, make_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("strictness")
    files = {name: make_copy(complete_nwb, folder / name / f"{name}.nwb", plant) for name, plant in CASES.items()}
    report = validate_paths(list(files.values()), profile="dandi")
    return files, report


@functools.cache
def _inspector(path: str) -> list:
    """NWB Inspector's own replaced checks with its DANDI configuration, run on the file as written."""
    from nwbinspector import Importance, available_checks, inspect_nwbfile, load_config

    checks = [c for c in available_checks if c.__name__ in REPLACED_INSPECTOR_CHECKS]
    return list(inspect_nwbfile(nwbfile_path=str(path), checks=checks, config=load_config("dandi"),
                                importance_threshold=Importance.BEST_PRACTICE_SUGGESTION,
                                skip_validate=True))


@pytest.mark.parametrize("name", sorted(CASES))
def test_replacement_is_at_least_as_strict_as_nwb_inspector_with_the_dandi_config(planted, name):
    files, report = planted
    path = str(files[name])
    ours = [f for f in report.findings if f.file == path]
    messages = _inspector(path)
    assert messages, f"{name}: NWB Inspector finds nothing; the case plants no problem it checks"
    for message in messages:
        replaced = REPLACED_INSPECTOR_CHECKS[message.check_function_name]
        needed = IMPORTANCE_TO_SEVERITY[message.importance.name]
        found = [f for f in ours if f.check_id == replaced and f.severity >= needed]
        reported = [(f.severity.name, f.message) for f in ours]
        assert found, (f"{name}: NWB Inspector's {message.check_function_name} ({message.importance.name}: "
                       f"{message.message}) but nwbtms {replaced} reports {reported}")


def test_species_mouse_blocks(planted):
    files, report = planted
    result = next(r for r in report.files if r.path == str(files["form"]))
    assert any(f.check_id == "dandi.species" and f.severity == Severity.CRITICAL and "'mouse'" in f.message
               for f in result.findings)
    assert report.exit_code == 1


def test_every_replaced_check_is_exercised(planted):
    files, _ = planted
    fired = {m.check_function_name for path in files.values() for m in _inspector(str(path))}
    assert fired == set(REPLACED_INSPECTOR_CHECKS)


def test_the_name_convert_gives_a_dandi_layout_file_is_accepted():
    from nwbtms.dandi_layout import dandi_relative_path
    from nwbtms.validate.checks.dandi import _file_name

    path = "dandiset" / dandi_relative_path("Maus_ü1", "day 1")
    assert str(path) == "dandiset/sub-Maus-1/sub-Maus-1_ses-day-1.nwb"
    assert list(_file_name(str(path), "Maus_ü1", "day 1")) == []
    assert [h.check.id for h in _file_name(str(path), "Maus_ü2", "day 1")] == ["dandi.file_name"]
