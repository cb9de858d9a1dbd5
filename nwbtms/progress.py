"""Progress bars that appear only for a person watching a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_enabled(quiet: bool = False) -> bool:
    """Whether to draw a bar: not with ``quiet``, and only when stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


def progress(
    iterable: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "it", quiet: bool = False
) -> Iterator[T]:
    """Iterate with a tqdm bar on stderr when :func:`progress_enabled`; otherwise plainly."""
    if not progress_enabled(quiet):
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)
