"""ndx-tms: NWB types for transcranial magnetic stimulation and neuron cell types.

Importing this package loads the ``ndx-tms`` namespace and registers the Python classes below. Files
written with it cache the spec, so they read without this package installed.
"""

from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from pynwb import load_namespaces

__version__ = version("ndx-tms")  # written once, in pyproject.toml (the namespace YAML is generated with it)
NAMESPACE = "ndx-tms"


def _spec_path() -> Path:
    """The namespace file: inside the wheel, or in the source tree for editable installs."""
    installed = Path(str(files(__name__))) / "spec" / "ndx-tms.namespace.yaml"
    if installed.exists():
        return installed
    return Path(__file__).resolve().parents[3] / "spec" / "ndx-tms.namespace.yaml"


load_namespaces(str(_spec_path()))

from ndx_tms.devices import (  # noqa: E402
    TMSCoil,
    TMSCoilModel,
    TMSNavigationSystem,
    TMSStimulator,
    TMSStimulatorModel,
)
from ndx_tms.imaging import TMSArtifactMask, TMSClockAlignment  # noqa: E402
from ndx_tms.tables import (  # noqa: E402
    CellTypesTable,
    TMSAdverseEventsTable,
    TMSCoilsTable,
    TMSCoordinateSpace,
    TMSExperimentMetadata,
    TMSProtocolsTable,
    TMSPulsesTable,
    TMSReconciliationTable,
    TMSRegistration,
    TMSSessionsTable,
    TMSTargetsTable,
    TMSThresholdsTable,
    add_cell_type_column,
    add_tms_tables,
    find_tms_tables,
)
from ndx_tms.vocabulary import TMSValueError  # noqa: E402

__all__ = [
    "NAMESPACE",
    "CellTypesTable",
    "TMSAdverseEventsTable",
    "TMSArtifactMask",
    "TMSClockAlignment",
    "TMSCoil",
    "TMSCoilsTable",
    "TMSCoilModel",
    "TMSCoordinateSpace",
    "TMSExperimentMetadata",
    "TMSNavigationSystem",
    "TMSProtocolsTable",
    "TMSPulsesTable",
    "TMSReconciliationTable",
    "TMSRegistration",
    "TMSSessionsTable",
    "TMSStimulator",
    "TMSStimulatorModel",
    "TMSTargetsTable",
    "TMSThresholdsTable",
    "TMSValueError",
    "add_cell_type_column",
    "add_tms_tables",
    "find_tms_tables",
    "__version__",
]
