"""nwbtms checks, one module per concern; each check function is registered with
:func:`nwbtms.validate.registry.register_check` and yields :class:`~nwbtms.validate.registry.Hit` s.

Modules by step: ``readable`` (1, run by the runner), ``namespaces`` (2), ``schema`` (3, run by the runner),
``inspector`` (4), ``dandi`` (5), ``pulses``, ``protocols``, ``targets``, ``imaging``, ``cell_types``,
``rows``, ``regions``, ``frames``, ``clocks``, ``photometry`` (6), ``arrays``, ``units``, ``design`` (7),
``completeness`` (8).
Importing this package registers every check; a new check module is imported here.
"""

from nwbtms.validate.checks import (  # noqa: F401  (importing registers the checks)
    arrays,
    cell_types,
    clocks,
    completeness,
    dandi,
    design,
    frames,
    imaging,
    inspector,
    namespaces,
    photometry,
    protocols,
    pulses,
    regions,
    rows,
    targets,
    units,
)
