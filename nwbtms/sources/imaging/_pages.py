"""Page-level TIFF access shared by the TIFF-based readers: scan pages once, read single pages later.

tifffile parses the TIFF structure; this module only turns its failures (truncated data, broken IFD
chains it merely logs, pages of another shape) into :class:`SourceError` naming the file and page.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from nwbtms.errors import SourceError

_TIFFFILE_LOGGER = logging.getLogger("tifffile")


class _Collect(logging.Handler):
    """Collects tifffile's logged errors (it logs, rather than raises, on a broken IFD chain)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def tifffile_errors(path: Path) -> Iterator[None]:
    """Turn tifffile exceptions and logged errors inside the block into :class:`SourceError`."""
    handler = _Collect()
    _TIFFFILE_LOGGER.addHandler(handler)
    try:
        yield
    except (tifffile.TiffFileError, ValueError, OSError, EOFError, IndexError) as exc:
        raise SourceError(
            f"cannot read TIFF: {exc}", file=path,
            hint="the file is truncated or corrupted; copy it again from the acquisition computer",
        ) from exc
    finally:
        _TIFFFILE_LOGGER.removeHandler(handler)
    if handler.messages:
        raise SourceError(
            f"corrupted or truncated TIFF: {handler.messages[0]}", file=path,
            hint="the file is truncated or corrupted; copy it again from the acquisition computer",
        )


def open_tiff(path: Path) -> tifffile.TiffFile:
    """Open ``path`` with tifffile, page by page (no ScanImage virtual frames, no OME series)."""
    # is_scanimage=False: tifffile would otherwise replace pages of pre-2016 ScanImage files with
    # virtual frames computed from the file size, which hides per-frame descriptions and truncation.
    return tifffile.TiffFile(path, is_scanimage=False, is_ome=False, is_imagej=False, is_shaped=False)


@dataclass(frozen=True)
class PageInfo:
    """What a scan learns about one page: shape, dtype and description."""

    shape: tuple[int, ...]
    dtype: np.dtype
    description: str


def scan_pages(path: Path, *, descriptions: bool = False) -> list[PageInfo]:
    """Read every IFD of ``path`` (not the pixels) and check that page data lies inside the file.

    Raises
    ------
    SourceError
        The file is not a TIFF, its IFD chain is broken, or a page's data runs past the end (truncated).
    """
    pages: list[PageInfo] = []
    with tifffile_errors(path):
        with open_tiff(path) as tif:
            size = tif.filehandle.size
            for index, page in enumerate(tif.pages):
                if not isinstance(page, tifffile.TiffPage):  # pragma: no cover - frames disabled above
                    page = page.aspage()
                ends = [o + c for o, c in zip(page.dataoffsets, page.databytecounts, strict=False)]
                if not ends or max(ends) > size or 0 in page.databytecounts:
                    raise SourceError(
                        f"page {index} data ends at byte {max(ends, default=0)} but the file has {size} "
                        f"bytes (truncated)", file=path, field=f"page {index}",
                        hint="the file is truncated; copy it again from the acquisition computer",
                    )
                pages.append(PageInfo(tuple(page.shape), np.dtype(page.dtype),
                                      page.description if descriptions else ""))
    if not pages:
        raise SourceError("TIFF has no pages", file=path)
    return pages


def check_uniform(path: Path, pages: list[PageInfo], shape: tuple[int, ...], dtype: np.dtype,
                  first_index: int = 0) -> None:
    """Raise :class:`SourceError` at the first page whose shape or dtype differs from the movie's."""
    for index, page in enumerate(pages):
        if page.shape != shape:
            raise SourceError(
                f"page {first_index + index} has shape {page.shape}, the movie's frames are {shape}",
                file=path, field=f"page {index}",
                hint="frames of differing shape cannot form one movie; split the acquisition",
            )
        if page.dtype != dtype:
            raise SourceError(
                f"page {first_index + index} has dtype {page.dtype}, the movie's frames are {dtype}",
                file=path, field=f"page {index}",
            )


class PageReader:
    """Reads single pages, keeping one TIFF open at a time (files are visited in order)."""

    def __init__(self, frame_shape: tuple[int, int], dtype: np.dtype) -> None:
        self.frame_shape = tuple(frame_shape)
        self.dtype = np.dtype(dtype)
        self._path: Path | None = None
        self._tif: tifffile.TiffFile | None = None

    def read_into(self, out: np.ndarray, path: Path, page_index: int) -> None:
        """Read page ``page_index`` of ``path`` into ``out`` (shape and dtype checked)."""
        with tifffile_errors(path):
            if self._path != path:
                self.close()
                self._tif = open_tiff(path)
                self._path = path
            assert self._tif is not None
            try:
                page = self._tif.pages[page_index]
            except IndexError:
                raise SourceError(f"page {page_index} is missing", file=path, field=f"page {page_index}",
                                  hint="the file is truncated or belongs to another acquisition") from None
            if tuple(page.shape) != self.frame_shape or np.dtype(page.dtype) != self.dtype:
                raise SourceError(
                    f"page {page_index} is {tuple(page.shape)} {page.dtype}, the movie's frames are "
                    f"{self.frame_shape} {self.dtype}", file=path, field=f"page {page_index}",
                    hint="frames of differing shape cannot form one movie",
                )
            out[...] = page.asarray()

    def close(self) -> None:
        """Close the open file, if any."""
        if self._tif is not None:
            self._tif.close()
        self._tif = None
        self._path = None

    def __enter__(self) -> PageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
