"""ndx-study-design: the study design of an NWB file as data (see the namespace's doc).

Importing this package loads ``ndx-ophys-devices`` (whose ViralVector, ViralVectorInjection and Effector it
holds), ``ndx-tms`` and the ``ndx-study-design`` namespace. The namespace includes ndx-tms (and through it core),
so it is the one most specific namespace of an nwbtms file with a design: pynwb validates a file against each
namespace no other includes, and two independent ones (ndx-tms, ndx-study-design) would each reject the other's
types where a core region points at them (a PlaneSegmentation's ``cell_type`` into ndx-tms's CellTypesTable).
It includes ndx-fiber-photometry too (0.2), for the same reason: ndx-fiber-photometry and ndx-tms are independent,
so a file with imaging cell types and fiber photometry failed pynwb validation under ndx-fiber-photometry (the
cell_type region) and under ndx-tms (an artifact mask linking a FiberPhotometryResponseSeries); nwbtms writes a
``StudyDesign`` into every file with fiber photometry, so this namespace is cached and the one validated.
"""

from importlib.resources import files
from pathlib import Path

import ndx_fiber_photometry  # noqa: F401  (loads the namespaces this one builds on)
import ndx_ophys_devices  # noqa: F401
import ndx_tms  # noqa: F401
from pynwb import get_class, load_namespaces

__version__ = "0.2.0"
NAMESPACE = "ndx-study-design"


def _spec_path() -> Path:
    """The namespace file: inside the wheel, or in the source tree for editable installs."""
    installed = Path(str(files(__name__))) / "spec" / f"{NAMESPACE}.namespace.yaml"
    if installed.exists():
        return installed
    return Path(__file__).resolve().parents[3] / "spec" / f"{NAMESPACE}.namespace.yaml"


load_namespaces(str(_spec_path()))

ChemogeneticEffector = get_class("ChemogeneticEffector", NAMESPACE)
StudyDesign = get_class("StudyDesign", NAMESPACE)

__all__ = ["NAMESPACE", "ChemogeneticEffector", "StudyDesign", "__version__"]
