"""The validator configuration file: skip or demote checks, each with a justification.

YAML (``yaml.safe_load``) checked against ``schemas/validate-config.schema.json``. Unknown check IDs, NWB
Inspector checks that nwbtms replaces, demotions that raise a severity and IDs listed twice are rejected
with a :class:`~nwbtms.errors.ConfigError` (exit 2), so a typo never silently disables nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nwbtms.errors import ConfigError, Problem
from nwbtms.validate.findings import Severity

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
CONFIG_SCHEMA = SCHEMA_DIR / "validate-config.schema.json"


@dataclass(frozen=True)
class ValidationConfig:
    """Checks to skip and demote (ID -> justification / (severity, justification)), default profile and fail-on."""

    skip: dict[str, str] = field(default_factory=dict)
    demote: dict[str, tuple[Severity, str]] = field(default_factory=dict)
    profile: str | None = None
    fail_on: Severity | None = None
    source: str | None = None


def load_config(path: str | os.PathLike) -> ValidationConfig:
    """Read and check a configuration file.

    Raises
    ------
    ConfigError
        The file is missing, not YAML, does not follow the schema, or names unknown checks.
    """
    from nwbtms.errors import MetadataError
    from nwbtms.io.yaml_loader import load_yaml_text

    path = Path(path)
    try:
        data = load_yaml_text(path.read_text(encoding="utf-8"), file=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration: {getattr(exc, 'strerror', None) or exc}",
                          file=path) from None
    except MetadataError as exc:
        raise ConfigError(exc.message, file=path, line=exc.line, hint=exc.hint) from None
    return config_from_dict(data, source=str(path))


def config_from_dict(data, *, source: str | None = None) -> ValidationConfig:
    """Check ``data`` (a parsed configuration) and build a :class:`ValidationConfig`."""
    import jsonschema

    schema = json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        problems = [Problem(e.message, file=source, field="/" + "/".join(map(str, e.absolute_path)))
                    for e in errors]
        raise ConfigError(f"configuration does not follow {CONFIG_SCHEMA.name}", file=source, problems=problems,
                          hint="see schemas/validate-config.schema.json and examples/ci/nwbtms-validate.yaml")
    from nwbtms.validate.registry import CHECKS, REPLACED_INSPECTOR_CHECKS, known_check_ids

    known = known_check_ids()
    problems: list[Problem] = []
    skip: dict[str, str] = {}
    demote: dict[str, tuple[Severity, str]] = {}
    for section in ("skip", "demote"):
        for i, entry in enumerate(data.get(section, [])):
            check_id = entry["id"]
            where = f"/{section}/{i}/id"
            if check_id in skip or check_id in demote:
                problems.append(Problem(f"check {check_id!r} is listed twice", file=source, field=where))
                continue
            if check_id not in known:
                name = check_id.removeprefix("inspector.")
                hint = (f"nwbtms replaces this NWB Inspector check by {REPLACED_INSPECTOR_CHECKS[name]!r}; "
                        "configure that ID" if name in REPLACED_INSPECTOR_CHECKS
                        else "run `nwbtms validate --list-checks` for the IDs")
                problems.append(Problem(f"unknown check ID {check_id!r}", file=source, field=where, hint=hint))
                continue
            if section == "skip":
                skip[check_id] = entry["justification"].strip()
            else:
                target = Severity.parse(entry["to"])
                own = CHECKS[check_id].severity if check_id in CHECKS else None
                if own is not None and target > own:
                    problems.append(Problem(f"demoting {check_id!r} to {target.name} would raise it above "
                                            f"{own.name}", file=source, field=f"/demote/{i}/to"))
                    continue
                demote[check_id] = (target, entry["justification"].strip())
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the configuration", file=source, problems=problems)
    fail_on = Severity.parse(data["fail_on"]) if "fail_on" in data else None
    return ValidationConfig(skip=skip, demote=demote, profile=data.get("profile"), fail_on=fail_on, source=source)
