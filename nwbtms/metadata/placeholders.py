"""The explicit placeholder marker that ``nwbtms init`` writes for every required unknown.

A placeholder is a string ``"<FILL ME: what to write here>"``. It is valid YAML anywhere (also where a
number is expected), easy to search for, and :func:`find_placeholders` finds every one left, so
``nwbtms convert`` can refuse to run and list them with their lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PLACEHOLDER_PREFIX = "<FILL ME"


def placeholder(what: str) -> str:
    """The marker for an unknown value: ``<FILL ME: what>``."""
    return f"{PLACEHOLDER_PREFIX}: {what}>"


def is_placeholder(value: Any) -> bool:
    """True for a string that contains the placeholder marker."""
    return isinstance(value, str) and PLACEHOLDER_PREFIX in value


def pointer_escape(key: str) -> str:
    """Escape one JSON-pointer token (RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def find_placeholders(data: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(json_pointer, text)`` for every placeholder left in ``data`` (keys and values)."""
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{pointer}/{pointer_escape(key)}"
            if is_placeholder(key):
                yield child, str(key)
            yield from find_placeholders(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_placeholders(value, f"{pointer}/{index}")
    elif is_placeholder(data):
        yield pointer or "/", data
