"""The reader registry: every raw-file reader nwbtms has, declared on its own class.

Each reader is a :class:`Reader` subclass whose class attributes say what it reads (the model is NeuroConv's
``BaseDataInterface``: ``display_name``, ``associated_suffixes``, ``info``; and its ``datainterfaces``
listing). Everything that needs to know the readers derives from here: DAQ format guessing and
``open_recording`` (:mod:`nwbtms.sources.daq.dispatch`), ``nwbtms init``'s recognition of raw files, the keyed
references of the metadata file (which ``reader`` a ``stimulation.pulses_from`` may name, by kind), the CLI's
format choices, and the ``reader`` enum of ``schemas/session.schema.json`` (a test asserts it equals
:func:`reader_names`).

How to add a reader (one module plus its tests)
-----------------------------------------------
1. In its module under ``nwbtms/sources/<kind>/``, declare the class (a DAQ ``Recording`` subclass is
   already a :class:`Reader`; otherwise subclass :class:`Reader` and implement :meth:`Reader.open`)::

       class BrainsightReader(Reader):
           name = "brainsight"                      # the metadata file's `reader:` value, stable
           kind = "navigator"                       # one of KINDS
           display_name = "Brainsight export"
           suffixes = (".txt",)                     # lower case; () for a folder reader (folder = True)
           info = "Brainsight (Rogue Research) sample exports: pulses with coil poses."

           @classmethod
           def sniff(cls, path):                    # cheap: a few KB of the head; True only if it is one
               return head_text(path).startswith("# Version:") and "Brainsight" in head_text(path)

           @classmethod
           def open(cls, path):                     # its keyword arguments are the reader's options
               return read_brainsight(path)

2. Add one line to :data:`READERS` (name -> ``module:Class``; readers are imported only when used, so one
   reader's optional library cannot break another), and the name to the ``reader`` enum of
   ``schemas/session.schema.json``. ``tests/sources/test_registry.py`` checks both.
3. Its tests write real files with the format's own library (``nwbtms/sources/<kind>/testing.py``).

A new kind (e.g. ``photometry``) is one entry in :data:`KINDS`; the metadata file refers to sources by kind
(:mod:`nwbtms.metadata.keys`).
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from nwbtms.errors import InputError

#: kind -> what readers of that kind return (the session layer picks sources by kind).
KINDS: dict[str, str] = {
    "daq": "A DAQ recording (nwbtms.sources.daq.Recording): channels read lazily in physical units.",
    "stimulator_log": "A stimulator's per-pulse log (nwbtms.sources.logs.StimulatorLog).",
    "navigator": "Neuronavigation pulses with coil poses (nwbtms.sources.navigation.NavigatorPulses).",
    "imaging": "A two-photon movie (nwbtms.sources.imaging.ImagingSource): frames read lazily.",
    "segmentation": "ROIs and traces of a segmentation (nwbtms.sources.segmentation.Suite2pPlane).",
    "roi_labels": "Per-ROI labels: kind, parent, stable key, cell type (RoiLabels).",
    "annotations": "Hand-drawn ROIs: spines, dendrites, somata (nwbtms.sources.annotations.AnnotationSet).",
    "behavior": "Scored behaviour tests of subjects (nwbtms.sources.behavior.BehaviorScores).",
    "photometry": "A fiber photometry recording (nwbtms.sources.photometry.PhotometryRecording): streams read lazily.",
    "neuroconv": "Any NeuroConv data interface, which adds its own data to the NWB file (extra nwbtms[neuroconv]).",
}

#: reader name -> ``module:Class`` of its declaration, in recognition order (the first reader whose suffix
#: matches and whose sniff says yes recognises a file: specific formats before generic ones).
READERS: dict[str, str] = {
    "wavesurfer": "nwbtms.sources.daq.wavesurfer:WaveSurferRecording",
    "tdms": "nwbtms.sources.daq.tdms:TdmsRecording",
    "abf": "nwbtms.sources.daq.abf:AbfRecording",
    "openephys": "nwbtms.sources.daq.openephys:OpenEphysRecording",
    "binary": "nwbtms.sources.daq.generic:BinaryRecording",
    "behavior_csv": "nwbtms.sources.behavior.csv_table:BehaviorCsvReader",
    "ethovision": "nwbtms.sources.behavior.ethovision:EthoVisionReader",
    "ethovision_statistics": "nwbtms.sources.behavior.ethovision_statistics:EthoVisionStatisticsReader",
    "pyphotometry": "nwbtms.sources.photometry.pyphotometry:PyPhotometryReader",
    "doric": "nwbtms.sources.photometry.doric:DoricReader",
    "neurophotometrics": "nwbtms.sources.photometry.neurophotometrics:NeurophotometricsReader",
    "csv": "nwbtms.sources.daq.generic:CsvRecording",
    "bruker_voltage": "nwbtms.sources.daq.bruker_voltage:BrukerVoltageRecording",
    "brainsight": "nwbtms.sources.navigation.brainsight:BrainsightReader",
    "stimulator_log": "nwbtms.sources.logs.stimulator_log:StimulatorLogReader",
    "localite": "nwbtms.sources.navigation.localite:LocaliteReader",
    "scanimage": "nwbtms.sources.imaging.scanimage:ScanImageReader",
    "tiff": "nwbtms.sources.imaging.tiff:TiffReader",
    "bruker": "nwbtms.sources.imaging.bruker:BrukerReader",
    "suite2p": "nwbtms.sources.segmentation.suite2p:Suite2pReader",
    "roi_labels_csv": "nwbtms.sources.segmentation.roi_labels:RoiLabelsReader",
    "imagej_rois": "nwbtms.sources.annotations.imagej:ImageJRoisReader",
    "annotation_csv": "nwbtms.sources.annotations.csv_table:AnnotationCsvReader",
    "neuroconv": "nwbtms.neuroconv.sources:NeuroConvReader",
}


class Reader:
    """What a reader reads, declared as class attributes (subclass it; see the module docstring)."""

    #: the ``reader:`` value of a metadata file's source; stable
    name: ClassVar[str]
    #: one of :data:`KINDS`
    kind: ClassVar[str]
    #: for people (CLI listings, ``nwbtms inspect``)
    display_name: ClassVar[str]
    #: lower-case file suffixes it reads (with the dot); empty for a folder reader
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: True when the reader reads a folder (``sniff`` and ``open`` get the folder)
    folder: ClassVar[bool] = False
    #: one line: what it reads and where the format is documented
    info: ClassVar[str] = ""

    #: True when the reader adds its own data to the NWB file (a NeuroConv interface): the assembly then calls
    #: :meth:`check_sources` before anything is read and :meth:`add_sources` after nwbtms's own content
    adds_to_nwbfile: ClassVar[bool] = False

    @classmethod
    def check_sources(cls, sources: list, *, metadata_file: Path | None = None) -> None:
        """Raise one error listing every problem of these metadata sources (``Source`` objects of this reader),
        before anything is read (only readers that add to the NWB file; default: nothing to check)."""

    @classmethod
    def add_sources(cls, sources: list, nwbfile: Any, *, metadata_file: Path | None = None) -> list[str]:
        """Add the data of these metadata sources to ``nwbfile`` on the session clock (only readers that add to
        the NWB file); returns notes for the conversion summary."""
        raise NotImplementedError(f"the {cls.name} reader does not add to an NWB file")

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """Whether ``path`` is this format, from a cheap look at its content (default: cannot tell)."""
        return False

    @classmethod
    def source_path(cls, folder: Path) -> Path:
        """The path a metadata file names for a folder this folder reader recognised (default: the folder)."""
        return folder

    @classmethod
    def select(cls, paths: list[Path]) -> list[Path]:
        """Of the files of one folder this reader recognised, those that are sources (default: all; e.g. the
        last save of each Localite recording)."""
        return paths

    @classmethod
    def open(cls, path: Any, **options: Any) -> Any:
        """Open or read ``path`` (default: the class itself opens it); keyword arguments are its options."""
        return cls(path, **options)

    @classmethod
    def options(cls) -> tuple[str, ...]:
        """The options the reader takes: the keyword parameters of :meth:`open` (of the class's constructor
        when ``open`` is the default). A reader whose ``open`` passes ``**options`` on overrides this with
        :func:`keyword_options` of the function it calls."""
        target = cls.__init__ if cls.open.__func__ is Reader.open.__func__ else cls.open
        return keyword_options(target)

    @classmethod
    def matches_suffix(cls, path: Path) -> bool:
        """Whether ``path`` has one of the reader's suffixes (a folder: whether this is a folder reader)."""
        if path.is_dir():
            return cls.folder
        return path.suffix.lower() in cls.suffixes


@cache
def reader(name: str) -> type[Reader]:
    """The reader class registered as ``name``.

    Raises
    ------
    InputError
        No reader of that name.
    """
    if name not in READERS:
        raise InputError(f"unknown reader {name!r}", field="reader", hint=f"use one of {', '.join(READERS)}")
    module_name, class_name = READERS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def reader_names(kind: str | None = None) -> tuple[str, ...]:
    """Registered reader names (of one ``kind``), in registration order."""
    if kind is None:
        return tuple(READERS)
    if kind not in KINDS:
        raise InputError(f"unknown reader kind {kind!r}", field="kind", hint=f"use one of {', '.join(KINDS)}")
    return tuple(name for name in READERS if reader(name).kind == kind)


def readers(kind: str | None = None) -> list[type[Reader]]:
    """Registered reader classes (of one ``kind``), in registration order."""
    return [reader(name) for name in reader_names(kind)]


def recognise(path: str | Path, *, kind: str | None = None) -> type[Reader] | None:
    """The first reader (of ``kind``) whose suffix matches ``path`` and whose sniff recognises its content."""
    path = Path(path)
    for cls in readers(kind):
        if cls.matches_suffix(path) and cls.sniff(path):
            return cls
    return None


def open_source(name: str, path: Any, **options: Any) -> Any:
    """Read ``path`` with the reader ``name`` and its ``options``.

    Raises
    ------
    InputError
        Unknown reader, or an option the reader does not take.
    """
    cls = reader(name)
    accepted = cls.options()
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(f"option(s) {', '.join(unknown)} not understood by the {name} reader",
                         file=path if isinstance(path, str | Path) else None, field=unknown[0],
                         hint=f"it accepts: {', '.join(accepted) or 'no options'}")
    return cls.open(path, **options)


def keyword_options(function) -> tuple[str, ...]:
    """Names of the parameters of ``function`` after its first (the path), ``**kwargs`` excluded."""
    parameters = [p for p in inspect.signature(function).parameters.values()
                  if p.name not in ("self", "cls") and p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL]
    return tuple(p.name for p in parameters[1:])


def head_bytes(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of ``path`` (empty when unreadable): what a sniff may look at."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def head_text(path: Path, size: int = 4096) -> str:
    """:func:`head_bytes` decoded as UTF-8 (undecodable bytes replaced)."""
    return head_bytes(path, size).decode("utf-8", errors="replace")
