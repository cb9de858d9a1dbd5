"""The catalogue of nwbtms checks: stable IDs, default severity, step, profile and fix hint.

Check IDs are dotted, lowercase and stable (``<area>.<subject>.<problem>``), e.g. ``tms.pulses.ascending``.
Areas: ``file`` (step 1), ``nwb`` (steps 2-3), ``inspector`` (step 4: ``inspector.<NWB Inspector check
function name>``), ``dandi`` (step 5), ``tms`` (step 6), ``data`` (step 7), ``report`` (step 8). An ID is
never reused for a different meaning; a retired check keeps its ID reserved.

Check functions yield :class:`Hit` records; the runner turns them into :class:`Finding` s with the file,
the severity (after configuration) and the hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from nwbtms.validate.findings import Severity

PROFILES = ("dandi", "tms")


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
           profiles: tuple[str, ...] = PROFILES, fast: bool = True) -> CheckInfo:
    """Add a check to :data:`CHECKS` and return it (IDs must be unique)."""
    if check_id in CHECKS:
        raise ValueError(f"check ID {check_id!r} defined twice")
    info = CheckInfo(check_id, severity, step, summary, hint, profiles, fast)
    CHECKS[check_id] = info
    return info


E, C, V, S, INFO = (Severity.ERROR, Severity.CRITICAL, Severity.BEST_PRACTICE_VIOLATION,
                 Severity.BEST_PRACTICE_SUGGESTION, Severity.INFO)
TMS_ONLY = ("tms",)

# --------------------------------------------------------------------------- step 1: readable
FILE_READABLE = define("file.readable", E, 1, "The file exists, has the HDF5 signature and opens.",
                       "Re-export or re-convert the file; a truncated copy must be copied again.")
# --------------------------------------------------------------------------- steps 2-3: NWB
NWB_OPEN = define("nwb.open", E, 2, "pynwb can open the HDF5 file as NWB.",
                  "Write the file with pynwb (NWBHDF5IO) so it carries nwb_version and cached specifications.")
NWB_NAMESPACE_UNCACHED = define(
    "nwb.namespaces.uncached", C, 2, "Every namespace used by a neurodata type is cached in the file.",
    "Write with cache_spec=True (the default) from a process that imported the extension.")
NWB_NAMESPACE_UNUSED = define(
    "nwb.namespaces.unused", S, 2, "No extension namespace is cached without being used.",
    "Write from a process that imports only the extensions the file uses (pynwb issue 1777).")
NWB_NDX_TMS_VERSION = define("nwb.namespaces.ndx_tms_version", INFO, 2, "Reports the cached ndx-tms version.",
                             "Nothing to fix.")
NWB_SCHEMA = define("nwb.schema", E, 3, "pynwb validation against the cached namespaces.",
                    "Fix the object named in the location so it matches the NWB/extension schema.")
NWB_BUILD = define("nwb.build", E, 3, "pynwb can build the Python objects from the file.",
                   "Fix the object at the location for the reason given (nwb.schema findings of this file, if "
                   "any, name it too); the checks on built objects were skipped.")
# --------------------------------------------------------------------------- step 4: NWB Inspector
INSPECTOR = define("inspector.run", E, 4, "NWB Inspector ran on the objects read once.",
                   "Report the traceback; the inspector checks could not run.", fast=False)
INSPECTOR_CRASHED = define(
    "inspector.crashed", INFO, 4, "Notes an NWB Inspector check that failed on an object (the inspector's "
    "error, not the file's; never blocking).",
    "Nothing to fix in the file; report the message to NWB Inspector "
    "(github.com/NeurodataWithoutBorders/nwbinspector/issues).", fast=False)
# --------------------------------------------------------------------------- step 5: DANDI upload gate
DANDI_SUBJECT = define("dandi.subject", C, 5, "The file has a Subject.",
                       "Add a Subject (pynwb.file.Subject) with subject_id, species, sex and age.")
DANDI_SUBJECT_ID = define("dandi.subject_id", C, 5, "subject_id is given and has no '/'.",
                          "Set Subject.subject_id without slashes (it becomes the sub-<id> folder).")
DANDI_SPECIES = define("dandi.species", C, 5, "species is in DANDI's species map or an NCBITaxon IRI.",
                       "Use a Latin binomial DANDI knows (e.g. 'Mus musculus') or "
                       "'http://purl.obolibrary.org/obo/NCBITaxon_<id>'.")
DANDI_SEX = define("dandi.sex", C, 5, "sex is one of M, F, U, O.", "Set Subject.sex to M, F, U or O.")
DANDI_AGE = define("dandi.age", C, 5, "age is an ISO 8601 duration (or range) or date_of_birth is given.",
                   "Write age like 'P84D', 'P12W', a range 'P10W/P12W' or open 'P90Y/', or set date_of_birth.")
DANDI_SESSION_START = define("dandi.session_start_time", C, 5, "session_start_time carries a time zone.",
                             "Write session_start_time as a timezone-aware datetime.")
DANDI_SESSION_ID = define("dandi.session_id", C, 5, "session_id has no '/'.",
                          "Remove slashes from NWBFile.session_id.")
DANDI_EXTERNAL_LINKS = define("dandi.external_links", C, 5, "The file has no HDF5 external links.",
                              "Copy the linked data into the file (DANDI refuses external links).")
DANDI_IDENTIFIER_UNIQUE = define("dandi.identifier_unique", C, 5,
                                 "NWBFile.identifier is unique across the files validated together.",
                                 "Give each file its own identifier (uuid4).")
DANDI_FILE_NAME = define("dandi.file_name", V, 5,
                         "A DANDI-layout file name matches the subject and session inside the file.",
                         "Rename to sub-<subject_id>/sub-<subject_id>_ses-<session_id>_<modalities>.nwb "
                         "(dandi organize does this).")
# --------------------------------------------------------------------------- step 6: TMS semantics
TMS_METADATA = define("tms.metadata.present", INFO, 6, "Notes files without TMS metadata.", "Nothing to fix.",
                      profiles=TMS_ONLY)
TMS_OBJECTS_SKIPPED = define("tms.skipped", INFO, 6, "Notes TMS checks skipped because objects were not built.",
                             "Fix the nwb.build error first.")
TMS_PULSE_FINITE = define("tms.pulses.finite", C, 6, "Every pulse time is finite.",
                          "Remove or re-time pulses with NaN/inf times.")
TMS_PULSE_ASCENDING = define("tms.pulses.ascending", C, 6, "Pulse times never decrease.",
                             "Sort the pulses by time before writing (all columns together).")
TMS_PULSE_IN_SESSION = define("tms.pulses.in_session", C, 6,
                              "Pulses lie after session start and inside their stimulation session.",
                              "Check the clock alignment and the session_number of the pulses.")
TMS_PULSE_INTENSITY_RANGE = define("tms.pulses.intensity_range", C, 6, "Pulse intensities are within "
                                   "0-100 %MSO.", "Intensities are in %MSO (0-100); NaN when unknown.")
TMS_PULSE_INTENSITY_PROTOCOL = define(
    "tms.pulses.intensity_protocol", V, 6, "Pulse intensity agrees with its protocol's intensity in %MSO.",
    "Check the protocol row of these pulses, or the stimulator log used for the intensities.")
TMS_PROTOCOL_INTENSITY = define(
    "tms.protocols.intensity_consistent", C, 6,
    "intensity_in_percent_mso = threshold %MSO x intensity_value / 100 for relative intensities.",
    "Recompute intensity_in_percent_mso from the threshold row and the percent of threshold.")
TMS_PULSE_REFERENCES = define("tms.pulses.references", C, 6,
                              "Every pulse refers to an existing protocol, target and coil.",
                              "Fix the protocol/target row indices or the coil reference of these pulses.")
TMS_PULSE_ARTIFACT_WINDOW = define("tms.pulses.artifact_window", C, 6, "artifact_window_in_s has start <= stop.",
                                   "Write (start, stop) relative to the pulse, start <= stop.")
TMS_THRESHOLD_PRESENT = define("tms.thresholds.present", C, 6,
                               "Relative intensities refer to an existing threshold.",
                               "Add the thresholds table and the protocols' threshold column.")
TMS_POSE = define("tms.poses.valid", C, 6, "Coil poses are orthonormal, right-handed 4x4 matrices.",
                  "Re-export the pose in the matsimnibs convention (columns x, y, z, centre).")
TMS_COORDINATE_SPACE = define("tms.coordinates.space_declared", C, 6,
                              "A coordinate space is declared when coordinates exist.",
                              "Add a TMSCoordinateSpace and refer to it from the targets table.")
TMS_SESSION_COUNTS = define("tms.sessions.num_pulses", V, 6,
                            "Each session's num_pulses equals the pulses recorded for it.",
                            "Recount the pulses per session_number.")
TMS_RECONCILIATION_COUNTS = define("tms.reconciliation.counts", V, 6,
                                   "Reconciliation counts agree with the pulses table.",
                                   "Re-run the reconciliation after changing the pulses.")
TMS_RECONCILED = define("tms.protocols.reconciled", V, 6,
                        "Delivered pulses per session match the declared protocol or the discrepancy is recorded.",
                        "Record the discrepancy in the reconciliation table, or fix the protocol timing.",
                        fast=False)
TMS_RECONCILED_NOTE = define("tms.protocols.reconciled_note", INFO, 6,
                             "Notes recorded discrepancies and skipped reconciliations.", "Nothing to fix.",
                             fast=False)
TMS_ARTIFACT_MASK = define("tms.imaging.artifact_mask", V, 6,
                           "Imaging series overlapping pulses carry a TMSArtifactMask of matching length.",
                           "Add a TMSArtifactMask (ndx_tms) linked to the series.")
TMS_CELL_TYPES = define("tms.cell_types.terms", C, 6, "Cell Ontology IDs are well formed ('CL:' + 7 digits) "
                        "and cell_type columns point at existing rows.", "Write IDs like CL:4023008.")
# --------------------------------------------------------------------------- step 7: generic arrays
DATA_TIMESTAMPS_FINITE = define("data.timestamps.finite", C, 7, "Every timestamp is finite.",
                                "Replace NaN/inf timestamps; drop samples without a time.", fast=False)
DATA_TIMESTAMPS_ASCENDING = define("data.timestamps.ascending", C, 7, "Timestamps never decrease.",
                                   "Sort samples by time or fix the clock alignment.", fast=False)
DATA_TIMESTAMPS_REGULAR = define("data.timestamps.regular", V, 7,  # as NWB Inspector's check_regular_timestamps
                                 "Regularly sampled series use starting_time and rate instead of timestamps.",
                                 "Store starting_time and rate; drop the timestamps dataset.", fast=False)
DATA_INTERVALS = define("data.intervals.stop_after_start", C, 7, "TimeIntervals stop_time is after start_time "
                        "(CRITICAL before it, BEST_PRACTICE_VIOLATION equal to it).",
                        "Swap or fix the interval bounds.", fast=False)
# --------------------------------------------------------------------------- step 8: completeness
_R = dict(profiles=TMS_ONLY)
REPORT_STIMULATOR = define("report.stimulator_model", V, 8, "Stimulator and its model (manufacturer, model).",
                           "Add a TMSStimulator linked to a TMSStimulatorModel with manufacturer.", **_R)
REPORT_COIL = define("report.coil_model", V, 8, "Coil, its model and shape.",
                     "Add a TMSCoil linked to a TMSCoilModel with shape.", **_R)
REPORT_WAVEFORM = define("report.waveform", V, 8, "Waveform of every protocol.",
                         "Set protocols.waveform (monophasic, biphasic, half_sine, biphasic_burst).", **_R)
REPORT_PULSE_WIDTH = define("report.pulse_width", S, 8, "Pulse width of every protocol.",
                            "Set protocols.pulse_width_in_us from the stimulator manual.", **_R)
REPORT_CURRENT_DIRECTION = define("report.current_direction", V, 8, "Coil and induced current direction.",
                                  "Set coil_current_direction and induced_current_direction ('unknown' is "
                                  "an answer).", **_R)
REPORT_INTENSITY = define("report.intensity", V, 8, "Intensity and its reference for every protocol.",
                          "Set intensity_reference and intensity_value.", **_R)
REPORT_THRESHOLD = define("report.threshold", V, 8, "Threshold type, method and criterion when intensity is "
                          "relative.", "Fill threshold_type, method and criterion of the threshold row.", **_R)
REPORT_TARGET = define("report.target", V, 8, "Targets with label, atlas term and coil orientation.",
                       "Add the targets table with atlas_term and coil_pose or handle/tilt angles.", **_R)
REPORT_TIMING = define("report.protocol_timing", V, 8, "Protocol timing levels.",
                       "Give timing_level, timing_count and timing_interval_in_s for every protocol.", **_R)
REPORT_SHAM = define("report.sham_description", V, 8, "Sham description when a sham protocol exists.",
                     "Describe the sham in TMSExperimentMetadata.sham_description.", **_R)
REPORT_CELL_TYPES = define("report.cell_types_on_rois", S, 8, "ROIs carry cell-type terms.",
                           "Add a cell_type column with ndx_tms.add_cell_type_column.", **_R)

#: NWB Inspector checks that nwbtms replaces by a check over every element or by the DANDI gate; they are not
#: run through the inspector (it would read whole arrays or report the same problem twice). Each replacement
#: is at least as strict as the check it replaces under NWB Inspector's DANDI configuration (same or more
#: problems found, same or higher severity): tests/validate/test_dandi_strictness.py runs both on the same files.
REPLACED_INSPECTOR_CHECKS: dict[str, str] = {
    "check_timestamps_ascending": DATA_TIMESTAMPS_ASCENDING.id,
    "check_timestamps_without_nans": DATA_TIMESTAMPS_FINITE.id,
    "check_regular_timestamps": DATA_TIMESTAMPS_REGULAR.id,
    "check_time_intervals_stop_after_start": DATA_INTERVALS.id,
    "check_subject_exists": DANDI_SUBJECT.id,
    "check_subject_id_exists": DANDI_SUBJECT_ID.id,
    "check_subject_id_no_slashes": DANDI_SUBJECT_ID.id,
    "check_subject_sex": DANDI_SEX.id,
    "check_subject_species_exists": DANDI_SPECIES.id,
    "check_subject_species_form": DANDI_SPECIES.id,
    "check_subject_age": DANDI_AGE.id,
    "check_session_id_no_slashes": DANDI_SESSION_ID.id,
}


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
    return set(CHECKS) | set(inspector_check_ids())

#: A failure of the validator itself outside any one check (reported, never raised).
INTERNAL = define("validate.internal", E, 1, "The validator failed outside a check.",
                  "Report this as an nwbtms bug with the message.")
