"""TMS stimulators and coils: models (``DeviceModel``) and the devices used in a session (``Device``)."""

from __future__ import annotations

from ndx_tms._registry import generated, register
from ndx_tms.vocabulary import (
    COIL_SHAPES,
    COOLING,
    CORE_MATERIALS,
    HANDLE_AXES,
    NAVIGATION_TYPES,
    PULSE_MODES,
    STIMULATOR_MODES,
    WAVEFORMS,
    TMSValueError,
    check_choice,
    check_choices,
    check_range,
)


@register
class TMSStimulatorModel(generated("TMSStimulatorModel")):
    """Model of a TMS stimulator: available modes and waveforms, maximum output (100 %MSO)."""

    def _check(self) -> None:
        check_choices("TMSStimulatorModel.available_waveforms", self.available_waveforms, WAVEFORMS)
        check_choices("TMSStimulatorModel.available_modes", self.available_modes, STIMULATOR_MODES)
        check_range("TMSStimulatorModel.maximum_output_in_percent_mso", self.maximum_output_in_percent_mso,
                    0.0, None)
        check_range("TMSStimulatorModel.maximum_di_dt_in_a_per_us", self.maximum_di_dt_in_a_per_us, 0.0)


@register
class TMSStimulator(generated("TMSStimulator")):
    """A TMS stimulator used in the session; ``model`` links its :class:`TMSStimulatorModel`."""

    def _check(self) -> None:
        check_choice("TMSStimulator.mode", self.mode, STIMULATOR_MODES)
        if self.pulse_mode is not None:
            check_choice("TMSStimulator.pulse_mode", self.pulse_mode, PULSE_MODES)


@register
class TMSCoilModel(generated("TMSCoilModel")):
    """Model of a TMS coil: shape, windings, core, electrical and field properties (units in names)."""

    def _check(self) -> None:
        check_choice("TMSCoilModel.shape", self.shape, COIL_SHAPES)
        if self.core_material is not None:
            check_choice("TMSCoilModel.core_material", self.core_material, CORE_MATERIALS)
        if self.cooling is not None:
            check_choice("TMSCoilModel.cooling", self.cooling, COOLING)
        if self.handle_axis is not None:
            check_choice("TMSCoilModel.handle_axis", self.handle_axis, HANDLE_AXES)
        for field in ("outer_winding_diameter_in_mm", "inner_winding_diameter_in_mm", "inductance_in_uh",
                      "peak_magnetic_field_in_t", "peak_db_dt_in_t_per_s", "half_value_depth_in_mm",
                      "half_value_spread_in_cm2"):
            check_range(f"TMSCoilModel.{field}", getattr(self, field), 0.0)
        if self.number_of_turns is not None:
            check_range("TMSCoilModel.number_of_turns", self.number_of_turns, 1)
        outer, inner = self.outer_winding_diameter_in_mm, self.inner_winding_diameter_in_mm
        if outer is not None and inner is not None and inner > outer:
            raise TMSValueError(
                f"TMSCoilModel: inner_winding_diameter_in_mm ({inner}) exceeds outer ({outer})"
            )


@register
class TMSCoil(generated("TMSCoil")):
    """A TMS coil used in the session; ``model`` links its :class:`TMSCoilModel`, ``stimulator`` its driver."""


@register
class TMSNavigationSystem(generated("TMSNavigationSystem")):
    """A neuronavigation system (hand-held tracking, robot or cobot); ``model`` links manufacturer and model."""

    def _check(self) -> None:
        check_choice("TMSNavigationSystem.navigation_type", self.navigation_type, NAVIGATION_TYPES)
