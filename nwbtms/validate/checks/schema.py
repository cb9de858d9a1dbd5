"""Step 3: pynwb validation against the cached namespaces, then building the objects (once).

Validation runs on the builders before the objects are built, so schema errors are reported even when
building fails (where NWB Inspector reports one read error and nothing else). Both use the builders read
once by the runner; the validators resolved from the cached specs are kept per spec fingerprint, so files
written by one converter resolve them once per process.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator

import h5py

from nwbtms.validate.context import FileContext
from nwbtms.validate.registry import NWB_BUILD, NWB_SCHEMA, Hit

#: spec fingerprint -> one hdmf ValidatorMap per namespace to validate against; files of one converter share
#: specs, and resolving the cached specs (and the validators built from them) costs seconds per file.
_VALIDATORS: dict[str, list] = {}


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


def cached_validators(ctx: FileContext) -> list | None:
    """One hdmf ``ValidatorMap`` per namespace pynwb would validate against (the most specific namespaces
    cached in the file, resolved from the cached specs alone), reused across files that cache identical
    specs; None when the file caches no specs (pynwb then falls back to core)."""
    from hdmf.validate import ValidatorMap
    from pynwb.validation import get_cached_namespaces_to_validate

    key = _spec_fingerprint(ctx.h5)
    if key is None:
        return None
    if key not in _VALIDATORS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names, manager, _ = get_cached_namespaces_to_validate(io=ctx.io)
        if not names or manager is None:
            return None
        catalog = manager.namespace_catalog
        _VALIDATORS[key] = [ValidatorMap(catalog.get_namespace(name=name)) for name in names]
    return _VALIDATORS[key]


def validate_against_cached(ctx: FileContext, validators: list | None) -> list:
    """pynwb validation errors of the builders already read (as ``pynwb.validate(io=...)`` against the
    cached namespaces)."""
    from pynwb import validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if validators is None:
            return validate(io=ctx.io)
        builder = ctx.io.read_builder()  # hdmf keeps the builders it read: this is no second read
        errors = []
        for validator in validators:
            errors += validator.validate(builder)
        return errors


def validate_schema(ctx: FileContext) -> Iterator[Hit]:
    """Yield one hit per pynwb validation error (namespaces cached in the file)."""
    try:
        errors = validate_against_cached(ctx, cached_validators(ctx))
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
