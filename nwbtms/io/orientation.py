"""The one rule for a three-letter axis orientation (RAS, LPI, ...) of stereotaxic and other coordinates.

Each letter names the positive direction of x, y and z: R/L (right/left), A/P (anterior/posterior), S/I
(superior/dorsal, inferior/ventral). A valid orientation names each of the three axes exactly once, in either
case. The session schema refers to this rule as the JSON Schema format :data:`ORIENTATION_FORMAT`, so every
field that uses ``$defs/orientation`` is checked (and located) when the metadata file is loaded.
"""

from __future__ import annotations

#: JSON Schema ``format`` name of an orientation (``schemas/session.schema.json``, ``$defs/orientation``).
ORIENTATION_FORMAT = "axis-orientation"

#: letter -> (axis, sign): AP + anterior, ML + right, DV + dorsal (superior).
AXIS_OF_LETTER = {"A": ("ap", 1.0), "P": ("ap", -1.0), "R": ("ml", 1.0), "L": ("ml", -1.0),
                  "S": ("dv", 1.0), "I": ("dv", -1.0)}
#: What is allowed, for error messages.
ALLOWED = "three letters naming each axis once: one of R/L, one of A/P, one of S/I (e.g. RAS, LPI, ASR)"


def orientation_axes(orientation: str) -> tuple[tuple[str, float], ...]:
    """``(axis, sign)`` of x, y and z for ``orientation``.

    Raises
    ------
    ValueError
        When ``orientation`` is not three letters that name each axis once (the message says why).
    """
    text = orientation.upper() if isinstance(orientation, str) else ""
    if len(text) != 3 or any(letter not in AXIS_OF_LETTER for letter in text):
        raise ValueError(f"{orientation!r} is not an axis orientation; use {ALLOWED}")
    axes = [AXIS_OF_LETTER[letter] for letter in text]
    names = [axis for axis, _ in axes]
    twice = sorted({a for a in names if names.count(a) > 1})
    if twice:
        missing = sorted({"ap", "ml", "dv"} - set(names))
        raise ValueError(f"{orientation!r} names the {'/'.join(twice).upper()} axis twice and "
                         f"the {'/'.join(missing).upper()} axis not at all")
    return tuple(axes)


def is_orientation(value: object) -> bool:
    """Whether ``value`` is a valid orientation; values that are not strings are left to the ``type`` rule."""
    if not isinstance(value, str) or len(value) != 3 or any(c not in AXIS_OF_LETTER for c in value.upper()):
        return True  # not a string or not three axis letters: the schema's type and pattern report it
    orientation_axes(value)  # raises ValueError, which the schema format checker reports as the cause
    return True
