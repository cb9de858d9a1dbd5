"""Step 4: NWB Inspector's checks with the DANDI configuration, on the objects already read.

The checks NWB Inspector only runs on the first 200 elements, or runs by loading whole arrays, are replaced
by nwbtms checks over every element in chunks (``REPLACED_INSPECTOR_CHECKS``); the DANDI subject checks are
replaced by the offline upload gate. Every other check runs unchanged; its finding ID is
``inspector.<check function name>``.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Iterator
from functools import cache

from nwbtms.validate.checks._paths import object_path
from nwbtms.validate.context import FileContext
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import INSPECTOR, REPLACED_INSPECTOR_CHECKS, CheckInfo, Hit

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
    return tuple(c for c in available_checks
                 if c.__name__ not in ours_or_replaced and not c.__module__.startswith("nwbtms"))


@cache
def dandi_config() -> dict:
    """NWB Inspector's own ``dandi`` configuration (subject checks raised to CRITICAL)."""
    from nwbinspector import load_config

    return load_config("dandi")


@cache
def _check_info(name: str, severity: Severity) -> CheckInfo:
    return CheckInfo(f"inspector.{name}", severity, 4, f"NWB Inspector check {name}.",
                     "See https://nwbinspector.readthedocs.io/en/dev/best_practices/ for this check.")


def run(ctx: FileContext, skip: frozenset[str] = frozenset()) -> Iterator[Hit]:
    """Run the configured NWB Inspector checks on ``ctx.nwbfile``; one hit per inspector message."""
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
        if severity == Severity.ERROR and name.startswith("During evaluation of '"):
            name = name.split("'")[1]  # a check that crashed: report it under its own ID
            text = f"check crashed: {message.check_function_name}"
        else:
            text = message.message
        yield _check_info(name, severity).hit(
            f"{message.object_type or 'object'} {message.object_name or ''}: {text}".replace(" : ", ": "),
            location=message.location or (locate(message) if locate else None))


def _locator(nwbfile):
    """Where NWB Inspector could not say (tables whose columns are not plain datasets): the path of the one
    object of the message's type and name, when there is exactly one."""
    by_key: dict[tuple[str, str], list] = {}
    for obj in nwbfile.objects.values():
        by_key.setdefault((type(obj).__name__, getattr(obj, "name", "")), []).append(obj)

    def locate(message) -> str | None:
        found = by_key.get((message.object_type, message.object_name), [])
        return object_path(found[0]) if len(found) == 1 else None

    return locate
