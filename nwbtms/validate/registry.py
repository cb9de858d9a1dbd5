"""The catalogue of nwbtms checks: one decorator per check function, stable IDs, severity, step, profile, hint.

How to add a check (one module plus its test)
---------------------------------------------
1. In the module of its concern under ``nwbtms/validate/checks/`` (a new module is imported in
   ``checks/__init__.py``), define its ID with :func:`define` and decorate the function with
   :func:`register_check`, naming the neurodata type it inspects::

       TMS_PULSE_FINITE = define("tms.pulses.finite", Severity.CRITICAL, 6, "Every pulse time is finite.",
                                 "Remove or re-time pulses with NaN/inf times.", profiles=TMS_ONLY)

       @register_check(TMS_PULSE_FINITE, neurodata_type="TMSPulsesTable")
       def check_pulse_times_finite(pulses, *, chunk_elements: int = CHUNK_ELEMENTS) -> Iterator[Hit]:
           ...
           yield TMS_PULSE_FINITE.hit("3 of 90000 pulse(s): first at row 17", location=..., index=17, count=3)

2. Add its case to ``tests/validate/test_checks.py`` (``CASES``): an in-memory object (``ndx_tms.testing``
   mocks, or an in-memory HDF5 file for file-level checks) on which the check reports its ID.
   ``test_every_registered_check_has_a_case`` fails the suite for a check without one.

The runner (:mod:`nwbtms.validate.runner`) then runs it in its step, under its own guard, in every profile it
lists; the NWB Inspector plugin (:mod:`nwbtms.validate.inspector_plugin`) registers it with nwbinspector.

What a check function receives, by ``neurodata_type``:

- a type name (``"TMSPulsesTable"``, ``"TMSExperimentMetadata"``, ``"NWBFile"``, any class name in the object's
  MRO): called once per such object of the built file, ``fn(obj)``, plus ``chunk_elements=`` when its signature
  has that keyword (big arrays are read in slices: :mod:`nwbtms.validate.chunked`);
- ``None``: a file-level check, called once per file with the :class:`~nwbtms.validate.context.FileContext`
  (HDF5 handle, tree index, the objects when they could be built). Steps 1-5 and 7 read HDF5 this way, so they
  run even when pynwb cannot build the objects.

Steps 6 (TMS semantics) and 8 (reporting completeness) run only on files with ``TMSExperimentMetadata``.
Every registered function owns exactly one ID: an exception inside it becomes one ERROR finding under that ID
naming the function, and every other check still runs. Checks that find their problems in one pass over the
same data (every row of the pulses table, every timestamp of a series) share that pass without sharing a
guard: the pass is computed once per object and each function takes its own part
(:mod:`nwbtms.validate.checks._shared`; ``checks/pulses.py`` is the example). ``inspector.run`` is the one
function whose hits carry other IDs: each NWB Inspector check it runs reports as ``inspector.<name>``, each
under its own guard (:mod:`nwbtms.validate.checks.inspector`).

Check IDs are dotted, lowercase and stable (``<area>.<subject>.<problem>``), e.g. ``tms.pulses.ascending``.
Areas: ``file`` (step 1), ``nwb`` (steps 2-3), ``inspector`` (step 4: ``inspector.<NWB Inspector check
function name>``), ``dandi`` (step 5), ``tms`` (step 6), ``data`` (step 7), ``report`` (step 8). An ID is
never reused for a different meaning; a retired check keeps its ID reserved.

Check functions yield :class:`Hit` records; the runner turns them into :class:`Finding` s with the file,
the severity (after configuration) and the hint.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nwbtms.validate.findings import Severity

PROFILES = ("dandi", "tms")
TMS_ONLY = ("tms",)
#: The validator's steps, in the order they run (see :mod:`nwbtms.validate.runner`).
STEPS = (1, 2, 3, 4, 5, 6, 7, 8)
#: Steps that run only on files with TMSExperimentMetadata.
TMS_STEPS = frozenset({6, 8})

@dataclass(frozen=True)
class CheckInfo:
    """One check: its ID, default severity, step (1-8), profiles it runs in, summary and fix hint."""

    id: str
    severity: Severity
    step: int
    summary: str
    hint: str
    profiles: tuple[str, ...] = PROFILES
    fast: bool = True
    #: severities its hits may carry instead of ``severity`` (``Hit.severity``), e.g. a milder variant
    other_severities: tuple[Severity, ...] = ()

    @property
    def severities(self) -> tuple[Severity, ...]:
        """Every severity a hit of this check may have (its own first; ERROR for a crash is not listed)."""
        return (self.severity, *self.other_severities)

    def hit(self, message: str, *, location: str | None = None, index: int | None = None,
            hint: str | None = None, count: int | None = None, severity: Severity | None = None) -> Hit:
        """A :class:`Hit` of this check."""
        return Hit(self, message, location, index, hint, count, severity)


@dataclass(frozen=True)
class Hit:
    """A problem found by a check, before it is attached to a file and configured."""

    check: CheckInfo
    message: str
    location: str | None = None
    index: int | None = None
    hint: str | None = None
    count: int | None = None
    severity: Severity | None = None


CHECKS: dict[str, CheckInfo] = {}


def define(check_id: str, severity: Severity, step: int, summary: str, hint: str, *,
           profiles: tuple[str, ...] = PROFILES, fast: bool = True,
           other_severities: tuple[Severity, ...] = ()) -> CheckInfo:
    """Add a check to :data:`CHECKS` and return it (IDs must be unique); ``other_severities``: those its hits
    may carry instead of ``severity`` (the NWB Inspector plugin registers an importance for each)."""
    if check_id in CHECKS:
        raise ValueError(f"check ID {check_id!r} defined twice")
    info = CheckInfo(check_id, severity, step, summary, hint, profiles, fast, tuple(other_severities))
    CHECKS[check_id] = info
    return info



E, C, V, S, INFO = (Severity.ERROR, Severity.CRITICAL, Severity.BEST_PRACTICE_VIOLATION,
                 Severity.BEST_PRACTICE_SUGGESTION, Severity.INFO)

# The IDs the runner itself reports (opening, reading and building the file; across files); every other ID is
# defined beside its check function in nwbtms/validate/checks/.
FILE_READABLE = define("file.readable", E, 1, "The file exists, has the HDF5 signature and opens.",
                       "Re-export or re-convert the file; a truncated copy must be copied again.")
NWB_OPEN = define("nwb.open", E, 2, "pynwb can open the HDF5 file as NWB.",
                  "Write the file with pynwb (NWBHDF5IO) so it carries nwb_version and cached specifications.")
NWB_SCHEMA = define("nwb.schema", E, 3, "pynwb validation against the cached namespaces.",
                    "Fix the object named in the location so it matches the NWB/extension schema.")
NWB_BUILD = define("nwb.build", E, 3, "pynwb can build the Python objects from the file.",
                   "Fix the object at the location for the reason given (nwb.schema findings of this file, if "
                   "any, name it too); the checks on built objects were skipped.")
DANDI_IDENTIFIER_UNIQUE = define("dandi.identifier_unique", C, 5,
                                 "NWBFile.identifier is unique across the files validated together.",
                                 "Give each file its own identifier (uuid4).")
TMS_METADATA = define("tms.metadata.present", INFO, 6, "Notes files without TMS metadata.", "Nothing to fix.",
                      profiles=TMS_ONLY)
TMS_OBJECTS_SKIPPED = define("tms.skipped", INFO, 6, "Notes TMS checks skipped because objects were not built.",
                             "Fix the nwb.build error first.")
#: A failure of the validator itself outside any one check (reported, never raised).
INTERNAL = define("validate.internal", E, 1, "The validator failed outside a check.",
                  "Report this as an nwbtms bug with the message.")

#: NWB Inspector checks that nwbtms replaces by a check over every element or by the DANDI gate; they are not
#: run through the inspector (it would read whole arrays or report the same problem twice). Each replacement
#: is at least as strict as the check it replaces under NWB Inspector's DANDI configuration (same or more
#: problems found, same or higher severity): tests/validate/test_dandi_strictness.py runs both on the same files.
REPLACED_INSPECTOR_CHECKS: dict[str, str] = {
    "check_timestamps_ascending": "data.timestamps.ascending",
    "check_timestamps_without_nans": "data.timestamps.finite",
    "check_regular_timestamps": "data.timestamps.regular",
    "check_time_intervals_stop_after_start": "data.intervals.stop_after_start",
    "check_subject_exists": "dandi.subject",
    "check_subject_id_exists": "dandi.subject_id",
    "check_subject_id_no_slashes": "dandi.subject_id",
    "check_subject_sex": "dandi.sex",
    "check_subject_species_exists": "dandi.species",
    "check_subject_species_form": "dandi.species",
    "check_subject_age": "dandi.age",
    "check_session_id_no_slashes": "dandi.session_id",
}


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function with the one ID it reports, and the neurodata type it inspects."""

    function: Callable[..., Iterable[Hit]]
    #: the function's ID: its step, profiles and severity; its crashes are reported under it
    check: CheckInfo
    neurodata_type: str | tuple[str, ...] | None
    takes_chunk_elements: bool

    @property
    def neurodata_types(self) -> tuple[str, ...]:
        """The class names of the objects the function inspects (empty for a file-level check)."""
        if self.neurodata_type is None:
            return ()
        return (self.neurodata_type,) if isinstance(self.neurodata_type, str) else tuple(self.neurodata_type)

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def step(self) -> int:
        return self.check.step

    def runs_in(self, profile: str, *, fast: bool) -> bool:
        """Whether this check runs in ``profile`` (and in the converter's fast subset when ``fast``)."""
        return profile in self.check.profiles and (self.check.fast or not fast)

    def run(self, obj, *, chunk_elements: int | None = None) -> Iterator[Hit]:
        """The hits of the function on ``obj``; an exception becomes one ERROR hit of its own ID."""
        kwargs = {"chunk_elements": chunk_elements} if chunk_elements is not None and self.takes_chunk_elements \
            else {}
        return guarded(self.check, lambda: self.function(obj, **kwargs), name=self.name)


#: Every registered check function, in registration order (module import order of nwbtms.validate.checks).
REGISTERED: list[RegisteredCheck] = []


def register_check(check: CheckInfo, *also: CheckInfo, neurodata_type: str | tuple[str, ...] | None) -> Callable:
    """Register the decorated function as the check of ``check``, the one ID it reports.

    Parameters
    ----------
    check : CheckInfo
        The function's ID (from :func:`define`): its step, profiles, severity and hint; every hit of the
        function is of this ID, and a crash inside it is reported under it.
    neurodata_type : str, tuple of str, or None
        The class name of the objects the function inspects (matched against each object's MRO, so a base
        class covers its subclasses; several names for several classes), ``"NWBFile"`` for the file object,
        or None for a file-level check that takes the :class:`~nwbtms.validate.context.FileContext`.

    Raises
    ------
    ValueError
        More than one ID given (one function per ID: share a pass with
        :func:`nwbtms.validate.checks._shared.shared`), or the ID already has a function.
    """
    def decorate(function: Callable) -> Callable:
        if also:
            raise ValueError(f"{function.__name__}: one check function reports one ID, got "
                             f"{', '.join(c.id for c in (check, *also))}; give each ID its own function and share "
                             "the pass over the data (nwbtms.validate.checks._shared.shared)")
        if any(r.check.id == check.id for r in REGISTERED):
            raise ValueError(f"{function.__name__}: check ID {check.id!r} is already reported by another function")
        takes = "chunk_elements" in inspect.signature(function).parameters
        REGISTERED.append(RegisteredCheck(function, check, neurodata_type, takes))
        function.registered = REGISTERED[-1]
        return function

    return decorate


def guarded(owner: CheckInfo, run: Callable[[], Iterable[Hit]], *, name: str | None = None) -> Iterator[Hit]:
    """Yield the hits of ``run()``; an exception becomes one ERROR hit of ``owner``, never a traceback."""
    try:
        yield from run()
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{name} " if name else ""
        yield owner.hit(f"check {where}failed internally: {type(exc).__name__}: {exc} "
                        f"({Path(frame.filename).name}:{frame.lineno})", severity=Severity.ERROR,
                        hint="This is a validator bug or a file it cannot read; report it with this message.")


def load_checks() -> list[RegisteredCheck]:
    """Import every check module (registering its checks) and return the registered checks."""
    import nwbtms.validate.checks  # noqa: F401  (its __init__ imports every check module)

    return REGISTERED


def checks_of_step(step: int) -> list[RegisteredCheck]:
    """The registered checks of ``step``, in registration order."""
    return [r for r in load_checks() if r.step == step]


def all_checks() -> dict[str, CheckInfo]:
    """Every check ID (the runner's and the registered functions'), after loading the check modules."""
    load_checks()
    return CHECKS


def inspector_check_ids() -> dict[str, str]:
    """``inspector.<name>`` -> check function name for every NWB Inspector check not replaced by ours."""
    from nwbinspector import available_checks

    return {
        f"inspector.{c.__name__}": c.__name__
        for c in available_checks
        if c.__name__ not in REPLACED_INSPECTOR_CHECKS and not c.__module__.startswith("nwbtms")
    }


def known_check_ids() -> set[str]:
    """Every check ID a configuration may name."""
    return set(all_checks()) | set(inspector_check_ids())
