"""One pass over a file's data shared by several check functions, each of which owns one check ID.

Every registered check function reports exactly one ID and runs under its own guard, so a crash is reported
under that ID and skips nothing else. When several IDs are found in one pass over the same data (every row
of the pulses table, every timestamp of a series), the pass is computed once per object and handed out by
ID: :func:`shared` wraps the pass, and each check function takes its own part::

    @shared(TMS_PULSE_FINITE, TMS_PULSE_ASCENDING)
    def _pulse_pass(pulses, hits: PassHits, *, chunk_elements: int) -> None:
        for start, times in iter_rows(pulses["timestamp"].data, chunk_elements=chunk_elements):
            hits.guard(TMS_PULSE_FINITE, finite.add, start, times)      # a crash here fails only this ID
            hits.guard(TMS_PULSE_ASCENDING, ascending.feed, start, times)
        ...

    @register_check(TMS_PULSE_FINITE, neurodata_type="TMSPulsesTable")
    def check_pulse_times_finite(pulses, *, chunk_elements=CHUNK_ELEMENTS):
        yield from _pulse_pass.hits(TMS_PULSE_FINITE, pulses, chunk_elements=chunk_elements)

The first check function to run on an object computes the pass; the others take their part from it. Each part
is handed out once: when every ID of the pass has taken its part the entry is dropped, and a check run again
on the same object (after the object changed, say) computes the pass afresh. An entry whose parts are not all
taken (a check not run in this profile) is dropped when its object is garbage-collected. An exception inside a
part (:meth:`PassHits.guard`) fails that ID only; an exception outside every part (reading the shared column)
fails every ID of the pass, each reported by the runner under its own ID.
"""

from __future__ import annotations

import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from nwbtms.validate.registry import CheckInfo, Hit


class PassHits:
    """The hits of one shared pass, by check ID; an ID whose part raised keeps the exception instead."""

    def __init__(self, checks: Iterable[CheckInfo]) -> None:
        self._hits: dict[str, list[Hit]] = {c.id: [] for c in checks}
        self._errors: dict[str, BaseException] = {}

    def failed(self, check: CheckInfo) -> bool:
        """Whether the part of ``check`` raised already (its later work is skipped)."""
        return check.id in self._errors

    def guard(self, check: CheckInfo, function: Callable[..., Any], *args, **kwargs) -> Any:
        """``function(*args, **kwargs)`` as part of ``check``: an exception fails that ID only (None returned);
        nothing runs once the ID has failed. Hits it returns or yields are added under their own check."""
        if check.id in self._errors:
            return None
        try:
            out = function(*args, **kwargs)
            if isinstance(out, Iterator):
                self.extend(out)
                return None
            return out
        except Exception as exc:  # noqa: BLE001 - reported under the part's own ID
            self.fail(check, exc)
            return None

    def fail(self, check: CheckInfo, exc: BaseException) -> None:
        """Record that the part of ``check`` raised ``exc`` (the first exception is kept)."""
        if exc.__traceback__ is not None:
            traceback.clear_frames(exc.__traceback__)  # keep where it failed, not the arrays its frames held
        self._errors.setdefault(check.id, exc)

    def add(self, hit: Hit, *, part: CheckInfo | None = None) -> None:
        """Add ``hit`` to the part of its check (one of the pass's IDs), or to ``part``'s (the ``inspector.*``
        findings NWB Inspector's run hands to ``inspector.run``)."""
        self._hits[(part or hit.check).id].append(hit)

    def extend(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.add(hit)

    def part(self, check: CheckInfo) -> list[Hit] | BaseException:
        """The hits of ``check``, or the exception its part raised."""
        return self._errors.get(check.id) or self._hits[check.id]


class _Entry:
    """One object's pass: the object (weakly), the IDs still to take their part, and the value."""

    __slots__ = ("ref", "pending", "value")

    def __init__(self, ref, pending: set[str], value: Any) -> None:
        self.ref, self.pending, self.value = ref, pending, value


class SharedPass:
    """A pass computed once per object and handed out to the check functions of its IDs (see :func:`shared`)."""

    def __init__(self, function: Callable[..., Any], checks: tuple[CheckInfo, ...], *, collects_hits: bool) -> None:
        self.function = function
        self.checks = checks
        self.ids = frozenset(c.id for c in checks)
        self.collects_hits = collects_hits
        self._entries: dict[tuple, _Entry] = {}
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__

    def __call__(self, obj, **kwargs) -> Any:
        """The pass computed now, never cached (for callers outside the validator)."""
        return self._compute(obj, kwargs)

    def _compute(self, obj, kwargs: dict) -> Any:
        if not self.collects_hits:
            return self.function(obj, **kwargs)
        hits = PassHits(self.checks)
        try:
            self.function(obj, hits, **kwargs)
        except Exception as exc:  # noqa: BLE001 - outside every part: every ID of the pass failed
            for check in self.checks:
                hits.fail(check, exc)
        return hits

    def take(self, check: CheckInfo, obj, **kwargs) -> Any:
        """The pass's value for ``check`` on ``obj`` (computed when no entry holds an untaken part of ``check``).

        Raises
        ------
        Exception
            Whatever the pass raised (a pass collecting hits never raises: see :meth:`hits`).
        """
        if check.id not in self.ids:
            raise ValueError(f"{check.id!r} is not one of the IDs of {self.__name__}")
        key = (id(obj), tuple(sorted(kwargs.items())))
        entry = self._entries.get(key)
        if entry is None or entry.ref() is not obj or check.id not in entry.pending:
            try:
                value = self._compute(obj, kwargs)
            except Exception as exc:  # noqa: BLE001 - handed out to every ID, each raises it under its own guard
                value = exc
            entry = self._store(key, obj, value)
        if entry is not None:
            entry.pending.discard(check.id)
            if not entry.pending:
                self._entries.pop(key, None)
            value = entry.value
        if isinstance(value, BaseException):
            raise value
        return value

    def hits(self, check: CheckInfo, obj, **kwargs) -> Iterator[Hit]:
        """The hits of ``check`` from the pass over ``obj``; raises what its part raised."""
        part = self.take(check, obj, **kwargs).part(check)
        if isinstance(part, BaseException):
            raise part
        yield from part

    def _store(self, key: tuple, obj, value: Any) -> _Entry | None:
        entries = self._entries

        def forget(ref, key=key) -> None:
            entry = entries.get(key)
            if entry is not None and entry.ref is ref:
                del entries[key]

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:  # an object that cannot be referenced weakly: computed for each ID, never cached
            entry = _Entry(lambda: obj, set(self.ids), value)
            return entry
        entry = _Entry(ref, set(self.ids), value)
        entries[key] = entry
        return entry


def shared(*checks: CheckInfo, collects_hits: bool = True) -> Callable[[Callable[..., Any]], SharedPass]:
    """Make the decorated function a pass shared by the check functions of ``checks`` (one ID each).

    With ``collects_hits`` (the default) the function is ``fn(obj, hits: PassHits, **kwargs) -> None`` and
    fills ``hits``; each check function yields its part with ``pass_.hits(ITS_ID, obj, **kwargs)``. Otherwise
    it is ``fn(obj, **kwargs) -> value`` (data several checks derive their hits from) and each check function
    gets the value with ``pass_.take(ITS_ID, obj, **kwargs)``.
    """
    def decorate(function: Callable[..., Any]) -> SharedPass:
        return SharedPass(function, checks, collects_hits=collects_hits)

    return decorate
