"""Step 4: NWB Inspector's checks with the DANDI configuration, on the objects already read.

The checks NWB Inspector only runs on the first 200 elements, or runs by loading whole arrays, are replaced
by nwbtms checks over every element in chunks (``REPLACED_INSPECTOR_CHECKS``); the DANDI subject checks are
replaced by the offline upload gate. Every other check runs unchanged; its finding ID is
``inspector.<check function name>``.

Each check runs guarded on each object (:func:`_guarded`): a table check that crashes on empty columns (an
empty ragged column or an empty table is valid NWB; NWB Inspector 0.7.2's ``check_col_not_nan`` and
``check_table_values_for_dict`` index ``column[0]``) is run again without the empty columns, which have no
value to check; any other crash is the inspector's, reported as ``inspector.crashed`` (INFO, never blocking)
with the check and the object. ``check_empty_table`` is not applied to a table the schema requires (ndx-tms
requires ``protocols`` even on a day without stimulation); ``check_data_orientation`` is not applied to a
single-volume series (data ``(1, x, y, z)``: a structural z-stack is one sample, so time cannot be its
longest axis; NWB Inspector's DANDI configuration itself keeps this check below CRITICAL as "not 100%
accurate").
"""

from __future__ import annotations

import functools
import traceback
import warnings
from collections.abc import Callable, Iterator
from functools import cache

from nwbtms.validate.checks._paths import object_path
from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.context import FileContext
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import REPLACED_INSPECTOR_CHECKS, CheckInfo, Hit, define, register_check

INSPECTOR = define("inspector.run", Severity.ERROR, 4, "NWB Inspector ran on the objects read once.",
                   "Report the traceback; the inspector checks could not run.", fast=False)
INSPECTOR_CRASHED = define(
    "inspector.crashed", Severity.INFO, 4, "Notes an NWB Inspector check that failed on an object (the "
    "inspector's error, not the file's; never blocking).",
    "Nothing to fix in the file; report the message to NWB Inspector "
    "(github.com/NeurodataWithoutBorders/nwbinspector/issues).", fast=False)

#: ``check_function_name`` of the message a guarded check returns when it crashed on an object
_CRASHED = "nwbtms-crashed:"

#: nwbinspector.Importance name -> our severity (findings.py table)
IMPORTANCE_TO_SEVERITY = {
    "ERROR": Severity.ERROR,
    "PYNWB_VALIDATION": Severity.ERROR,
    "CRITICAL": Severity.CRITICAL,
    "BEST_PRACTICE_VIOLATION": Severity.BEST_PRACTICE_VIOLATION,
    "BEST_PRACTICE_SUGGESTION": Severity.BEST_PRACTICE_SUGGESTION,
}


@cache
def base_checks(skip: frozenset[str] = frozenset()) -> tuple:
    """NWB Inspector's registered checks minus the replaced, skipped and nwbtms ones."""
    from nwbinspector import available_checks

    ours_or_replaced = set(REPLACED_INSPECTOR_CHECKS) | set(skip)
    return tuple(_guarded(c) for c in available_checks
                 if c.__name__ not in ours_or_replaced and not c.__module__.startswith("nwbtms"))


class _WithoutEmptyColumns:
    """A table seen without its empty columns (every other attribute is the table's)."""

    def __init__(self, table) -> None:
        self._table = table

    def __getattr__(self, name):
        return getattr(self._table, name)

    @property
    def columns(self) -> tuple:
        return tuple(c for c in self._table.columns if not _is_empty(c))


def _is_empty(column) -> bool:
    data = getattr(column, "data", None)
    try:
        return data is not None and len(data) == 0
    except TypeError:
        return False


def _has_empty_column(obj) -> bool:
    from hdmf.common import DynamicTable

    return isinstance(obj, DynamicTable) and any(_is_empty(c) for c in obj.columns)


def _required_by_schema(obj) -> bool:
    """True when the schema of ``obj``'s parent requires a child of its name (quantity 1)."""
    parent = getattr(obj, "parent", None)
    if parent is None:
        return False
    key = (type(parent), str(obj.name))
    if key not in _REQUIRED_CHILD:
        if len(_REQUIRED_CHILD) >= 4096:  # classes generated per file from cached specs: stay bounded
            _REQUIRED_CHILD.clear()
        _REQUIRED_CHILD[key] = _required_child(parent, key[1])
    return _REQUIRED_CHILD[key]


#: (parent class, child name) -> whether the parent's spec requires the child: decided once per process, since
#: ``pynwb.get_type_map()`` deep-copies the whole type map (a fifth of a small file's validation when asked per
#: object)
_REQUIRED_CHILD: dict[tuple[type, str], bool] = {}


def _required_child(parent, name: str) -> bool:
    try:
        from pynwb import get_type_map

        spec = get_type_map().get_map(parent).spec
        child = spec.get_group(name) or spec.get_dataset(name)
        return child is not None and child.required
    except Exception:
        return False


def _single_volume(obj) -> bool:
    """True for a series holding one volume: 4-D data ``(1, x, y, z)``."""
    shape = getattr(getattr(obj, "data", None), "shape", None)
    return shape is not None and len(shape) == 4 and shape[0] == 1


def _guarded(check: Callable) -> Callable:
    """``check`` run on one object, never raising: see the module docstring."""
    from nwbinspector import Importance, InspectorMessage

    @functools.wraps(check)
    def run(obj):
        if check.__name__ == "check_empty_table" and _required_by_schema(obj):
            return None
        if check.__name__ == "check_data_orientation" and _single_volume(obj):
            return None
        try:
            return check(obj)
        except Exception as exc:
            error = exc
        if _has_empty_column(obj):
            try:
                output = check(_WithoutEmptyColumns(obj))
            except Exception as exc:
                error = exc
            else:
                return _relocated(output, obj)
        return InspectorMessage(
            message=f"{type(error).__name__}: {error}", importance=Importance.ERROR,
            check_function_name=_CRASHED + check.__name__, object_type=type(obj).__name__,
            object_name=str(getattr(obj, "name", "")), location=object_path(obj))

    return run


def _relocated(output, obj):
    """Messages of a check run on a view of ``obj``, attributed to ``obj`` itself."""
    if output is None:
        return None
    messages = [output] if not isinstance(output, list) else output
    for message in messages:
        if message is not None:
            message.object_type, message.location = type(obj).__name__, object_path(obj)
    return output


@cache
def dandi_config() -> dict:
    """NWB Inspector's own ``dandi`` configuration (subject checks raised to CRITICAL)."""
    from nwbinspector import load_config

    return load_config("dandi")


@cache
def _check_info(name: str, severity: Severity) -> CheckInfo:
    return CheckInfo(f"inspector.{name}", severity, 4, f"NWB Inspector check {name}.",
                     "See https://nwbinspector.readthedocs.io/en/dev/best_practices/ for this check.")


@shared(INSPECTOR, INSPECTOR_CRASHED)
def inspector_pass(ctx: FileContext, hits: PassHits) -> None:
    """NWB Inspector run once on ``ctx.nwbfile`` for :func:`check_inspector` (its findings) and
    :func:`check_inspector_crashes` (its own crashes); checks the configuration skips are not run at all."""
    if ctx.nwbfile is None:
        return
    skip = frozenset(k.removeprefix("inspector.") for k in ctx.config_skip if k.startswith("inspector."))
    for hit in run(ctx, skip):  # inspector.<check function name> hits are the findings of check_inspector
        hits.add(hit, part=INSPECTOR_CRASHED if hit.check is INSPECTOR_CRASHED else INSPECTOR)


@register_check(INSPECTOR, neurodata_type=None)
def check_inspector(ctx: FileContext) -> Iterator[Hit]:
    """The configured NWB Inspector checks on ``ctx.nwbfile``: one hit per inspector message (finding ID
    ``inspector.<check function name>``), or one ``inspector.run`` hit when NWB Inspector itself failed."""
    yield from inspector_pass.hits(INSPECTOR, ctx)


@register_check(INSPECTOR_CRASHED, neurodata_type=None)
def check_inspector_crashes(ctx: FileContext) -> Iterator[Hit]:
    """Notes each NWB Inspector check that crashed on a valid object (the inspector's error, not the file's)."""
    yield from inspector_pass.hits(INSPECTOR_CRASHED, ctx)


def run(ctx: FileContext, skip: frozenset[str] = frozenset()) -> Iterator[Hit]:
    """Run the NWB Inspector checks but ``skip`` on ``ctx.nwbfile``; one hit per inspector message."""
    from nwbinspector import Importance, inspect_nwbfile_object

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            messages = list(inspect_nwbfile_object(
                nwbfile_object=ctx.nwbfile, checks=list(base_checks(skip)), config=dandi_config(),
                importance_threshold=Importance.BEST_PRACTICE_SUGGESTION))
    except Exception:
        yield INSPECTOR.hit(f"NWB Inspector failed: {traceback.format_exc(limit=3)}")
        return
    locate = _locator(ctx.nwbfile) if any(not m.location for m in messages) else None
    for message in messages:
        severity = IMPORTANCE_TO_SEVERITY.get(message.importance.name, Severity.ERROR)
        name = message.check_function_name or "unknown"
        location = message.location or (locate(message) if locate else None)
        if name.startswith(_CRASHED) or name.startswith("During evaluation of '"):
            # the inspector's own failure on a valid object: reported for its maintainers, never blocking
            check = name.removeprefix(_CRASHED) if name.startswith(_CRASHED) else name.split("'")[1]
            what = f"{message.object_type} {message.object_name}" if message.object_type else "an object"
            text = message.message if name.startswith(_CRASHED) else name.split(" - ", 1)[-1]
            yield INSPECTOR_CRASHED.hit(f"NWB Inspector's {check} crashed on {what}: {text.strip()}",
                                        location=location)
            continue
        yield _check_info(name, severity).hit(
            f"{message.object_type or 'object'} {message.object_name or ''}: {message.message}".replace(" : ", ": "),
            location=location)


def _locator(nwbfile):
    """Where NWB Inspector could not say (tables whose columns are not plain datasets): the path of the one
    object of the message's type and name; when several share them (the ``protocol`` columns of the pulses,
    sessions and reconciliation tables), the one on which the message's check gives the message again (each
    such object used once, in file order)."""
    by_key: dict[tuple[str, str], list] = {}
    for obj in nwbfile.objects.values():
        by_key.setdefault((type(obj).__name__, getattr(obj, "name", "")), []).append(obj)
    unused: dict[tuple[str, str, str, str], list] = {}

    def locate(message) -> str | None:
        found = by_key.get((message.object_type, message.object_name), [])
        if len(found) == 1:
            return object_path(found[0])
        key = (message.object_type, message.object_name, message.check_function_name, message.message)
        if key not in unused:
            unused[key] = [obj for obj in found if _gives(message.check_function_name, obj, message.message)]
        return object_path(unused[key].pop(0)) if unused[key] else None

    return locate


def _gives(check_name: str | None, obj, text: str) -> bool:
    """True when NWB Inspector's check ``check_name`` reports ``text`` on ``obj``."""
    from nwbinspector import available_checks

    check = next((c for c in available_checks if c.__name__ == check_name), None)
    if check is None:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = check(obj)
    except Exception:  # a check that cannot run on this object did not report the message on it
        return False
    results = result if isinstance(result, list | tuple) else [result]
    return any(getattr(r, "message", None) == text for r in results if r is not None)
