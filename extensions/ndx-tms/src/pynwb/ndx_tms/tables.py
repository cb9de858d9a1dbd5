"""TMS tables (thresholds, protocols, targets, pulses, sessions, reconciliation, adverse events, cell types),
coordinate spaces, registrations, and the ``TMSExperimentMetadata`` container.

Placement: pulses and adverse events go to ``nwbfile.events`` (``add_events_table``), stimulation sessions to
``nwbfile.intervals`` (``add_time_intervals``), everything else to ``TMSExperimentMetadata`` in ``/general/tms``.

``add_row`` on each table checks vocabularies and ranges and raises :class:`TMSValueError` with the field
and the fix. ``TMSPulsesTable.add_pulses`` is the vectorised path for whole courses (90,000 pulses).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ndx_tms._registry import generated, register
from ndx_tms.vocabulary import (
    ADVERSE_EVENT_TYPES,
    CELL_ONTOLOGY_TERMS,
    COIL_CURRENT_DIRECTIONS,
    DEPTH_ADJUSTMENT_METHODS,
    INDUCED_CURRENT_DIRECTIONS,
    INTENSITY_REFERENCES,
    INTENSITY_TOLERANCE_PERCENT_MSO,
    INTERVAL_CONVENTIONS,
    MEASUREMENT_METHODS,
    PROJECTION_CLASSES,
    PULSE_SOURCES,
    REGISTRATION_METHODS,
    RELATEDNESS,
    SEVERITIES,
    SHAM_TYPES,
    TARGETING_METHODS,
    THRESHOLD_METHODS,
    THRESHOLD_TYPES,
    WAVEFORMS,
    TMSValueError,
    check_array_range,
    check_choice,
    check_choices,
    check_cl_id,
    check_pose,
    check_range,
    depth_adjusted_threshold,
    first_pose_problem,
)

ORIENTATION_LETTERS = (set("RL"), set("AP"), set("SI"))


@register
class TMSCoordinateSpace(generated("TMSCoordinateSpace")):
    """A coordinate space for targets and poses: name, units, origin and axis orientation."""

    def _check(self) -> None:
        if self.units not in ("mm", "m", "um"):
            raise TMSValueError(f"TMSCoordinateSpace.units: {self.units!r}; use mm, m or um")
        text = self.orientation.upper()
        if len(text) == 3 and text.isalpha():
            axes = sorted(next((i for i, pair in enumerate(ORIENTATION_LETTERS) if c in pair), -1) for c in text)
            if axes != [0, 1, 2]:
                raise TMSValueError(
                    f"TMSCoordinateSpace.orientation: {self.orientation!r} must name each axis once "
                    "(one of R/L, one of A/P, one of S/I; e.g. RAS, LPS)"
                )


@register
class TMSRegistration(generated("TMSRegistration")):
    """Registration of the head to a space: method, RMS error, landmarks (labels, positions, errors)."""

    def _check(self) -> None:
        check_choice("TMSRegistration.method", self.method, REGISTRATION_METHODS)
        check_range("TMSRegistration.rms_error_in_mm", self.rms_error_in_mm, 0.0)
        labels, positions = self.landmark_label, self.landmark_position
        if positions is not None:
            shape = np.shape(positions)
            if len(shape) != 2 or shape[1] != 3:
                raise TMSValueError(f"TMSRegistration.landmark_position: shape {shape}; give (n, 3)")
            if labels is not None and len(labels) != shape[0]:
                raise TMSValueError(f"TMSRegistration: {len(labels)} landmark labels for {shape[0]} positions")
        errors = self.landmark_error_in_mm
        if errors is not None and labels is not None and len(errors) != len(labels):
            raise TMSValueError(f"TMSRegistration: {len(errors)} landmark errors for {len(labels)} landmarks")


@register
class TMSThresholdsTable(generated("TMSThresholdsTable")):
    """Thresholds measured for the subject (RMT, AMT, phosphene, rodent visual twitch or EMG) in %MSO."""

    def add_row(self, **kwargs):
        """Add a threshold; checks the type, method and that the value is within 0-100 %MSO."""
        check_choice("threshold_type", kwargs.get("threshold_type"), THRESHOLD_TYPES)
        check_range("value_in_percent_mso", kwargs.get("value_in_percent_mso"), 0.0, 100.0, allow_nan=False)
        check_choice("method", kwargs.get("method"), THRESHOLD_METHODS)
        check_choice("measurement_method", kwargs.get("measurement_method"), MEASUREMENT_METHODS)
        check_range("value_in_v_per_m", kwargs.get("value_in_v_per_m"), 0.0)
        return super().add_row(**kwargs)


@register
class TMSProtocolsTable(generated("TMSProtocolsTable")):
    """Protocols, one row per parameter set, with nested timing levels (ragged columns)."""

    def _threshold_value(self, row: int) -> float | None:
        """%MSO of row ``row`` of the thresholds table the ``threshold`` column refers to (None if unknown)."""
        table = self["threshold"].table if "threshold" in self.colnames else None
        if table is None or not 0 <= row < len(table):
            return None
        return float(table["value_in_percent_mso"][row])

    def add_row(self, **kwargs):
        """Add a protocol row; checks vocabularies, timing levels and intensities."""
        check_choice("waveform", kwargs.get("waveform"), WAVEFORMS)
        check_choice("coil_current_direction", kwargs.get("coil_current_direction"), COIL_CURRENT_DIRECTIONS)
        check_choice("induced_current_direction", kwargs.get("induced_current_direction"),
                     INDUCED_CURRENT_DIRECTIONS)
        check_choice("intensity_reference", kwargs.get("intensity_reference"), INTENSITY_REFERENCES)
        check_range("pulse_width_in_us", kwargs.get("pulse_width_in_us"), 0.0)
        levels = list(kwargs.get("timing_level", []))
        counts = list(kwargs.get("timing_count", []))
        intervals = list(kwargs.get("timing_interval_in_s", []))
        kwargs.setdefault("timing_interval_convention", ["onset_to_onset"] * len(levels))
        kwargs.setdefault("timing_stated_interval_in_s", list(intervals))
        conventions = list(kwargs["timing_interval_convention"])
        stated = list(kwargs["timing_stated_interval_in_s"])
        if not levels or not (len(levels) == len(counts) == len(intervals) == len(conventions) == len(stated)):
            raise TMSValueError(
                "timing_level, timing_count, timing_interval_in_s, timing_interval_convention and "
                "timing_stated_interval_in_s must be non-empty and of equal length, got "
                f"{len(levels)}, {len(counts)}, {len(intervals)}, {len(conventions)}, {len(stated)}"
            )
        check_choices("timing_interval_convention", conventions, INTERVAL_CONVENTIONS)
        if kwargs.get("waveform") == "custom" and not kwargs.get("waveform_description"):
            raise TMSValueError("waveform is custom: describe it in waveform_description")
        for level, count, interval in zip(levels, counts, intervals, strict=True):
            if int(count) < 1:
                raise TMSValueError(f"timing_count of level {level!r} must be >= 1, got {count}")
            if not float(interval) >= 0.0:
                raise TMSValueError(f"timing_interval_in_s of level {level!r} must be >= 0, got {interval}")
        reference = kwargs["intensity_reference"]
        threshold_row = kwargs.get("threshold")
        if reference == "percent_threshold" and isinstance(threshold_row, (int, np.integer)):
            value = self._threshold_value(int(threshold_row))
            if value is not None:
                kwargs["_threshold_percent_mso"] = value
        if reference == "percent_mso":
            check_range("intensity_value", kwargs.get("intensity_value"), 0.0, 100.0, allow_nan=False)
        else:
            check_range("intensity_value", kwargs.get("intensity_value"), 0.0, None, allow_nan=False)
            if "threshold" not in kwargs or kwargs["threshold"] is None:
                raise TMSValueError(
                    "intensity_reference is percent_threshold: give threshold= (row of the thresholds table)"
                )
        check_range("intensity_in_percent_mso", kwargs.get("intensity_in_percent_mso"), 0.0, 100.0)
        _check_depth_adjustment(kwargs)
        _check_conditioning(kwargs)
        if kwargs.get("sham"):
            check_choice("sham_type", kwargs.get("sham_type"), SHAM_TYPES)
        elif kwargs.get("sham_type"):
            raise TMSValueError("sham_type is set but sham is False; leave sham_type empty")
        kwargs.pop("_threshold_percent_mso", None)
        return super().add_row(**kwargs)


def _check_depth_adjustment(row: dict) -> None:
    """A depth adjustment names its method and gives slope, both distances and the adjusted threshold, which
    must follow from them (Stokes 2005); the %MSO intensity is then intensity_value % of it."""
    method = row.get("depth_adjustment_method")
    if method in (None, "", "none"):
        return
    check_choice("depth_adjustment_method", method, DEPTH_ADJUSTMENT_METHODS)
    names = ("depth_adjustment_slope_in_percent_mso_per_mm", "scalp_to_cortex_distance_motor_in_mm",
             "scalp_to_cortex_distance_target_in_mm", "depth_adjusted_threshold_in_percent_mso")
    values = [row.get(name) for name in names]
    missing = [n for n, v in zip(names, values, strict=True) if v is None or np.isnan(float(v))]
    if missing:
        raise TMSValueError(f"depth_adjustment_method is {method}: give {', '.join(missing)}")
    slope, motor, target, adjusted = (float(v) for v in values)
    check_range("scalp_to_cortex_distance_motor_in_mm", motor, 0.0)
    check_range("scalp_to_cortex_distance_target_in_mm", target, 0.0)
    threshold = row.get("_threshold_percent_mso")
    if threshold is not None:
        expected = depth_adjusted_threshold(threshold, slope, motor, target)
        if abs(expected - adjusted) > INTENSITY_TOLERANCE_PERCENT_MSO:
            raise TMSValueError(
                f"depth_adjusted_threshold_in_percent_mso is {adjusted:g} but {threshold:g} + {slope:g} x "
                f"({target:g} - {motor:g}) = {expected:.2f} %MSO; fix the distances, slope or adjusted value"
            )
    mso = row.get("intensity_in_percent_mso")
    if mso is not None and not np.isnan(float(mso)) and row.get("intensity_reference") == "percent_threshold":
        expected_mso = adjusted * float(row["intensity_value"]) / 100.0
        if abs(expected_mso - float(mso)) > INTENSITY_TOLERANCE_PERCENT_MSO:
            raise TMSValueError(
                f"intensity_in_percent_mso is {float(mso):g} but {row['intensity_value']:g}% of the depth-adjusted "
                f"threshold {adjusted:g} is {expected_mso:.2f} %MSO"
            )


def _check_conditioning(row: dict) -> None:
    """Paired-pulse rows give the conditioning reference, value and (when relative) its threshold row."""
    reference = row.get("conditioning_intensity_reference")
    if reference in (None, ""):
        value = row.get("conditioning_intensity_value")
        if value is not None and not np.isnan(float(value)):
            raise TMSValueError("conditioning_intensity_value is set: give conditioning_intensity_reference")
        return
    check_choice("conditioning_intensity_reference", reference, INTENSITY_REFERENCES)
    high = 100.0 if reference == "percent_mso" else None
    check_range("conditioning_intensity_value", row.get("conditioning_intensity_value"), 0.0, high,
                allow_nan=False)
    check_range("conditioning_intensity_in_percent_mso", row.get("conditioning_intensity_in_percent_mso"), 0.0, 100.0)
    if reference == "percent_threshold" and row.get("conditioning_threshold") is None:
        raise TMSValueError("conditioning_intensity_reference is percent_threshold: give conditioning_threshold= "
                            "(row of the thresholds table)")


@register
class TMSTargetsTable(generated("TMSTargetsTable")):
    """Targets with atlas term, coordinate space, position and coil pose (matsimnibs 4x4)."""

    def add_row(self, **kwargs):
        """Add a target; checks the position, the pose (orthonormal, right-handed) and the method."""
        position = np.asarray(kwargs.get("target_position"), dtype=float)
        if position.shape != (3,):
            raise TMSValueError(f"target_position must be (x, y, z), got shape {position.shape}")
        if kwargs.get("coil_pose") is not None:
            check_pose("coil_pose", kwargs["coil_pose"])
        check_choice("targeting_method", kwargs.get("targeting_method"), TARGETING_METHODS)
        return super().add_row(**kwargs)


@register
class TMSCoilsTable(generated("TMSCoilsTable")):
    """The coils pulses refer to; ``TMSPulsesTable.coil`` holds row indices into this table."""

    def row_of(self, coil) -> int:
        """Row of ``coil`` (a TMSCoil), adding it when new."""
        devices = self["device"].data
        for i, device in enumerate(devices):
            if device is coil:
                return i
        if getattr(coil, "neurodata_type", None) != "TMSCoil":
            raise TMSValueError(f"coil: expected a TMSCoil device or a row index, got {type(coil).__name__}")
        self.add_row(device=coil)
        return len(self) - 1


@register
class TMSPulsesTable(generated("TMSPulsesTable")):
    """Every delivered pulse (in ``nwbfile.events``). Use :meth:`add_pulses` for whole courses; ``add_row`` for a
    few pulses.

    ``coil`` takes TMSCoil devices (or row indices); they are stored once in a :class:`TMSCoilsTable`
    (created when ``target_tables`` gives none; put it in ``TMSExperimentMetadata.coils``) and each pulse holds
    a row index. ``session`` is a row of the :class:`TMSSessionsTable` in ``nwbfile.intervals``.
    """

    @staticmethod
    def _prepare_kwargs(kwargs: dict) -> dict:
        target_tables = dict(kwargs.get("target_tables") or {})
        if "coil" not in target_tables and not kwargs.get("columns"):
            target_tables["coil"] = TMSCoilsTable(description="Coils that delivered the pulses.")
            kwargs["target_tables"] = target_tables
        return kwargs

    @property
    def coils(self) -> TMSCoilsTable:
        """The coils table the ``coil`` column refers to."""
        return self["coil"].table

    def _coil_rows(self, values, n: int) -> np.ndarray:
        """Row indices into :attr:`coils` for one coil (broadcast), or one coil or row index per pulse."""
        if not isinstance(values, (list, tuple, np.ndarray)):
            row = int(values) if isinstance(values, (int, np.integer)) else self.coils.row_of(values)
            return np.full(n, row, dtype=np.int64)
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
            return values.astype(np.int64)
        rows_of: dict[int, int] = {}
        rows = np.empty(len(values), dtype=np.int64)
        for i, item in enumerate(values):
            if isinstance(item, (int, np.integer)):
                rows[i] = int(item)
                continue
            if id(item) not in rows_of:
                rows_of[id(item)] = self.coils.row_of(item)
            rows[i] = rows_of[id(item)]
        return rows

    REQUIRED = (
        "timestamp", "protocol", "target", "coil", "intensity_in_percent_mso", "di_dt_in_a_per_us",
        "source", "session", "train_number", "burst_number", "pulse_number", "artifact_window_in_s",
    )

    def add_row(self, **kwargs):
        """Add one pulse; checks the source term, intensity, pose and artifact window."""
        if "coil" in kwargs and not isinstance(kwargs["coil"], (int, np.integer)):
            kwargs["coil"] = int(self._coil_rows(kwargs["coil"], 1)[0])
        check_choice("source", kwargs.get("source"), PULSE_SOURCES)
        check_range("intensity_in_percent_mso", kwargs.get("intensity_in_percent_mso"), 0.0, 100.0)
        window = np.asarray(kwargs.get("artifact_window_in_s"), dtype=float)
        if window.shape != (2,) or window[1] < window[0]:
            raise TMSValueError(f"artifact_window_in_s must be (start, stop) with start <= stop, got {window}")
        if kwargs.get("measured_coil_pose") is not None:
            check_pose("measured_coil_pose", kwargs["measured_coil_pose"])
        return super().add_row(**kwargs)

    def add_pulses(self, **columns) -> None:
        """Append many pulses at once from arrays (vectorised; ~100x faster than ``add_row`` per pulse).

        Parameters
        ----------
        **columns
            One array per column, all of the same length ``n``. ``timestamp`` (s) and the required columns
            of :attr:`REQUIRED` must be given; scalars are broadcast (``coil=coil``, ``source="trigger_ttl"``,
            ``artifact_window_in_s=(-0.001, 0.01)``). Optional columns (``scheduled_time_in_s``,
            ``measured_coil_pose``, ...) may be given on the first call; later calls must give the same set.
        """
        if "timestamp" not in columns:
            raise TMSValueError("add_pulses: timestamp is required")
        n = len(np.atleast_1d(columns["timestamp"]))
        missing = [c for c in self.REQUIRED if c not in columns]
        if missing:
            raise TMSValueError(f"add_pulses: missing required column(s) {missing}")
        columns["coil"] = self._coil_rows(columns["coil"], n)
        arrays = {name: _broadcast(name, value, n) for name, value in columns.items()}
        _check_pulse_arrays(arrays)
        existing = set(self.colnames)
        optional_new = [c for c in arrays if c not in existing]
        if optional_new and len(self) > 0:
            raise TMSValueError(
                f"add_pulses: column(s) {optional_new} are not in the table; give them on the first call"
            )
        for name, values in arrays.items():
            if name not in optional_new:
                self[name].transform(_concat(values))
        start = len(self.id)
        self.id.transform(_concat(np.arange(start, start + n, dtype=np.int64)))
        for name in optional_new:
            spec = _column_spec(type(self), name)
            self.add_column(name=name, description=spec["description"], data=arrays[name])


def _concat(values: np.ndarray):
    def func(data):
        if isinstance(data, list) and not data:
            return values
        return np.concatenate([np.asarray(data, dtype=values.dtype), values])

    return func


def _column_spec(cls, name: str) -> dict | None:
    for spec in cls.__columns__:
        if spec["name"] == name:
            return spec
    return None


_PULSE_DTYPES = {
    "timestamp": np.float64, "protocol": np.int64, "target": np.int64, "coil": np.int64,
    "intensity_in_percent_mso": np.float64, "di_dt_in_a_per_us": np.float64, "source": object,
    "session": np.int64, "train_number": np.int32, "burst_number": np.int32, "pulse_number": np.int32,
    "artifact_window_in_s": np.float64, "scheduled_time_in_s": np.float64,
    "coil_temperature_in_c": np.float64, "measured_coil_pose": np.float64,
    "target_error_in_mm": np.float64, "angular_error_in_deg": np.float64, "twist_error_in_deg": np.float64,
}
_PULSE_ROW_SHAPES = {"artifact_window_in_s": (2,), "measured_coil_pose": (4, 4)}


def _broadcast(name: str, value, n: int) -> np.ndarray:
    dtype = _PULSE_DTYPES.get(name)
    if dtype is None:
        raise TMSValueError(f"add_pulses: {name!r} is not a column of TMSPulsesTable")
    row_shape = _PULSE_ROW_SHAPES.get(name, ())
    if dtype is object and not isinstance(value, (list, tuple, np.ndarray)):
        out = np.empty(n, dtype=object)
        out[:] = [value] * n
        return out
    arr = np.asarray(value, dtype=dtype)
    if arr.shape == row_shape:
        arr = np.broadcast_to(arr, (n, *row_shape)).copy()
    if arr.shape != (n, *row_shape):
        raise TMSValueError(f"add_pulses: {name} has shape {arr.shape}, expected {(n, *row_shape)}")
    return arr


def _check_pulse_arrays(arrays: dict[str, np.ndarray]) -> None:
    bad_sources = set(np.unique(arrays["source"]).tolist()) - PULSE_SOURCES
    if bad_sources:
        raise TMSValueError(f"source: {sorted(bad_sources)} not accepted; use one of {sorted(PULSE_SOURCES)}")
    check_array_range("intensity_in_percent_mso", arrays["intensity_in_percent_mso"], 0.0, 100.0)
    window = arrays["artifact_window_in_s"]
    if np.any(window[:, 1] < window[:, 0]):
        raise TMSValueError("artifact_window_in_s: stop before start")
    if not np.all(np.isfinite(arrays["timestamp"])):
        raise TMSValueError("timestamp: every pulse needs a finite time")
    for name in ("protocol", "target", "coil", "session"):
        if np.any(arrays[name] < 0):
            raise TMSValueError(f"{name}: row indices must be >= 0")
    if "measured_coil_pose" in arrays:
        found = first_pose_problem(arrays["measured_coil_pose"])
        if found:
            raise TMSValueError(f"measured_coil_pose of pulse {found[0]}: pose {found[1]}")


@register
class TMSSessionsTable(generated("TMSSessionsTable")):
    """Stimulation sessions of a course (start, stop, protocol, target, sham, pulse count), in
    ``nwbfile.intervals``."""

    def add_row(self, **kwargs):
        """Add a session; stop must not be before start."""
        start, stop = kwargs.get("start_time"), kwargs.get("stop_time")
        if start is not None and stop is not None and stop < start:
            raise TMSValueError(f"stop_time {stop} is before start_time {start}")
        return super().add_row(**kwargs)


@register
class TMSReconciliationTable(generated("TMSReconciliationTable")):
    """Delivered versus declared pulses per stimulation session (counts, clock fit, discrepancies)."""


@register
class TMSAdverseEventsTable(generated("TMSAdverseEventsTable")):
    """Adverse events (an EventsTable in ``nwbfile.events``) with type, severity, relatedness and action."""

    def add_row(self, **kwargs):
        """Add an event; checks type, severity and relatedness terms."""
        check_choice("event_type", kwargs.get("event_type"), ADVERSE_EVENT_TYPES)
        check_choice("severity", kwargs.get("severity"), SEVERITIES)
        check_choice("relatedness", kwargs.get("relatedness"), RELATEDNESS)
        return super().add_row(**kwargs)


@register
class CellTypesTable(generated("CellTypesTable")):
    """Neuron cell types as Cell Ontology terms with atlas subclass, Cre line and projection class."""

    def add_row(self, **kwargs):
        """Add a cell type; checks the CL ID form and projection class, fills a known CL label if empty."""
        check_cl_id("cell_ontology_id", kwargs.get("cell_ontology_id"))
        if not kwargs.get("cell_ontology_label"):
            kwargs["cell_ontology_label"] = CELL_ONTOLOGY_TERMS.get(kwargs["cell_ontology_id"], "")
            if not kwargs["cell_ontology_label"]:
                raise TMSValueError(
                    f"cell_ontology_label: give the term label for {kwargs['cell_ontology_id']}"
                )
        check_choice("projection_class", kwargs.get("projection_class"), PROJECTION_CLASSES)
        return super().add_row(**kwargs)

    def row_of(self, label: str) -> int:
        """Row index of the cell type with ``label``."""
        labels = list(self["label"][:])
        if label not in labels:
            raise TMSValueError(f"cell type {label!r} is not in the table; known: {labels}")
        return labels.index(label)


@register
class TMSExperimentMetadata(generated("TMSExperimentMetadata")):
    """The TMS metadata of a session, in ``/general/tms`` (add with ``nwbfile.add_lab_meta_data``).

    Give ``coils=pulses.coils`` so the coils the pulses refer to are written; pulses, adverse events and
    sessions go to ``nwbfile.events`` and ``nwbfile.intervals`` (see :func:`add_tms_tables`).
    """


def add_tms_tables(nwbfile, *, metadata=None, pulses=None, sessions=None, adverse_events=None) -> None:
    """Put each TMS object where ndx-tms 0.2 places it.

    ``metadata`` -> ``/general/tms``; ``pulses`` and ``adverse_events`` -> ``/events``; ``sessions`` ->
    ``/intervals``. None entries are skipped.
    """
    if metadata is not None:
        nwbfile.add_lab_meta_data(metadata)
    if sessions is not None:
        nwbfile.add_time_intervals(sessions)
    for table in (pulses, adverse_events):
        if table is not None:
            nwbfile.add_events_table(table)


def find_tms_tables(nwbfile) -> dict:
    """The TMS objects of a file read back, by role, whichever ndx-tms version wrote it.

    Returns ``metadata``, ``pulses``, ``sessions``, ``adverse_events``, ``reconciliation`` (None when absent)
    and ``layout``: ``"0.2"`` (pulses in /events, sessions in /intervals) or ``"0.1"`` (everything in
    /general/tms). Works on classes generated from a cached 0.1.0 spec as well (types matched by name).
    """
    found = dict.fromkeys(("metadata", "pulses", "sessions", "adverse_events", "reconciliation"))
    for obj in nwbfile.lab_meta_data.values():
        if getattr(obj, "neurodata_type", type(obj).__name__) == "TMSExperimentMetadata":
            found["metadata"] = obj
            break
    by_type = {"TMSPulsesTable": "pulses", "TMSAdverseEventsTable": "adverse_events",
               "TMSSessionsTable": "sessions"}
    for holder in (getattr(nwbfile, "events", None) or {}, getattr(nwbfile, "intervals", None) or {}):
        for obj in holder.values():
            role = by_type.get(getattr(obj, "neurodata_type", ""))
            if role and found[role] is None:
                found[role] = obj
    metadata = found["metadata"]
    layout = "0.2"
    if metadata is not None:
        found["reconciliation"] = getattr(metadata, "reconciliation", None)
        for role in ("pulses", "sessions", "adverse_events"):
            legacy = getattr(metadata, role, None)
            if legacy is not None and found[role] is None:
                found[role] = legacy
                layout = "0.1"
    found["layout"] = layout
    return found


def add_cell_type_column(
    table,
    cell_types: CellTypesTable,
    values: Sequence[int | str],
    *,
    name: str = "cell_type",
    description: str = "Cell type of each row, as a row of the CellTypesTable.",
) -> None:
    """Add a ``cell_type`` column referencing ``cell_types`` to a PlaneSegmentation or Units table.

    Parameters
    ----------
    table : DynamicTable
        The table to label (``PlaneSegmentation``, ``Units``); must already hold its rows.
    cell_types : CellTypesTable
        The table of types referred to.
    values : sequence of int or str
        One entry per row of ``table``: a row index of ``cell_types`` or its ``label``.
    """
    values = list(values)
    if len(values) != len(table):
        raise TMSValueError(f"add_cell_type_column: {len(values)} values for a table of {len(table)} rows")
    rows = [cell_types.row_of(v) if isinstance(v, str) else int(v) for v in values]
    n_types = len(cell_types)
    bad = [r for r in rows if not 0 <= r < n_types]
    if bad:
        raise TMSValueError(f"add_cell_type_column: row(s) {bad[:5]} outside the {n_types} cell types")
    table.add_column(name=name, description=description, data=rows, table=cell_types)
