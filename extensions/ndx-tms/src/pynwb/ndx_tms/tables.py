"""TMS tables (thresholds, protocols, targets, pulses, sessions, reconciliation, adverse events, cell types),
coordinate spaces, and the ``TMSExperimentMetadata`` container that holds them.

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
    INDUCED_CURRENT_DIRECTIONS,
    INTENSITY_REFERENCES,
    MEASUREMENT_METHODS,
    PROJECTION_CLASSES,
    PULSE_SOURCES,
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
    check_cl_id,
    check_pose,
    check_range,
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
class TMSThresholdsTable(generated("TMSThresholdsTable")):
    """Thresholds measured for the subject (RMT, AMT, phosphene, rodent visual twitch or EMG) in %MSO."""

    def add_row(self, **kwargs):
        """Add a threshold; checks the type, method and that the value is within 0-100 %MSO."""
        check_choice("threshold_type", kwargs.get("threshold_type"), THRESHOLD_TYPES)
        check_range("value_in_percent_mso", kwargs.get("value_in_percent_mso"), 0.0, 100.0, allow_nan=False)
        check_choice("method", kwargs.get("method"), THRESHOLD_METHODS)
        check_choice("measurement_method", kwargs.get("measurement_method"), MEASUREMENT_METHODS)
        return super().add_row(**kwargs)


@register
class TMSProtocolsTable(generated("TMSProtocolsTable")):
    """Protocols, one row per parameter set, with nested timing levels (ragged columns)."""

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
        if not levels or not (len(levels) == len(counts) == len(intervals)):
            raise TMSValueError(
                "timing_level, timing_count and timing_interval_in_s must be non-empty and of equal length, "
                f"got {len(levels)}, {len(counts)}, {len(intervals)}"
            )
        for level, count, interval in zip(levels, counts, intervals, strict=True):
            if int(count) < 1:
                raise TMSValueError(f"timing_count of level {level!r} must be >= 1, got {count}")
            if not float(interval) >= 0.0:
                raise TMSValueError(f"timing_interval_in_s of level {level!r} must be >= 0, got {interval}")
        reference = kwargs["intensity_reference"]
        if reference == "percent_mso":
            check_range("intensity_value", kwargs.get("intensity_value"), 0.0, 100.0, allow_nan=False)
        else:
            check_range("intensity_value", kwargs.get("intensity_value"), 0.0, None, allow_nan=False)
            if "threshold" not in kwargs or kwargs["threshold"] is None:
                raise TMSValueError(
                    "intensity_reference is percent_threshold: give threshold= (row of the thresholds table)"
                )
        check_range("intensity_in_percent_mso", kwargs.get("intensity_in_percent_mso"), 0.0, 100.0)
        if kwargs.get("sham"):
            check_choice("sham_type", kwargs.get("sham_type"), SHAM_TYPES)
        elif kwargs.get("sham_type"):
            raise TMSValueError("sham_type is set but sham is False; leave sham_type empty")
        return super().add_row(**kwargs)


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
    """Every delivered pulse. Use :meth:`add_pulses` for whole courses; ``add_row`` for a few pulses.

    ``coil`` takes TMSCoil devices (or row indices); they are stored once in a :class:`TMSCoilsTable`
    (created when ``target_tables`` gives none) and each pulse holds a row index.
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
        "source", "session_number", "train_number", "burst_number", "pulse_number", "artifact_window_in_s",
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
    "session_number": np.int32, "train_number": np.int32, "burst_number": np.int32, "pulse_number": np.int32,
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
    for name in ("protocol", "target", "coil"):
        if np.any(arrays[name] < 0):
            raise TMSValueError(f"{name}: row indices must be >= 0")
    if "measured_coil_pose" in arrays:
        found = first_pose_problem(arrays["measured_coil_pose"])
        if found:
            raise TMSValueError(f"measured_coil_pose of pulse {found[0]}: pose {found[1]}")


@register
class TMSSessionsTable(generated("TMSSessionsTable")):
    """Stimulation sessions of a course (start, stop, protocol, target, sham, pulse count)."""

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
    """Adverse events with type, severity, relatedness and action."""

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
    """All TMS metadata of a session, in ``/general/tms`` (add with ``nwbfile.add_lab_meta_data``).

    When ``pulses`` is given without ``coils``, the pulses' own coils table is adopted.
    """

    @staticmethod
    def _prepare_kwargs(kwargs: dict) -> dict:
        pulses = kwargs.get("pulses")
        if pulses is not None and kwargs.get("coils") is None and "coil" in pulses.colnames:
            kwargs["coils"] = pulses["coil"].table
        return kwargs


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
