"""Remote NWB files read in place with HTTP byte-range requests, never downloaded whole.

``open_remote(url)`` returns a read-only file object for ``h5py.File``: :mod:`remfile` (extra
``nwbtms[remote]``; what NWB Inspector and the DANDI tools use to stream assets) fetches the byte ranges HDF5
asks for, so reading the metadata and the arrays a check scans transfers only those parts of the file.

- ``http(s)://`` URLs are read as given; redirects (a DANDI asset's ``.../download/`` URL answers with one to
  its S3 object) are followed once, when the file is first probed, and the final URL is read from then on.
- ``s3://bucket/key`` is read from the bucket's public HTTPS endpoint
  (``https://bucket.s3.amazonaws.com/key``, anonymous, as DANDI's public buckets allow).
- The file's name is the ``filename`` of the answer's ``Content-Disposition`` header when the server gives one
  (DANDI's asset download redirect asks S3 to send the asset's file name), else the URL's last path segment;
  it is the name HDF5 (and so NWB Inspector's file-extension check) sees.

The first request asks for byte 0 only: it proves the server honours ``Range`` (a server that answers with
the whole file is refused, as reading it would download everything) and gives the size from
``Content-Range``. :attr:`RemoteFile.bytes_transferred` counts the bytes of every response body.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlparse

from nwbtms.errors import InputError

#: Schemes read remotely.
SCHEMES = ("http", "https", "s3")
_URL = re.compile(r"^(https?|s3)://", re.IGNORECASE)
#: Seconds before a connection or a read gives up.
TIMEOUT_S = 60.0


def is_url(path: object) -> bool:
    """Whether ``path`` is an ``http(s)://`` or ``s3://`` URL (read remotely) rather than a local path."""
    return isinstance(path, str) and bool(_URL.match(path))


def http_url(url: str) -> str:
    """The HTTPS URL that serves ``url``: ``s3://bucket/key`` -> ``https://bucket.s3.amazonaws.com/key``."""
    parsed = urlparse(url)
    if parsed.scheme.lower() == "s3":
        if not parsed.netloc or not parsed.path.strip("/"):
            raise InputError("an s3 URL needs a bucket and a key", file=url, hint="s3://bucket/path/to/file.nwb")
        return f"https://{parsed.netloc}.s3.amazonaws.com/{parsed.path.lstrip('/')}"
    return url


def url_name(url: str) -> str:
    """The last non-empty path segment of ``url`` (``file.nwb``; ``download`` for a DANDI asset URL)."""
    segments = [s for s in urlparse(url).path.split("/") if s]
    return unquote(segments[-1]) if segments else urlparse(url).netloc


def _disposition_name(header: str | None) -> str | None:
    """``filename`` of a ``Content-Disposition`` header (RFC 6266; ``filename*=UTF-8''...`` preferred)."""
    if not header:
        return None
    extended = re.search(r"filename\*\s*=\s*[^']*'[^']*'([^;]+)", header, re.IGNORECASE)
    if extended:
        return unquote(extended.group(1).strip().strip('"')).replace("/", "_").replace("\\", "_") or None
    plain = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', header, re.IGNORECASE)
    if plain:
        name = (plain.group(1) if plain.group(1) is not None else plain.group(2)).strip()
        return name.replace("/", "_").replace("\\", "_") or None
    return None


def _requests():
    try:
        import remfile  # noqa: F401  (checked here, used by RemoteFile)
        import requests
    except ImportError as exc:
        raise InputError("reading NWB files from a URL needs remfile, which is not installed",
                         hint="pip install 'nwbtms[remote]'") from exc
    return requests


class RemoteFile:
    """A remote file opened for reading by range requests (a file object for ``h5py.File``).

    Attributes
    ----------
    url : str
        As given.
    resolved_url : str
        The URL read (after s3 mapping and redirects).
    name : str
        The file's name (``Content-Disposition`` filename, else the URL's last segment).
    size : int
        Bytes of the remote file.
    bytes_transferred : int
        Bytes of every response body received so far (the probe included).
    requests : int
        HTTP requests made so far.
    """

    def __init__(self, url: str) -> None:
        requests = _requests()
        import remfile

        self.url = url
        self.bytes_transferred = 0
        self.requests = 0
        self._lock = threading.Lock()
        session = requests.Session()
        session.hooks["response"].append(self._count)
        target = http_url(url)
        try:
            probe = session.get(target, headers={"Range": "bytes=0-0"}, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise InputError(f"cannot reach the file: {type(exc).__name__}: {exc}", file=url,
                             hint="check the URL and the network") from None
        if probe.status_code == 404:
            raise InputError("no file at this URL (HTTP 404)", file=url, hint="check the URL")
        if probe.status_code in (401, 403):
            raise InputError(f"access denied (HTTP {probe.status_code})", file=url,
                             hint="the file must be public, or use a presigned URL")
        # 416 "range not satisfiable" with "bytes */0": an empty file
        if probe.status_code not in (206, 416) or "Content-Range" not in probe.headers:
            raise InputError(f"the server does not serve byte ranges (HTTP {probe.status_code} to a Range request)",
                             file=url, hint="download the file and validate the local copy")
        match = re.search(r"/(\d+)\s*$", probe.headers["Content-Range"])
        if match is None:
            raise InputError(f"unreadable Content-Range {probe.headers['Content-Range']!r}", file=url)
        self.size = int(match.group(1))
        self.resolved_url = probe.url
        self.name = _disposition_name(probe.headers.get("Content-Disposition")) or url_name(url)
        self._remote = remfile.File(self.resolved_url, _size=self.size)
        # remfile's own session fetches the ranges: count its responses too
        if getattr(self._remote, "session", None) is not None:
            self._remote.session.hooks["response"].append(self._count)
        self._session = session

    def _count(self, response, *args, **kwargs):
        length = response.headers.get("Content-Length")
        with self._lock:
            self.requests += 1
            self.bytes_transferred += int(length) if length and length.isdigit() else len(response.content)
        return response

    def __repr__(self) -> str:
        # h5py names a file object by its repr; NWB Inspector reads the file name (extension) from it
        if url_name(self.url) == self.name:
            return self.url
        return f"{self.url.rstrip('/')}/{self.name}"

    # the file object h5py reads through
    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._remote.tell()
        size = max(0, min(size, self.size - self._remote.tell()))
        return self._remote.read(size) if size else b""

    def readinto(self, buffer) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer)[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._remote.seek(offset, whence)
        return self._remote.tell()

    def tell(self) -> int:
        return self._remote.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def close(self) -> None:
        self._session.close()
        session = getattr(self._remote, "session", None)
        if session is not None:
            session.close()

    def describe(self) -> str:
        """``1.2 MB of 340.0 MB transferred (0.35 %) in 14 requests``."""
        share = 100.0 * self.bytes_transferred / self.size if self.size else 0.0
        return (f"{self.bytes_transferred / 1e6:.1f} MB of {self.size / 1e6:.1f} MB transferred ({share:.2f} %) "
                f"in {self.requests} requests")


def open_remote(url: str) -> RemoteFile:
    """Open ``url`` for reading by byte ranges (see the module docstring).

    Raises
    ------
    InputError
        remfile is not installed, the URL cannot be reached or has no file, or the server ignores ``Range``.
    """
    return RemoteFile(url)
