"""nwbtms's readers as NeuroConv data interfaces (extra ``nwbtms[neuroconv]``).

One interface per kind of TMS source; each reads through nwbtms's own readers and builds through
``nwbtms/nwb`` (the same code ``nwbtms convert`` runs), so the TMS tables are the same:

========================  ===========================================  ==========================
interface                 source data                                   nwbtms readers
========================  ===========================================  ==========================
``TMSPulsesInterface``    a DAQ recording (+ stimulator log, navigator)  ``sources/daq``, ``pulses``
``StimulatorLogInterface``  a stimulator log alone                       ``sources/logs``
``NavigatorInterface``    a Localite or Brainsight export alone         ``sources/navigation``
``TMSMetadataInterface``  an nwbtms metadata file, no pulses            ``session`` + ``nwb``
``ROIAnnotationsInterface``  a Fiji ROI set or annotation CSV             ``sources/annotations``
========================  ===========================================  ==========================

The TMS metadata (devices, coordinate spaces, thresholds, protocols, targets, stimulation settings, cell
types, manipulations) is NeuroConv metadata under ``TMS``, in the sections of the nwbtms metadata file
(:mod:`nwbtms.neuroconv.schema`); ``metadata_file_path`` fills it (and ``NWBFile``, ``Subject``) from such a
file. At ``add_to_nwbfile`` the metadata and the source data become one nwbtms session, checked as
``nwbtms convert`` checks a metadata file (every problem at once), then built into the NWBFile.

Temporal alignment: the timestamps of a pulses interface are its pulse times on the session clock.
Aligned timestamps map every time derived from the pulse source (pulses, frame clock, scheduled times) by
piecewise-linear interpolation between pulses (a constant shift beyond the first and last), before sessions
are split and reconciled. The metadata interface's timestamps are the manipulation and threshold times.
Movies and segmentations stay with NeuroConv's interfaces (ScanImage, TIFF, Bruker, Suite2p), which cover
every movie format nwbtms reads (:func:`align_to_frame_clock` puts them on the DAQ clock through the frame clock
it recorded); hand annotations, which NeuroConv does not read, have their own interface.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nwbtms.neuroconv import require_neuroconv

require_neuroconv("nwbtms.neuroconv.interfaces")

from neuroconv.basedatainterface import BaseDataInterface  # noqa: E402
from neuroconv.basetemporalalignmentinterface import BaseTemporalAlignmentInterface  # noqa: E402
from neuroconv.utils import DeepDict  # noqa: E402
from pydantic import FilePath  # noqa: E402

from nwbtms.errors import InputError  # noqa: E402
from nwbtms.neuroconv.schema import SOURCE_KEYS, TMS_SECTIONS, tms_metadata_schema  # noqa: E402
from nwbtms.sources.registry import reader_names  # noqa: E402

#: NWBFile fields of an nwbtms metadata file that NeuroConv's ``NWBFile`` metadata also has.
_NWBFILE_FIELDS = ("session_description", "identifier", "session_id", "experimenter", "lab", "institution",
                   "experiment_description", "related_publications", "keywords", "notes", "pharmacology",
                   "surgery", "virus")
#: Subject fields shared by both.
_SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "date_of_birth", "genotype", "strain", "description",
                   "weight")
#: Stands in for an NWBFile without a subject when the TMS metadata is checked (never written).
_NO_SUBJECT = {"subject_id": "unknown", "species": "unknown", "sex": "U", "age": "P0D"}


def _suffixes(kind: str) -> tuple[str, ...]:
    """File suffixes of every registered reader of ``kind`` (:mod:`nwbtms.sources.registry`)."""
    from nwbtms.sources.registry import readers

    return tuple(dict.fromkeys(suffix for cls in readers(kind) for suffix in cls.suffixes))


#: Reader names of the registry, by kind: the choices of the interfaces' ``reader`` arguments.
DaqReader = Literal[reader_names("daq")]
NavigatorReader = Literal[reader_names("navigator")]
AnnotationsReader = Literal[reader_names("annotations")]


def _read_metadata_file(path: Path | None) -> dict:
    if path is None:
        return {}
    from nwbtms.metadata.load import read_metadata

    data, _ = read_metadata(path)
    return data


def _time_map(original: np.ndarray, aligned: np.ndarray):
    """Session-clock times -> aligned times: interpolated between pulses, shifted beyond the ends."""
    if original.size == 0:
        return lambda t: np.asarray(t, dtype=np.float64)
    first, last = aligned[0] - original[0], aligned[-1] - original[-1]

    def mapped(times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64)
        out = np.interp(times, original, aligned)
        out = np.where(times < original[0], times + first, out)
        return np.where(times > original[-1], times + last, out)

    return mapped


class _TMSInterface(BaseTemporalAlignmentInterface):
    """What the TMS interfaces share: TMS metadata under ``TMS`` and the nwbtms session they build."""

    keywords = ("TMS", "transcranial magnetic stimulation", "nwbtms")
    #: nwbtms ``reader`` of the pulse source (None: no pulses).
    pulses_reader: str | None = None

    def __init__(self, *, metadata_file_path: FilePath | None = None, verbose: bool = False, **source_data):
        super().__init__(verbose=verbose, metadata_file_path=metadata_file_path, **source_data)
        self._metadata_file = None if metadata_file_path is None else Path(metadata_file_path)
        self._file_data = _read_metadata_file(self._metadata_file)
        self._aligned: np.ndarray | None = None
        self._original: np.ndarray | None = None
        self._read: tuple[tuple, Any] | None = None  # (settings and alignment, StimulationData)

    # -- metadata ---------------------------------------------------------------------------------------------
    def get_metadata_schema(self) -> dict:
        schema = super().get_metadata_schema()
        schema["properties"]["TMS"] = tms_metadata_schema()
        return schema

    def get_metadata(self) -> DeepDict:
        metadata = super().get_metadata()
        nwbfile = self._file_data.get("nwbfile") or {}
        for name in _NWBFILE_FIELDS:
            if name in nwbfile:
                metadata["NWBFile"][name] = copy.deepcopy(nwbfile[name])
        if isinstance(nwbfile.get("session_start_time"), str):
            from nwbtms.metadata.model import parse_datetime

            try:
                metadata["NWBFile"]["session_start_time"] = parse_datetime(nwbfile["session_start_time"])
            except ValueError:
                pass  # reported with its line when the session is checked
        subject = self._file_data.get("subject") or {}
        if subject:
            metadata["Subject"] = {k: copy.deepcopy(subject[k]) for k in _SUBJECT_FIELDS if k in subject}
        tms = {name: copy.deepcopy(self._file_data[name]) for name in TMS_SECTIONS if name in self._file_data}
        if isinstance(tms.get("stimulation"), dict):
            for key in SOURCE_KEYS:
                tms["stimulation"].pop(key, None)
        metadata["TMS"] = tms
        return metadata

    # -- the nwbtms session -----------------------------------------------------------------------------------
    def _sources(self) -> dict[str, dict]:
        """Metadata-file ``sources`` entries of this interface's files (absolute paths)."""
        return {}

    def _stimulation_keys(self) -> dict[str, str]:
        """``stimulation`` keys naming this interface's sources."""
        return {}

    def _session(self, metadata: dict, nwbfile=None):
        """One nwbtms Session from NeuroConv metadata (``NWBFile``, ``Subject``, ``TMS``) and the source data."""
        from nwbtms.metadata.load import load_session

        tms = copy.deepcopy(dict(metadata.get("TMS") or {}))
        fields = dict(metadata.get("NWBFile") or {})
        start = nwbfile.session_start_time if nwbfile is not None else fields.get("session_start_time")
        if start is None:
            raise InputError("NWBFile.session_start_time is missing from the metadata",
                             field="NWBFile/session_start_time", hint="set metadata['NWBFile']['session_start_time']")
        if isinstance(start, dt.datetime) and start.tzinfo is None:
            start = start.astimezone()
        description = (nwbfile.session_description if nwbfile is not None else fields.get("session_description"))
        session_id = (nwbfile.session_id if nwbfile is not None else fields.get("session_id")) or "neuroconv"
        data: dict[str, Any] = {
            "format_version": 1,
            "allow_absolute_paths": True,
            "nwbfile": {"session_description": description or "TMS session", "session_id": session_id,
                        "session_start_time": start.isoformat() if isinstance(start, dt.datetime) else str(start)},
            "subject": self._subject(metadata, nwbfile),
            "devices": {},
            **{name: value for name, value in tms.items() if name in TMS_SECTIONS},
            "sources": self._sources(),
        }
        if self.pulses_reader is None:
            data.pop("stimulation", None)
        elif "stimulation" in data:
            data["stimulation"] = {**data["stimulation"], **self._stimulation_keys()}
        else:
            raise InputError(f"{type(self).__name__} needs metadata['TMS']['stimulation'] (protocol, target, coil)",
                             field="TMS/stimulation",
                             hint="pass metadata_file_path=<nwbtms session.yaml> or fill metadata['TMS']")
        base = self._metadata_file.parent if self._metadata_file is not None else None
        return load_session(data, base_dir=base)

    @staticmethod
    def _subject(metadata: dict, nwbfile) -> dict:
        subject = dict(metadata.get("Subject") or {})
        values = {k: subject[k] for k in _SUBJECT_FIELDS if k in subject and subject[k] is not None}
        if all(k in values for k in ("subject_id", "species", "sex")) and ("age" in values
                                                                           or "date_of_birth" in values):
            values["subject_id"] = str(values["subject_id"])
            if isinstance(values.get("date_of_birth"), dt.datetime):
                values["date_of_birth"] = values["date_of_birth"].isoformat()
            return values
        return dict(_NO_SUBJECT)

    def _add(self, nwbfile, metadata: dict, *, with_pulses: bool) -> None:
        """Devices (those not in the file yet), TMS metadata and, with pulses, the pulse tables."""
        from ndx_tms import TMSExperimentMetadata

        from nwbtms.assembly.assemble import AssembledSession, add_tms_content
        from nwbtms.assembly.entries import device_entries
        from nwbtms.nwb.session import add_devices

        if any(isinstance(m, TMSExperimentMetadata) for m in nwbfile.lab_meta_data.values()):
            raise InputError(f"{type(self).__name__}: the NWBFile already holds TMS metadata (another nwbtms "
                             "interface added it)",
                             hint="use one nwbtms TMS interface per file: the pulses interfaces add the TMS "
                                  "metadata too")
        metadata = copy.deepcopy(dict(metadata))
        session = self._session(metadata, nwbfile)
        missing = {k: v for k, v in session.section("devices").items() if k not in nwbfile.devices}
        add_devices(nwbfile, device_entries(session, missing))
        stimulation = self._stimulation(session) if with_pulses else None
        add_tms_content(session, nwbfile, AssembledSession(nwbfile=nwbfile), stimulation=stimulation,
                        with_pulses=with_pulses)

    def _stimulation(self, session):
        """The session's pulses on the aligned clock (read once per settings and alignment)."""
        from nwbtms.assembly.stimulation import read_stimulation

        original = self.get_original_timestamps()
        key = (json.dumps(session.data, sort_keys=True, default=str),
               None if self._aligned is None else self._aligned.tobytes())
        if self._read is None or self._read[0] != key:
            time_map = None if self._aligned is None else _time_map(original, self._aligned)
            self._read = (key, read_stimulation(session, time_map=time_map))
        return self._read[1]

    # -- temporal alignment -----------------------------------------------------------------------------------
    def get_timestamps(self) -> np.ndarray:
        return self.get_original_timestamps() if self._aligned is None else self._aligned.copy()

    def set_aligned_timestamps(self, aligned_timestamps: np.ndarray) -> None:
        aligned = np.asarray(aligned_timestamps, dtype=np.float64)
        expected = self.get_original_timestamps().shape
        if aligned.shape != expected:
            raise InputError(f"{type(self).__name__}: {aligned.size} aligned timestamps for {expected[0]} "
                             "original ones", field="aligned_timestamps",
                             hint="give one aligned time per original timestamp")
        self._aligned = aligned.copy()


class _PulsesInterface(_TMSInterface):
    """Pulses of one source with the TMS metadata; see the module docstring."""

    def get_original_timestamps(self) -> np.ndarray:
        """Pulse times on the session clock (as ``nwbtms convert`` writes them), s."""
        if self._original is None:
            from nwbtms.assembly.stimulation import read_stimulation

            session = self._session(self.get_metadata())
            stimulation = read_stimulation(session)
            self._original = np.asarray(stimulation.times_s, dtype=np.float64)
            self._read = ((json.dumps(session.data, sort_keys=True, default=str), None), stimulation)
        return self._original.copy()

    def add_to_nwbfile(self, nwbfile, metadata: dict | None = None) -> None:
        """Add TMS devices, metadata tables, pulses, stimulation sessions and their reconciliation.

        Parameters
        ----------
        nwbfile : pynwb.NWBFile
        metadata : dict, optional
            NeuroConv metadata with ``TMS`` (default: :meth:`get_metadata`).
        """
        self._add(nwbfile, self.get_metadata() if metadata is None else metadata, with_pulses=True)


class TMSPulsesInterface(_PulsesInterface):
    """TMS pulses detected on a DAQ trigger channel, merged with a stimulator log and a navigator export."""

    display_name = "TMS pulses (nwbtms)"
    associated_suffixes = _suffixes("daq")
    info = "Delivered TMS pulses from the stimulator trigger on a DAQ recording, as ndx-tms tables."
    pulses_reader = "daq"

    def __init__(
        self,
        file_path: FilePath,
        trigger_channel: str,
        reader: DaqReader | None = None,
        frame_clock_channel: str | None = None,
        reader_options: dict | None = None,
        stimulator_log_file_path: FilePath | None = None,
        stimulator_log_options: dict | None = None,
        navigator_file_path: FilePath | None = None,
        navigator_reader: NavigatorReader | None = None,
        metadata_file_path: FilePath | None = None,
        verbose: bool = False,
    ):
        """
        Parameters
        ----------
        file_path : FilePath
            The DAQ recording (WaveSurfer .h5, TDMS, ABF, Open Ephys, raw binary or CSV, Bruker VoltageRecording).
        trigger_channel : str
            DAQ channel with the stimulator's trigger-out TTL (the pulse times).
        reader : str, optional
            nwbtms DAQ reader; recognised from the file when not given.
        frame_clock_channel : str, optional
            DAQ channel with the imaging frame clock (for aligning imaging interfaces).
        reader_options : dict, optional
            Further options of the DAQ source (thresholds, polarity, reader options).
        stimulator_log_file_path : FilePath, optional
            Stimulator log (intensity, dI/dt, temperature per pulse).
        stimulator_log_options : dict, optional
            ``column_map``, ``time_unit`` of the log.
        navigator_file_path : FilePath, optional
            Localite trigger markers or a Brainsight export (coil pose per pulse).
        navigator_reader : {"localite", "brainsight"}, optional
            Required with ``navigator_file_path``.
        metadata_file_path : FilePath, optional
            An nwbtms metadata file (session.yaml) giving the TMS metadata (and NWBFile, Subject).
        verbose : bool
        """
        if navigator_file_path is not None and navigator_reader is None:
            raise InputError("navigator_file_path needs navigator_reader ('localite' or 'brainsight')",
                             file=navigator_file_path, field="navigator_reader")
        super().__init__(file_path=file_path, trigger_channel=trigger_channel, reader=reader,
                         frame_clock_channel=frame_clock_channel, reader_options=reader_options,
                         stimulator_log_file_path=stimulator_log_file_path,
                         stimulator_log_options=stimulator_log_options, navigator_file_path=navigator_file_path,
                         navigator_reader=navigator_reader, metadata_file_path=metadata_file_path, verbose=verbose)

    def _daq_reader(self) -> str:
        from nwbtms.sources.daq.dispatch import guess_format

        return self.source_data.get("reader") or guess_format(Path(self.source_data["file_path"]))

    def _sources(self) -> dict[str, dict]:
        sd = self.source_data
        options = {**(sd.get("reader_options") or {}), "trigger_channel": sd["trigger_channel"]}
        if sd.get("frame_clock_channel"):
            options["frame_clock_channel"] = sd["frame_clock_channel"]
        sources = {"daq": {"reader": self._daq_reader(), "path": str(Path(sd["file_path"]).resolve()),
                           "options": options}}
        if sd.get("stimulator_log_file_path"):
            sources["stimulator_log"] = {"reader": "stimulator_log",
                                         "path": str(Path(sd["stimulator_log_file_path"]).resolve()),
                                         "options": dict(sd.get("stimulator_log_options") or {})}
        if sd.get("navigator_file_path"):
            sources["navigator"] = {"reader": sd["navigator_reader"],
                                    "path": str(Path(sd["navigator_file_path"]).resolve())}
        return sources

    def _stimulation_keys(self) -> dict[str, str]:
        keys = {"pulses_from": "daq"}
        if self.source_data.get("stimulator_log_file_path"):
            keys["stimulator_log"] = "stimulator_log"
        if self.source_data.get("navigator_file_path"):
            keys["navigator"] = "navigator"
        return keys

    def get_frame_clock_times(self) -> np.ndarray:
        """Frame-clock edges on the DAQ (session clock, aligned like the pulses), s: the imaging frame times.

        Raises
        ------
        InputError
            The interface was given no ``frame_clock_channel``.
        """
        if not self.source_data.get("frame_clock_channel"):
            raise InputError("no frame_clock_channel was given", field="frame_clock_channel",
                             hint="pass frame_clock_channel=<DAQ channel of the imaging frame clock>")
        stimulation = self._stimulation(self._session(self.get_metadata()))
        return np.asarray(stimulation.frame_clock_s, dtype=np.float64)


def align_to_frame_clock(pulses: TMSPulsesInterface, *interfaces) -> list:
    """Put NeuroConv imaging and segmentation interfaces on the DAQ (session) clock, as ``nwbtms convert`` does.

    Each interface's own frame times are matched to the frame-clock edges the DAQ recorded and mapped through
    the fitted offset and drift (:func:`nwbtms.imaging.clock.fit_clock`, which copes with edges missing on
    either side), then set with ``set_aligned_timestamps``.

    Parameters
    ----------
    pulses : TMSPulsesInterface
        Given a ``frame_clock_channel``.
    *interfaces
        NeuroConv interfaces with ``get_original_timestamps``/``set_aligned_timestamps`` (e.g. ScanImage
        imaging, Suite2p segmentation of the same frames).

    Returns
    -------
    list of ClockFit
        One fit per interface (``describe()`` says offset, drift and residuals).
    """
    from nwbtms.imaging.clock import fit_clock, to_session_clock

    edges = pulses.get_frame_clock_times()
    fits = []
    for interface in interfaces:
        own = np.asarray(interface.get_original_timestamps(), dtype=np.float64)
        fit = fit_clock(own, edges)
        interface.set_aligned_timestamps(np.asarray(to_session_clock(own, fit), dtype=np.float64))
        fits.append(fit)
    return fits


class StimulatorLogInterface(_PulsesInterface):
    """TMS pulses from a stimulator log alone (its timestamps; a rig without a DAQ recording)."""

    display_name = "TMS stimulator log (nwbtms)"
    associated_suffixes = _suffixes("stimulator_log")
    info = "Delivered TMS pulses with intensity, dI/dt and temperature from a stimulator log."
    pulses_reader = "stimulator_log"

    def __init__(self, file_path: FilePath, column_map: dict | None = None, time_unit: str = "s",
                 metadata_file_path: FilePath | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : FilePath
            The stimulator log (CSV/TSV/JSON lines).
        column_map : dict, optional
            Log column for each documented field, when the names differ.
        time_unit : str
            Unit of the time column (``s``, ``ms``, ``us``).
        metadata_file_path : FilePath, optional
            An nwbtms metadata file giving the TMS metadata (and NWBFile, Subject).
        verbose : bool
        """
        super().__init__(file_path=file_path, column_map=column_map, time_unit=time_unit,
                         metadata_file_path=metadata_file_path, verbose=verbose)

    def _sources(self) -> dict[str, dict]:
        options = {"time_unit": self.source_data["time_unit"]}
        if self.source_data.get("column_map"):
            options["column_map"] = dict(self.source_data["column_map"])
        return {"stimulator_log": {"reader": "stimulator_log", "options": options,
                                   "path": str(Path(self.source_data["file_path"]).resolve())}}

    def _stimulation_keys(self) -> dict[str, str]:
        return {"pulses_from": "stimulator_log"}


class NavigatorInterface(_PulsesInterface):
    """TMS pulses with coil poses from a neuronavigator export alone (Localite or Brainsight)."""

    display_name = "TMS neuronavigator export (nwbtms)"
    associated_suffixes = _suffixes("navigator")
    info = "Delivered TMS pulses with coil position and orientation from a Localite or Brainsight export."
    pulses_reader = "navigator"

    def __init__(self, file_path: FilePath, reader: NavigatorReader,
                 metadata_file_path: FilePath | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : FilePath
            Localite ``TriggerMarkers_*.xml`` or a Brainsight export ``.txt``.
        reader : {"localite", "brainsight"}
        metadata_file_path : FilePath, optional
            An nwbtms metadata file giving the TMS metadata (and NWBFile, Subject).
        verbose : bool
        """
        super().__init__(file_path=file_path, reader=reader, metadata_file_path=metadata_file_path,
                         verbose=verbose)

    def _sources(self) -> dict[str, dict]:
        return {"navigator": {"reader": self.source_data["reader"],
                              "path": str(Path(self.source_data["file_path"]).resolve())}}

    def _stimulation_keys(self) -> dict[str, str]:
        return {"pulses_from": "navigator"}


#: (section, field) of the metadata interface's timestamps, in this order, per entry in key order.
_TIMED_FIELDS = (("manipulations", "time_s"), ("thresholds", "time_measured_in_s"))


class TMSMetadataInterface(_TMSInterface):
    """The TMS metadata of a session without pulses: devices, coordinate spaces, thresholds, protocols,
    targets, cell types, manipulations, adverse events."""

    display_name = "TMS metadata (nwbtms)"
    associated_suffixes = (".yaml", ".yml", ".json")
    info = "TMS devices, protocols, targets, thresholds and cell types from an nwbtms metadata file."

    def __init__(self, file_path: FilePath, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : FilePath
            An nwbtms metadata file (schemas/session.schema.json); its sources and imaging planes are not read.
        verbose : bool
        """
        super().__init__(metadata_file_path=file_path, verbose=verbose)
        self.source_data = {"file_path": file_path}

    @staticmethod
    def _timed(tms: dict) -> list[tuple[str, str, str]]:
        return [(section, key, field) for section, field in _TIMED_FIELDS
                for key, entry in (tms.get(section) or {}).items()
                if isinstance(entry, dict) and isinstance(entry.get(field), int | float)]

    def get_original_timestamps(self) -> np.ndarray:
        """Manipulation times, then threshold measurement times, relative to session start, s."""
        tms = self.get_metadata()["TMS"]
        return np.array([tms[s][k][f] for s, k, f in self._timed(tms)], dtype=np.float64)

    def add_to_nwbfile(self, nwbfile, metadata: dict | None = None) -> None:
        """Add TMS devices and the TMS metadata tables (no pulses).

        Parameters
        ----------
        nwbfile : pynwb.NWBFile
        metadata : dict, optional
            NeuroConv metadata with ``TMS`` (default: :meth:`get_metadata`).
        """
        metadata = copy.deepcopy(dict(self.get_metadata() if metadata is None else metadata))
        if self._aligned is not None:
            tms = metadata.setdefault("TMS", {})
            timed = self._timed(tms)
            if len(timed) != self._aligned.size:
                raise InputError(f"metadata['TMS'] holds {len(timed)} timed entries but {self._aligned.size} "
                                 "aligned timestamps were set", field="TMS",
                                 hint="align after editing the metadata, or keep the timed entries")
            for (section, key, field), value in zip(timed, self._aligned, strict=True):
                tms[section][key][field] = float(value)
        self._add(nwbfile, metadata, with_pulses=False)


class ROIAnnotationsInterface(BaseDataInterface):
    """Hand-annotated somata, dendrites and spines (Fiji/ImageJ ROI set or the annotation CSV) as a
    PlaneSegmentation with ``roi_kind``, ``parent_roi``, ``roi_key``, dendrite lengths and cell types.

    NeuroConv has no reader for these. The ROIs go on the file's ImagingPlane (the one an imaging interface
    added, or ``metadata['ROIAnnotations']['imaging_plane']``; one is created from that entry when the file
    has none) and link to the annotated volume when ``volume`` names a series in the file. Cell types come
    from the TMS metadata a TMS interface added. Annotations carry no time, so there is nothing to align.
    """

    display_name = "ROI annotations (nwbtms)"
    keywords = ("ROI", "spines", "dendrites", "ImageJ", "Fiji", "nwbtms")
    associated_suffixes = _suffixes("annotations")
    info = "Hand-annotated somata, dendrites and spines from a Fiji/ImageJ ROI set or an annotation CSV."

    def __init__(self, file_path: FilePath, reader: AnnotationsReader | None = None,
                 pixel_size_um: list[float] | None = None, z_step_um: float | None = None,
                 cell_type: str | None = None, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : FilePath
            ``RoiSet.zip`` / ``.roi`` (ImageJ) or an annotation ``.csv``.
        reader : {"imagej_rois", "annotation_csv"}, optional
            Recognised by suffix when not given.
        pixel_size_um : list of float, optional
            ``[row, column]`` micrometres per pixel (ImageJ coordinates are pixels).
        z_step_um : float, optional
            Micrometres between slices (ImageJ slice positions).
        cell_type : str, optional
            Cell type label (a ``label`` of the TMS metadata's cell types) of every ROI the file leaves without one.
        verbose : bool
        """
        super().__init__(verbose=verbose, file_path=file_path, reader=reader, pixel_size_um=pixel_size_um,
                         z_step_um=z_step_um, cell_type=cell_type)

    def read(self):
        """The :class:`~nwbtms.sources.annotations.AnnotationSet` of the file."""
        from nwbtms.sources.annotations import detect_annotation_reader, open_annotations

        sd = self.source_data
        reader = sd.get("reader") or detect_annotation_reader(sd["file_path"])
        options = {}
        if reader == "imagej_rois":
            if sd.get("pixel_size_um"):
                options["pixel_size_um"] = tuple(float(v) for v in sd["pixel_size_um"])
            if sd.get("z_step_um"):
                options["z_step_um"] = float(sd["z_step_um"])
        return open_annotations(sd["file_path"], reader=reader, **options)

    def get_metadata_schema(self) -> dict:
        schema = super().get_metadata_schema()
        schema["properties"]["ROIAnnotations"] = {
            "type": "object", "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "volume": {"type": "string", "description": "Acquisition series the ROIs were scored on."},
                "imaging_plane": {
                    "type": "object", "additionalProperties": False, "required": ["name"],
                    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                                   "indicator": {"type": "string"}, "location": {"type": "string"},
                                   "excitation_lambda": {"type": "number"}, "device": {"type": "string"}}},
            },
        }
        return schema

    def get_metadata(self) -> DeepDict:
        metadata = super().get_metadata()
        metadata["ROIAnnotations"] = {
            "name": "PlaneSegmentation_annotations",
            "imaging_plane": {"name": "ImagingPlane", "description": "Imaging plane of the annotated stack.",
                              "indicator": "unknown", "location": "unknown", "excitation_lambda": float("nan"),
                              "device": "Microscope"},
        }
        return metadata

    def _imaging_plane(self, nwbfile, entry: dict):
        planes = dict(nwbfile.imaging_planes)
        if entry["name"] in planes:
            return planes[entry["name"]]
        if len(planes) == 1:
            return next(iter(planes.values()))
        if planes:
            raise InputError(f"the file has {len(planes)} imaging planes and none is named {entry['name']!r}",
                             field="ROIAnnotations/imaging_plane/name", hint=f"use one of {sorted(planes)}")
        device = nwbfile.devices.get(entry.get("device", "Microscope")) or nwbfile.create_device(
            name=entry.get("device", "Microscope"), description="Microscope of the annotated stack.")
        from pynwb.ophys import OpticalChannel

        channel = OpticalChannel(name="channel0", description="Channel of the annotated stack.",
                                 emission_lambda=float("nan"))
        return nwbfile.create_imaging_plane(
            name=entry["name"], optical_channel=[channel], description=entry.get("description", ""), device=device,
            excitation_lambda=float(entry.get("excitation_lambda", float("nan"))),
            indicator=entry.get("indicator", "unknown"), location=entry.get("location", "unknown"))

    def add_to_nwbfile(self, nwbfile, metadata: dict | None = None) -> None:
        """Add the annotations as a PlaneSegmentation in ``processing/ophys``.

        Parameters
        ----------
        nwbfile : pynwb.NWBFile
        metadata : dict, optional
            NeuroConv metadata with ``ROIAnnotations`` (default: :meth:`get_metadata`).
        """
        from ndx_tms import TMSExperimentMetadata

        from nwbtms.nwb.segmentation import add_annotation_segmentation

        metadata = copy.deepcopy(dict(self.get_metadata() if metadata is None else metadata))
        entry = {**self.get_metadata()["ROIAnnotations"], **(metadata.get("ROIAnnotations") or {})}
        plane = self._imaging_plane(nwbfile, {**self.get_metadata()["ROIAnnotations"]["imaging_plane"],
                                              **(entry.get("imaging_plane") or {})})
        volume = nwbfile.acquisition.get(entry["volume"]) if entry.get("volume") else None
        tms = next((m for m in nwbfile.lab_meta_data.values() if isinstance(m, TMSExperimentMetadata)), None)
        sd = self.source_data
        if sd.get("cell_type") and tms is None:
            raise InputError("cell_type needs the TMS metadata's cell types, and the file has none",
                             field="cell_type", hint="add a TMS interface before this one, or drop cell_type")
        row_um, col_um = (sd.get("pixel_size_um") or (1.0, 1.0))[:2]
        add_annotation_segmentation(
            nwbfile, self.read(), imaging_plane=plane, volume=volume,
            voxel_size_um=(float(row_um), float(col_um), float(sd.get("z_step_um") or 1.0)),
            cell_types=getattr(tms, "cell_types", None), cell_type=sd.get("cell_type"), name=entry["name"],
            source=str(sd["file_path"]))


#: Each kind of the reader registry (:data:`nwbtms.sources.registry.KINDS`) -> the NeuroConv interface that reads
#: it in a NeuroConv conversion (``tests/neuroconv`` checks every kind is mapped, so a new kind needs a decision).
INTERFACE_FOR_KIND: dict[str, str] = {
    "daq": "nwbtms.neuroconv.TMSPulsesInterface",
    "stimulator_log": "nwbtms.neuroconv.StimulatorLogInterface",
    "navigator": "nwbtms.neuroconv.NavigatorInterface",
    "annotations": "nwbtms.neuroconv.ROIAnnotationsInterface",
    "imaging": "neuroconv ScanImageImagingInterface, TiffImagingInterface, BrukerTiffSinglePlaneImagingInterface",
    "segmentation": "neuroconv Suite2pSegmentationInterface",
    "roi_labels": "none: ROI labels apply to Suite2p ROIs inside nwbtms convert (NeuroConv's Suite2p has no hook)",
    "behavior": "none: behaviour scores are added by nwbtms convert (nwbtms/nwb/behavior.py)",
    "photometry": "none: fiber photometry is added by nwbtms convert (nwbtms/nwb/photometry.py); NeuroConv's own "
                  "fiber photometry interfaces (TDT, Doric) can be a reader: neuroconv source",
    "neuroconv": "the named NeuroConv interface itself",
}


__all__ = ["INTERFACE_FOR_KIND", "NavigatorInterface", "ROIAnnotationsInterface", "StimulatorLogInterface",
           "TMSMetadataInterface", "TMSPulsesInterface", "align_to_frame_clock"]
