"""The nwbtms object checks as NWB Inspector checks, generated from the check registry.

``nwbinspector --modules nwbtms.validate.inspector_plugin file.nwb`` (or the older name ``nwbtms.checks``) runs
every check registered with :func:`nwbtms.validate.registry.register_check` for a neurodata type (steps 6 and 8:
TMS semantics and reporting completeness) through ``nwbinspector.register_check``: one NWB Inspector check per
registered function and importance, named ``check_tms_<function>`` (``_<importance>`` added for the further
importances of its ID: ``CheckInfo.other_severities``, and CRITICAL for a crash). Each runs the same function as
``nwbtms validate`` (every row, chunked) under its own guard, so a crash is reported under that function's ID
and skips no other check; it runs once per object (the results are shared by its importances, and functions
sharing a pass over the data share it here too), and returns the hits of its importance as
``InspectorMessage`` s whose text names the nwbtms check ID, the object path and the row. NWB Inspector has no
INFO or ERROR importance: INFO notes are dropped, internal errors map to CRITICAL. As in ``nwbtms validate``,
the checks run only on files with ``TMSExperimentMetadata``. ``nwbtms validate`` never runs these wrappers
(it calls the functions directly), so nothing is reported twice.
"""

from __future__ import annotations

from collections.abc import Callable

from nwbinspector import Importance, InspectorMessage, register_check
from pynwb import NWBFile

from nwbtms.validate.checks._tables import tms_metadata
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, RegisteredCheck, load_checks

IMPORTANCE: dict[Severity, Importance] = {
    Severity.ERROR: Importance.CRITICAL,
    Severity.CRITICAL: Importance.CRITICAL,
    Severity.BEST_PRACTICE_VIOLATION: Importance.BEST_PRACTICE_VIOLATION,
    Severity.BEST_PRACTICE_SUGGESTION: Importance.BEST_PRACTICE_SUGGESTION,
}
#: (registered function name, object id) -> (object, hits), so the importances of one function compute once.
_CACHE: dict[tuple[str, int], tuple[object, list[Hit]]] = {}
_CACHE_SIZE = 32


#: Extensions besides ndx-tms whose types registered checks inspect; optional extras (e.g. ``nwbtms[photometry]``).
EXTENSION_MODULES = ("ndx_fiber_photometry", "ndx_study_design", "ndx_ophys_devices")


def _neurodata_class(name: str) -> type | None:
    """The class of neurodata type ``name``; None when it may belong to an extension that is not installed (no NWB
    Inspector check for it then: NWB Inspector builds no object of a type it has no class for)."""
    if name == "NWBFile":
        return NWBFile
    import importlib

    import hdmf.common
    import ndx_tms
    import pynwb

    modules, missing = [ndx_tms, pynwb, pynwb.ophys, pynwb.image, pynwb.base, hdmf.common], []
    for module_name in EXTENSION_MODULES:
        try:
            modules.append(importlib.import_module(module_name))
        except ImportError:
            missing.append(module_name)
    for module in modules:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            return cls
    if missing:
        return None
    raise LookupError(f"no neurodata class named {name!r} in ndx_tms, pynwb or {', '.join(EXTENSION_MODULES)}")


def _file_of(obj):
    while getattr(obj, "parent", None) is not None:
        obj = obj.parent
    return obj


def _hits(registered: RegisteredCheck, obj) -> list[Hit]:
    key = (registered.name, id(obj))
    entry = _CACHE.get(key)
    if entry is None or entry[0] is not obj:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        nwbfile = _file_of(obj)
        applies = not isinstance(nwbfile, NWBFile) or tms_metadata(nwbfile) is not None
        entry = (obj, list(registered.run(obj)) if applies else [])
        _CACHE[key] = entry
    return entry[1]


def message_text(hit: Hit) -> str:
    """``[check.id] location[index]: message (fix: hint)``: what the plugin reports for one hit."""
    where = (hit.location or "") + (f"[{hit.index}]" if hit.index is not None else "")
    return f"[{hit.check.id}] {where}: {hit.message} (fix: {hit.hint or hit.check.hint})"


def _wrapper(registered: RegisteredCheck, importance: Importance, name: str) -> Callable:
    def check(obj):
        out = [InspectorMessage(message=message_text(h)) for h in _hits(registered, obj)
               if IMPORTANCE.get(h.severity if h.severity is not None else h.check.severity) is importance]
        return out or None

    check.__name__ = check.__qualname__ = name
    check.__doc__ = registered.function.__doc__
    check.__module__ = __name__
    return check


def _register_all() -> dict[str, Callable]:
    generated: dict[str, Callable] = {}
    for registered in load_checks():
        # the crash of a check is an ERROR hit of its own ID: CRITICAL, so every function has that importance
        importances = [IMPORTANCE.get(registered.check.severity, Importance.CRITICAL), Importance.CRITICAL] + [
            IMPORTANCE[s] for s in registered.check.other_severities if s in IMPORTANCE]
        types = registered.neurodata_types
        for type_name in types:
            cls = _neurodata_class(type_name)
            if cls is None:
                continue
            base = "check_tms_" + registered.name.removeprefix("check_")
            if len(types) > 1:
                base += "_" + type_name.lower()
            for i, importance in enumerate(dict.fromkeys(importances)):
                name = base if i == 0 else f"{base}_{importance.name.lower()}"
                generated[name] = register_check(importance=importance, neurodata_type=cls)(
                    _wrapper(registered, importance, name))
    return generated


#: NWB Inspector check name -> the registered wrapper (one per registered function and importance)
INSPECTOR_CHECKS: dict[str, Callable] = _register_all()
globals().update(INSPECTOR_CHECKS)
__all__ = sorted(INSPECTOR_CHECKS)
