"""Step 2: namespaces used are cached, cached extensions are used, and the ndx-tms version is reported."""

from __future__ import annotations

import json
from collections.abc import Iterator

import h5py

from nwbtms.validate.checks._shared import PassHits, shared
from nwbtms.validate.context import FileContext
from nwbtms.validate.findings import Severity
from nwbtms.validate.registry import Hit, define, register_check

NWB_NAMESPACE_UNCACHED = define(
    "nwb.namespaces.uncached", Severity.CRITICAL, 2, "Every namespace used by a neurodata type is cached in the file.",
    "Write with cache_spec=True (the default) from a process that imported the extension.")
NWB_NAMESPACE_UNUSED = define(
    "nwb.namespaces.unused", Severity.BEST_PRACTICE_SUGGESTION, 2,
    "No extension namespace is cached without being used.",
    "Write from a process that imports only the extensions the file uses (pynwb issue 1777).")
NWB_NDX_TMS_VERSION = define("nwb.namespaces.ndx_tms_version", Severity.INFO, 2, "Reports the cached ndx-tms version.",
                             "Nothing to fix.")

#: Namespaces pynwb always caches with core; never "unused extensions".
BASE_NAMESPACES = frozenset({"core", "hdmf-common", "hdmf-experimental"})


def cached_namespaces(h5: h5py.File) -> tuple[dict[str, str], dict[str, set[str]]]:
    """``{namespace: newest cached version}`` and ``{namespace: namespaces it includes}`` from /specifications."""
    versions: dict[str, str] = {}
    includes: dict[str, set[str]] = {}
    specloc = h5.get("specifications")
    if not isinstance(specloc, h5py.Group):
        return versions, includes
    for name, group in specloc.items():
        if not isinstance(group, h5py.Group) or not len(group):
            continue
        version = sorted(group.keys(), key=_version_key)[-1]
        versions[name] = version
        includes[name] = set()
        text = group[version].get("namespace")
        if isinstance(text, h5py.Dataset):
            try:
                raw = text[()]
                spec = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
                for ns in spec.get("namespaces", []):
                    includes[name] |= {s["namespace"] for s in ns.get("schema", []) if "namespace" in s}
            except (ValueError, KeyError, TypeError):
                pass
    return versions, includes


def _version_key(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in text.replace("-", ".").split("."))


@shared(NWB_NAMESPACE_UNCACHED, NWB_NAMESPACE_UNUSED, NWB_NDX_TMS_VERSION)
def namespaces_pass(ctx: FileContext, hits: PassHits) -> None:
    """Read the cached specifications once (setting ``ctx.cached_namespaces``) for the three namespace checks."""
    versions, includes = cached_namespaces(ctx.h5)
    ctx.cached_namespaces = versions
    used = ctx.tree.namespaces_used() - {""}
    hits.guard(NWB_NAMESPACE_UNCACHED, _uncached, ctx, used, versions)
    hits.guard(NWB_NAMESPACE_UNUSED, _unused, used, versions, includes)
    hits.guard(NWB_NDX_TMS_VERSION, _ndx_tms_version, versions)


@register_check(NWB_NAMESPACE_UNCACHED, neurodata_type=None)
def check_namespaces_cached(ctx: FileContext) -> Iterator[Hit]:
    """Every namespace of a neurodata type in the file is cached (one read of /specifications for the three
    namespace checks: :func:`namespaces_pass`, which sets ``ctx.cached_namespaces``)."""
    yield from namespaces_pass.hits(NWB_NAMESPACE_UNCACHED, ctx)


@register_check(NWB_NAMESPACE_UNUSED, neurodata_type=None)
def check_namespaces_used(ctx: FileContext) -> Iterator[Hit]:
    """No extension namespace is cached without an object using it."""
    yield from namespaces_pass.hits(NWB_NAMESPACE_UNUSED, ctx)


@register_check(NWB_NDX_TMS_VERSION, neurodata_type=None)
def check_ndx_tms_version(ctx: FileContext) -> Iterator[Hit]:
    """Notes the cached ndx-tms version and the layout it implies."""
    yield from namespaces_pass.hits(NWB_NDX_TMS_VERSION, ctx)


def _uncached(ctx: FileContext, used: set[str], versions: dict[str, str]) -> Iterator[Hit]:
    for ns in sorted(used - set(versions)):
        where = next(p for p, (n, _) in ctx.tree.typed.items() if n == ns)
        yield NWB_NAMESPACE_UNCACHED.hit(
            f"namespace {ns!r} is used (e.g. by {where}) but its specification is not cached in the file",
            location="/specifications")


def _unused(used: set[str], versions: dict[str, str], includes: dict[str, set[str]]) -> Iterator[Hit]:
    needed = set(used)
    frontier = list(used)
    while frontier:
        for inc in includes.get(frontier.pop(), ()):
            if inc not in needed:
                needed.add(inc)
                frontier.append(inc)
    for ns in sorted(set(versions) - needed - BASE_NAMESPACES):
        yield NWB_NAMESPACE_UNUSED.hit(
            f"extension namespace {ns!r} {versions[ns]} is cached but no object uses it",
            location=f"/specifications/{ns}")


def _ndx_tms_version(versions: dict[str, str]) -> Iterator[Hit]:
    if "ndx-tms" in versions:
        version = versions["ndx-tms"]
        layout = ("0.1 layout: pulses, sessions and adverse events in /general/tms; read with the file's own spec"
                  if version.startswith("0.1.") else
                  "0.2 layout: pulses and adverse events in /events, sessions in /intervals")
        yield NWB_NDX_TMS_VERSION.hit(f"ndx-tms {version} cached ({layout})", location="/specifications/ndx-tms")
