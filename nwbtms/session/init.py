"""``nwbtms init``: recognise the raw files of a session folder and draft its metadata file.

Each file or folder is recognised by name and content (no guessing by name alone where the content
says more): WaveSurfer ``.h5`` (a ``/header`` group), ``.tdms``, ``.abf``, Open Ephys
(``structure.oebin``), stimulator logs (CSV/TSV/JSON lines with a ``time_s`` column or key), Localite
trigger markers (``TriggerMarkers_Coil<N>_<timestamp>.xml``, a ``TriggerMarkerList``: per folder, the last
save of each recording that holds markers; ``TriggerData*.xml`` beside them are display settings, never
drafted), Brainsight exports (``# Version:`` header and a ``Brainsight`` line), ScanImage TIFF
(``SI.``/``state.`` header; other TIFFs as generic), Bruker PrairieView XML (``PVScan`` root: a
``VoltageRecording`` sequence is a DAQ, ``bruker_voltage``; otherwise imaging) and Suite2p plane folders
(``stat.npy`` + ``ops.npy``).

What the files say is filled in (DAQ sample rate, channel names and start time as comments and
options; imaging frame rate and shape); every required unknown is the placeholder
``"<FILL ME: ...>"`` (:mod:`nwbtms.session.placeholders`), so ``nwbtms convert`` refuses the draft until
a person has filled it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nwbtms.errors import InputError, NwbtmsError
from nwbtms.session.placeholders import find_placeholders, placeholder

_DAQ_SUFFIXES = {".h5": "wavesurfer", ".tdms": "tdms", ".abf": "abf"}
_LOG_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson"}
_TIFF_SUFFIXES = {".tif", ".tiff"}
_SKIP_NAMES = {".DS_Store"}


@dataclass
class RecognisedSource:
    """One raw file or folder ``init`` understood."""

    key: str
    reader: str
    path: Path
    options: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def describe(self, rawdir: str | os.PathLike) -> str:
        """``reader: path (facts)`` with the path relative to ``rawdir`` (for a file meant to be shared)."""
        root = Path(rawdir)
        facts = ", ".join(f"{k}={v}" for k, v in self.facts.items())
        text = f"{self.reader}: {_rel(self.path, root)}" + (f" ({facts})" if facts else "")
        for folder in {str(root.resolve()), str(root)}:  # reader messages in the facts name files too
            if folder not in (".", ""):
                text = text.replace(folder + os.sep, "").replace(folder, ".")
        return text


@dataclass
class Draft:
    """A drafted metadata mapping and what was recognised."""

    data: dict
    recognised: list[RecognisedSource]

    @property
    def num_placeholders(self) -> int:
        return sum(1 for _ in find_placeholders(self.data))


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _is_wavesurfer(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            # sweep_NNNN groups, or trial_NNNN datasets (WaveSurfer 0.74)
            return "header" in handle and any(k.startswith(("sweep_", "trial_")) for k in handle)
    except OSError:
        return False


def _is_stimulator_log(path: Path) -> bool:
    text = _head(path).decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return False
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        try:
            return "time_s" in json.loads(lines[0])
        except (ValueError, TypeError):
            return False
    header = lines[0].replace("\t", ",").split(",")
    return "time_s" in [h.strip() for h in header]


def _is_brainsight(path: Path) -> bool:
    text = _head(path).decode("utf-8", errors="replace")
    return text.startswith("# Version:") and "Brainsight" in text


def _xml_kind(path: Path) -> str | None:
    from nwbtms.sources.imaging.bruker_voltage import is_voltage_recording_master

    text = _head(path, 8192).decode("utf-8", errors="replace")
    if "<PVScan" in text:
        return "bruker_voltage" if is_voltage_recording_master(path) else "bruker"
    if "<TriggerMarkerList" in text:
        return "localite"
    return None  # TriggerData*.xml (display settings), InstrumentMarker*.xml: not pulses


def _localite_recordings(folder: Path) -> list[Path]:
    """The last save of each Localite recording in ``folder`` that holds markers (else the last file)."""
    from nwbtms.sources.navigation import select_trigger_marker_files

    try:
        chosen = select_trigger_marker_files(folder, coil=None, skip_empty=True)
        return chosen or select_trigger_marker_files(folder, coil=None, skip_empty=False)[-1:]
    except NwbtmsError:
        return []


def _tiff_kind(path: Path) -> str:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            return "scanimage" if page.is_scanimage else "tiff"
    except Exception:  # noqa: BLE001 - an unreadable TIFF is still a TIFF for the draft
        return "tiff"


def _in_bruker_series(folder: Path, root: Path) -> bool:
    """Whether ``folder`` or a parent below ``root`` holds a Bruker PrairieView XML (its MIP/ and References/
    subfolders hold TIFFs of the same series)."""
    for candidate in (folder, *folder.parents):
        if any(p.suffix.lower() == ".xml" and _xml_kind(p) == "bruker" for p in candidate.iterdir()):
            return True
        if candidate == root:
            return False
    return False


def recognise(rawdir: str | os.PathLike) -> list[RecognisedSource]:
    """Every raw file or folder under ``rawdir`` that a reader knows, with keys unique per reader."""
    root = Path(rawdir)
    if not root.is_dir():
        raise InputError("not a folder", file=root, hint="give the folder holding the session's raw files")
    found: list[tuple[str, Path]] = []
    claimed: list[Path] = []
    localite_dirs: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        dirnames.sort()
        if any(folder.is_relative_to(c) for c in claimed):
            dirnames[:] = []
            continue
        names = set(filenames)
        if "structure.oebin" in names:
            found.append(("openephys", folder / "structure.oebin"))
            claimed.append(folder)
            dirnames[:] = []
            continue
        if {"stat.npy", "ops.npy"} <= names:
            found.append(("suite2p", folder))
            claimed.append(folder)
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            path = folder / name
            suffix = path.suffix.lower()
            if name in _SKIP_NAMES or name.startswith("."):
                continue
            if suffix == ".h5" and _is_wavesurfer(path):
                found.append(("wavesurfer", path))
            elif suffix in (".tdms", ".abf"):
                found.append((_DAQ_SUFFIXES[suffix], path))
            elif suffix in _TIFF_SUFFIXES:
                kind = _tiff_kind(path)
                if kind == "tiff" and _in_bruker_series(folder, root):
                    continue  # frame, reference or MIP TIFFs of a Bruker series: read through its XML
                found.append((kind, path))
            elif suffix == ".xml":
                kind = _xml_kind(path)
                if kind == "localite":
                    if folder not in localite_dirs:
                        localite_dirs.add(folder)
                        found.extend(("localite", chosen) for chosen in _localite_recordings(folder))
                elif kind in ("bruker", "bruker_voltage"):
                    found.append((kind, path))
            elif suffix in _LOG_SUFFIXES:
                if _is_brainsight(path):
                    found.append(("brainsight", path))
                elif _is_stimulator_log(path):
                    found.append(("stimulator_log", path))
    sources = []
    counts: dict[str, int] = {}
    for reader, path in found:
        counts[reader] = counts.get(reader, 0) + 1
        key = reader if counts[reader] == 1 else f"{reader}{counts[reader]}"
        sources.append(RecognisedSource(key=key, reader=reader, path=path))
    for source in sources:
        _read_facts(source)
    return sources


def _read_facts(source: RecognisedSource) -> None:
    """Fill what the file says (rates, channel names, start time); never fail the draft."""
    try:
        if source.reader in ("wavesurfer", "tdms", "abf", "openephys", "bruker_voltage"):
            from nwbtms.sources.daq import open_recording

            with open_recording(source.path, format=source.reader) as recording:
                source.facts["sample_rate_hz"] = recording.sample_rate_hz
                source.facts["channels"] = recording.channel_names
                if recording.start_datetime is not None:
                    source.facts["start_time"] = recording.start_datetime.isoformat()
                elif recording.metadata.get("clock_at_run_start"):
                    source.facts["naive_start_time"] = str(recording.metadata["clock_at_run_start"])
                elif recording.metadata.get("relative_time"):
                    source.facts["relative_time"] = True
        elif source.reader in ("localite", "brainsight"):
            from nwbtms.sources.navigation import read_brainsight, read_localite_triggers

            pulses = (read_localite_triggers if source.reader == "localite" else read_brainsight)(source.path)
            source.facts["samples"] = len(pulses)
            source.facts["untracked"] = int(pulses.untracked.sum())
        elif source.reader in ("scanimage", "tiff", "bruker"):
            from nwbtms.sources.imaging import open_imaging

            imaging = open_imaging(source.path, format=source.reader)
            source.facts["num_frames"] = imaging.num_frames
            source.facts["frame_rate_hz"] = imaging.frame_rate_hz
            source.facts["frame_shape"] = list(imaging.frame_shape)
            source.facts["channels"] = list(imaging.channels)  # every one is converted unless the plane lists some
    except (NwbtmsError, ImportError, OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        source.facts["note"] = f"could not read details: {exc}".splitlines()[0][:200]


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path.as_posix()


def draft_metadata(rawdir: str | os.PathLike, *, metadata_dir: str | os.PathLike | None = None) -> Draft:
    """Draft the metadata mapping for the raw files under ``rawdir``.

    Parameters
    ----------
    rawdir : path
        Folder with the session's raw files.
    metadata_dir : path, optional
        Folder the metadata file will live in; source paths are written relative to it (default ``rawdir``).
    """
    recognised = recognise(rawdir)
    base = Path(metadata_dir) if metadata_dir is not None else Path(rawdir)
    fill = placeholder
    daqs = [s for s in recognised if s.reader in ("wavesurfer", "tdms", "abf", "openephys", "bruker_voltage")]
    logs = [s for s in recognised if s.reader == "stimulator_log"]
    navigators = [s for s in recognised if s.reader in ("localite", "brainsight")]
    movies = [s for s in recognised if s.reader in ("scanimage", "tiff", "bruker")]
    segmentations = [s for s in recognised if s.reader == "suite2p"]

    start_time = fill("session start, ISO 8601 with UTC offset, e.g. 2026-03-02T09:30:00-08:00")
    for daq in daqs:
        if "start_time" in daq.facts:
            start_time = daq.facts["start_time"]
            break
        if "naive_start_time" in daq.facts:
            naive = daq.facts["naive_start_time"]
            start_time = fill(f"session start with UTC offset; the DAQ clock says {naive}")
            break
        if daq.facts.get("relative_time"):
            start_time = fill("session start with UTC offset; the DAQ file has relative time only (no clock)")
            break

    data: dict[str, Any] = {
        "format_version": 1,
        "nwbfile": {
            "session_description": fill("what happened in this session"),
            "session_start_time": start_time,
            "session_id": fill("session id, e.g. day1"),
            "experimenter": [fill("Last, First")],
            "lab": fill("lab"),
            "institution": fill("institution"),
        },
        "subject": {
            "subject_id": fill("subject id (no '/')"),
            "species": fill("Latin binomial, e.g. Mus musculus"),
            "sex": fill("M, F, U or O"),
            "age": fill("ISO 8601 duration, e.g. P84D"),
        },
        "devices": {
            "stimulator": {
                "type": "tms_stimulator", "mode": fill("standard, power, twin or dual"),
                "model": {"name": fill("stimulator model, e.g. MagPro X100"),
                          "manufacturer": fill("e.g. MagVenture")},
            },
            "coil": {
                "type": "tms_coil", "stimulator": "stimulator",
                "model": {"name": fill("coil model, e.g. Cool-B65"),
                          "manufacturer": fill("coil manufacturer"),
                          "shape": fill("figure_of_eight, circular, double_cone, h_coil, ...")},
            },
        },
        "protocols": {
            "main": {"preset": fill("preset name (nwbtms protocol list), e.g. itbs_600"),
                     "intensity": {"reference": "percent_mso", "value": fill("intensity in %MSO")}},
        },
        "coordinate_spaces": {
            "space": {"space": fill("e.g. bregma_stereotaxic or MNI152NLin2009cAsym"),
                      "origin": fill("e.g. bregma"), "orientation": fill("three letters, e.g. RAS")},
        },
        "targets": {
            "target": {"label": fill("target label, e.g. dmPFC"), "atlas_term": fill("atlas term, e.g. PL"),
                       "coordinate_space": "space", "target_position": [fill("x"), fill("y"), fill("z")],
                       "targeting_method": fill("stereotaxic, neuronavigation, 10-20, hotspot, ..."),
                       # the coil orientation is a reporting item (validate blocks without it); a navigator's
                       # poses or coil_pose may give it instead
                       "coil_handle_angle_in_deg": fill("coil handle angle from the midline, degrees")},
        },
        "sources": {},
    }
    for source in recognised:
        entry: dict[str, Any] = {"reader": source.reader, "path": _rel(source.path, base)}
        if entry["path"].startswith("../") or Path(entry["path"]).is_absolute():
            # convert refuses a path leaving the metadata file's folder unless this is set (load.py)
            data = {"format_version": 1, "allow_absolute_paths": True, **data}
        if source in daqs:
            channels = source.facts.get("channels") or []
            hint = f"TMS trigger channel, one of {channels}" if channels else "TMS trigger channel name"
            entry["options"] = {"trigger_channel": fill(hint)}
            if movies and source is daqs[0]:  # imaging planes align by the frame clock recorded on this DAQ
                clock_hint = (f"frame-clock channel, one of {channels}" if channels else "frame-clock channel name")
                entry["options"]["frame_clock_channel"] = fill(
                    f"{clock_hint}; or set each imaging plane's clock: none")
        data["sources"][source.key] = entry
    if daqs:
        stimulation: dict[str, Any] = {"pulses_from": daqs[0].key, "protocol": "main", "target": "target",
                                       "coil": "coil"}
        if logs:
            stimulation["stimulator_log"] = logs[0].key
        if navigators:
            stimulation["navigator"] = navigators[0].key
        data["stimulation"] = stimulation
    if movies:
        data["devices"]["microscope"] = {"type": "microscope", "description": fill("microscope")}
        data["imaging_planes"] = {}
        for index, movie in enumerate(movies):
            plane: dict[str, Any] = {
                "device": "microscope", "imaging": movie.key, "description": fill("imaging plane"),
                "excitation_lambda_nm": fill("excitation wavelength, nm"), "indicator": fill("e.g. GCaMP6f"),
                "location": fill("brain area, e.g. PL"),
            }
            if index < len(segmentations):
                plane["segmentation"] = segmentations[index].key
            if not daqs:
                plane["clock"] = "none"
            data["imaging_planes"][f"plane{index}"] = plane
    return Draft(data=data, recognised=recognised)


def _comment_block(draft: Draft, rawdir: Path) -> str:
    lines = ["# Session metadata drafted by 'nwbtms init' (schemas/session.schema.json).",
             "# Replace every <FILL ME: ...>; 'nwbtms convert' refuses to run while one is left.",
             f"# Recognised raw files (relative to the raw folder '{rawdir.resolve().name}'):"]
    lines += [f"#   {source.describe(rawdir)}" for source in draft.recognised] or ["#   (none)"]
    if draft.data.get("allow_absolute_paths"):
        lines.append("# The raw files are outside this file's folder, so allow_absolute_paths is true; move this "
                     "file next to them and drop it before sharing.")
    return "\n".join(lines) + "\n"


def write_draft(rawdir: str | os.PathLike, output: str | os.PathLike, *, overwrite: bool = False) -> Draft:
    """Draft the metadata for ``rawdir`` and write it to ``output`` (atomic; overwrites only when asked)."""
    from nwbtms.io.atomic import atomic_write_text

    output = Path(output)
    draft = draft_metadata(rawdir, metadata_dir=output.resolve().parent)
    text = _comment_block(draft, Path(rawdir)) + yaml.safe_dump(draft.data, sort_keys=False, allow_unicode=True,
                                                            width=100)
    atomic_write_text(output, text, overwrite=overwrite)
    return draft
