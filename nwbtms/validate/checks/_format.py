"""Numbers in messages as plain text (``250.0``, not ``np.float64(250.0)``)."""

from __future__ import annotations

import numbers


def plain(value) -> str:
    """``value`` as a plain Python number's repr (numpy scalars unwrapped), anything else as ``str``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)
