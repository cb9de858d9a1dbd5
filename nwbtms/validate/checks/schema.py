"""Step 3: pynwb validation against the cached namespaces, then building the objects (once).

Validation runs on the builders before the objects are built, so schema errors are reported even when
building fails (where NWB Inspector reports one read error and nothing else).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator

import h5py

from nwbtms.validate.context import FileContext
from nwbtms.validate.registry import NWB_BUILD, NWB_SCHEMA, Hit

#: spec fingerprint -> (namespaces to validate against, their catalog); files of one converter share specs,
#: and resolving the cached specs costs seconds per file.
_CATALOGS: dict[str, tuple[list[str], object]] = {}


def _spec_fingerprint(h5: h5py.File) -> str | None:
    specs = h5.get("specifications")
    if not isinstance(specs, h5py.Group):
        return None
    digest = hashlib.sha256()

    def add(name: str, obj) -> None:
        if isinstance(obj, h5py.Dataset):
            digest.update(name.encode())
            value = obj[()]
            digest.update(value if isinstance(value, bytes) else str(value).encode())

    specs.visititems(add)
    return digest.hexdigest()


def validate_against_cached(ctx: FileContext) -> list:
    """pynwb validation against the namespaces cached in the file (as ``pynwb.validate(io=...)``), with the
    resolved cached specs reused across files that cache identical specs."""
    from hdmf.validate import ValidatorMap
    from pynwb import validate
    from pynwb.validation import get_cached_namespaces_to_validate

    key = _spec_fingerprint(ctx.h5)
    if key is None:
        return validate(io=ctx.io)  # no cached specs: pynwb falls back to core
    if key not in _CATALOGS:
        names, manager, _ = get_cached_namespaces_to_validate(io=ctx.io)
        if not names or manager is None:
            return validate(io=ctx.io)
        _CATALOGS[key] = (names, manager.namespace_catalog)
    names, catalog = _CATALOGS[key]
    builder = ctx.io.read_builder()
    errors = []
    for name in names:
        errors += ValidatorMap(catalog.get_namespace(name=name)).validate(builder)
    return errors


def validate_schema(ctx: FileContext) -> Iterator[Hit]:
    """Yield one hit per pynwb validation error (namespaces cached in the file)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = validate_against_cached(ctx)
    except Exception as exc:  # the validator itself failed on a malformed file
        yield NWB_SCHEMA.hit(f"schema validation could not run: {type(exc).__name__}: {exc}")
        return
    for error in errors:
        location = getattr(error, "location", None) or None
        if location and not location.startswith("/"):
            location = "/" + location
        yield NWB_SCHEMA.hit(f"{getattr(error, 'name', '')}: {getattr(error, 'reason', str(error))}".strip(": "),
                             location=location)


def build_objects(ctx: FileContext) -> Iterator[Hit]:
    """Build the pynwb objects into ``ctx.nwbfile`` (from the builders already read); a failure is one hit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx.nwbfile = ctx.io.read()
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        yield NWB_BUILD.hit(f"pynwb could not build the objects: {type(exc).__name__}: {message}")
