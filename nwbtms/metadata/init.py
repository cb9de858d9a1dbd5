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
``"<FILL ME: ...>"`` (:mod:`nwbtms.metadata.placeholders`), so ``nwbtms convert`` refuses the draft until
a person has filled it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nwbtms.errors import InputError, NwbtmsError
from nwbtms.metadata.placeholders import find_placeholders, placeholder
from nwbtms.sources import registry

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


def _in_bruker_series(folder: Path, root: Path) -> bool:
    """Whether ``folder`` or a parent below ``root`` holds a Bruker PrairieView XML (its MIP/ and References/
    subfolders hold TIFFs of the same series)."""
    bruker = registry.reader("bruker")
    for candidate in (folder, *folder.parents):
        if any(p.suffix.lower() in bruker.suffixes and bruker.sniff(p) for p in candidate.iterdir()):
            return True
        if candidate == root:
            return False
    return False


def _file_reader(path: Path, readers: list) -> type | None:
    """The first registered reader whose suffix ``path`` has and whose sniff recognises it."""
    suffix = path.suffix.lower()
    return next((cls for cls in readers if not cls.folder and suffix in cls.suffixes and cls.sniff(path)), None)


def recognise(rawdir: str | os.PathLike) -> list[RecognisedSource]:
    """Every raw file or folder under ``rawdir`` that a registered reader recognises by its sniff
    (:mod:`nwbtms.sources.registry`), with keys unique per reader.

    A folder a folder reader recognises (Open Ephys, Suite2p) is one source and is not searched further;
    of the files one reader recognises in a folder, ``select`` keeps the sources (Localite: the last save of
    each recording); frame TIFFs of a Bruker series are read through its XML, not drafted.
    """
    root = Path(rawdir)
    if not root.is_dir():
        raise InputError("not a folder", file=root, hint="give the folder holding the session's raw files")
    readers = registry.readers()
    folder_readers = [cls for cls in readers if cls.folder]
    found: list[tuple[str, Path]] = []
    claimed: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        dirnames.sort()
        if any(folder.is_relative_to(c) for c in claimed):
            dirnames[:] = []
            continue
        owner = next((cls for cls in folder_readers if cls.sniff(folder)), None)
        if owner is not None:
            found.append((owner.name, owner.source_path(folder)))
            claimed.append(folder)
            dirnames[:] = []
            continue
        in_folder: list[tuple[type, Path]] = []
        for name in sorted(filenames):
            if name in _SKIP_NAMES or name.startswith("."):
                continue
            path = folder / name
            cls = _file_reader(path, readers)
            if cls is None or (cls.name == "tiff" and _in_bruker_series(folder, root)):
                continue  # frame, reference or MIP TIFFs of a Bruker series: read through its XML
            in_folder.append((cls, path))
        done: set[type] = set()
        for cls, _path in in_folder:  # in file order; each reader's selection where its first file was
            if cls not in done:
                done.add(cls)
                found.extend((cls.name, chosen) for chosen in cls.select([p for c, p in in_folder if c is cls]))
    sources = []
    counts: dict[str, int] = {}
    for reader, path in found:
        counts[reader] = counts.get(reader, 0) + 1
        key = reader if counts[reader] == 1 else f"{reader}{counts[reader]}"
        sources.append(RecognisedSource(key=key, reader=reader, path=path))
    for source in sources:
        _read_facts(source)
    return sources


def _kind(source: RecognisedSource) -> str:
    return registry.reader(source.reader).kind


def _read_facts(source: RecognisedSource) -> None:
    """Fill what the file says (rates, channel names, start time); never fail the draft."""
    try:
        kind = _kind(source)
        if kind == "daq":
            with registry.open_source(source.reader, source.path) as recording:
                source.facts["sample_rate_hz"] = recording.sample_rate_hz
                source.facts["channels"] = recording.channel_names
                if recording.start_datetime is not None:
                    source.facts["start_time"] = recording.start_datetime.isoformat()
                elif recording.metadata.get("clock_at_run_start"):
                    source.facts["naive_start_time"] = str(recording.metadata["clock_at_run_start"])
                elif recording.metadata.get("relative_time"):
                    source.facts["relative_time"] = True
        elif kind == "navigator":
            pulses = registry.open_source(source.reader, source.path)
            source.facts["samples"] = len(pulses)
            source.facts["untracked"] = int(pulses.untracked.sum())
        elif kind == "imaging":
            imaging = registry.open_source(source.reader, source.path)
            source.facts["num_frames"] = imaging.num_frames
            source.facts["frame_rate_hz"] = imaging.frame_rate_hz
            source.facts["frame_shape"] = list(imaging.frame_shape)
            source.facts["channels"] = list(imaging.channels)  # every one is converted unless the plane lists some
        elif kind == "photometry":
            with registry.open_source(source.reader, source.path) as recording:
                source.facts["signals"] = [s.name for s in recording.of_kind("signal")]
                source.facts["digital_inputs"] = {name: int(recording.rising_edges(name).size)
                                                  for name in recording.digital_inputs}
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
    daqs = [s for s in recognised if _kind(s) == "daq"]
    logs = [s for s in recognised if _kind(s) == "stimulator_log"]
    navigators = [s for s in recognised if _kind(s) == "navigator"]
    movies = [s for s in recognised if _kind(s) == "imaging"]
    segmentations = [s for s in recognised if _kind(s) == "segmentation"]
    photometry = [s for s in recognised if _kind(s) == "photometry"]

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
    # pulse times: the DAQ trigger when there is one, else the stimulator log's or the navigator's own
    # timestamps (a Localite-only rig); never a draft that silently converts with no pulse
    timing = daqs or logs or navigators
    if timing:
        stimulation: dict[str, Any] = {"pulses_from": timing[0].key, "protocol": "main", "target": "target",
                                       "coil": "coil"}
        if logs and logs[0] is not timing[0]:
            stimulation["stimulator_log"] = logs[0].key
        if navigators and navigators[0] is not timing[0]:
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
    if photometry:
        data["photometry"] = _photometry_draft(photometry[0], fill)
    return Draft(data=data, recognised=recognised)


def _photometry_draft(source: RecognisedSource, fill) -> dict[str, Any]:
    """The ``photometry`` section for a recognised recording: its signals and digital inputs as the file names them."""
    inputs = source.facts.get("digital_inputs") or {}
    edges = ", ".join(f"{name} ({count} edges)" for name, count in inputs.items()) or "none found"
    signals = source.facts.get("signals") or [fill("stream name, as 'nwbtms inspect' lists it")]
    return {
        "source": source.key,
        "sync": {"digital_input": fill(f"digital input that recorded the TMS trigger, one of: {edges}")},
        "indicators": {"indicator": {"label": fill("indicator, e.g. GCaMP8m")}},
        "fibers": {"fiber0": {
            "location": fill("brain area of the fiber tip, e.g. secondary motor area (MOs), layer 5"),
            "coordinates_in_mm": [fill("AP"), fill("ML"), fill("DV")],
            "cell_type": fill("key of cell_types of the neurons the fiber records (add the cell type)"),
            "indicator": "indicator",
            "signals": {name: {"excitation_wavelength_in_nm": fill("excitation, nm, e.g. 470 or 405"),
                               "emission_wavelength_in_nm": fill("emission, nm, e.g. 525")} for name in signals},
        }},
    }


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
