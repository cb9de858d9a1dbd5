"""``nwbtms validate``: DANDI-ready and TMS-correct NWB files, every element checked, CI-grade exit codes.

Public API::

    from nwbtms.validate import validate_paths
    report = validate_paths(["session.nwb"], profile="tms", jobs=2)
    report.exit_code      # 0 nothing blocking, 1 blocking findings, 2 no file could be opened
    report.findings       # list of Finding (check_id, severity, message, file, location, index, hint)
    report.to_json()      # schemas/report.schema.json

The runner (:mod:`nwbtms.validate.runner`) reads each file once; the checks live in
:mod:`nwbtms.validate.checks` (one module per concern), registered (with their IDs) in :mod:`nwbtms.validate.registry`,
the output formats in :mod:`nwbtms.validate.reporters`, the configuration file in :mod:`nwbtms.validate.config`.
"""

from nwbtms.validate.config import ValidationConfig, load_config
from nwbtms.validate.findings import DEFAULT_FAIL_ON, FileResult, Finding, Severity, ValidationReport
from nwbtms.validate.registry import CHECKS, CheckInfo, load_checks, register_check
from nwbtms.validate.runner import validate_file, validate_paths

load_checks()  # CHECKS lists every check ID

__all__ = [
    "CHECKS",
    "DEFAULT_FAIL_ON",
    "CheckInfo",
    "FileResult",
    "Finding",
    "Severity",
    "ValidationConfig",
    "ValidationReport",
    "load_config",
    "register_check",
    "validate_file",
    "validate_paths",
]
