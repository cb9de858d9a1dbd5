"""A loopback HTTP server with byte-range support, for tests and benchmarks of remote reading.

``with serve_files(root) as server:`` serves the files below ``root`` on ``http://127.0.0.1:<free port>/``
from a thread, answering ``Range: bytes=a-b`` requests with ``206 Partial Content`` as S3 and DANDI do, and
counts the body bytes it sent (:attr:`RangeServer.bytes_sent`). It binds the loopback address only and stops
when the ``with`` block ends; each connection times out after :data:`SOCKET_TIMEOUT_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

#: Seconds a connection may stay idle before the server drops it.
SOCKET_TIMEOUT_S = 30.0
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeServer:
    """The running server: ``url(path)`` of a served file, ``bytes_sent`` and ``requests`` so far."""

    def __init__(self, root: Path, httpd: ThreadingHTTPServer) -> None:
        self.root = root
        #: URL path -> file name sent as ``Content-Disposition`` (as S3 does for DANDI asset downloads)
        self.dispositions: dict[str, str] = {}
        self._httpd = httpd
        self._bytes_sent = 0
        self.requests = 0
        self.lock = threading.Condition()
        self._answering = 0  # requests being answered (their bytes may not all be counted yet)

    @property
    def bytes_sent(self) -> int:
        """Body bytes sent, once every request being answered is done (a client may hold a whole response
        before the server's thread has counted its last block); waits up to :data:`SOCKET_TIMEOUT_S`."""
        with self.lock:
            self.lock.wait_for(lambda: self._answering == 0, timeout=SOCKET_TIMEOUT_S)
            return self._bytes_sent

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def url(self, path: str | os.PathLike) -> str:
        """URL of ``path`` (a file below the root)."""
        relative = Path(path).resolve().relative_to(self.root)
        return self.base_url + quote(relative.as_posix())

    def reset(self) -> None:
        """Set the counters to zero."""
        with self.lock:
            self._bytes_sent = 0
            self.requests = 0


def _handler(server: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_S
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # quiet
            return

        def _file(self) -> Path | None:
            relative = unquote(urlparse(self.path).path).lstrip("/")
            target = (server.root / relative).resolve()
            if server.root not in target.parents or not target.is_file():
                return None
            return target

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            self._counted(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._counted(body=True)

        def _counted(self, *, body: bool) -> None:
            with server.lock:
                server.requests += 1
                server._answering += 1
            try:
                self._answer(body=body)
            finally:
                with server.lock:
                    server._answering -= 1
                    server.lock.notify_all()

        def _answer(self, *, body: bool) -> None:
            target = self._file()
            if target is None:
                self.send_error(404)
                return
            size = target.stat().st_size
            start, stop = 0, size - 1
            match = _RANGE.match(self.headers.get("Range", "").strip())
            partial = match is not None and (match.group(1) or match.group(2))
            if partial:
                first, last = match.group(1), match.group(2)
                if first:
                    start, stop = int(first), min(int(last), size - 1) if last else size - 1
                else:  # suffix range: the last N bytes
                    start = max(0, size - int(last))
                if start >= size or start > stop:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            length = stop - start + 1
            self.send_response(206 if partial else 200)
            if partial:
                self.send_header("Content-Range", f"bytes {start}-{stop}/{size}")
            self.send_header("Accept-Ranges", "bytes")
            disposition = server.dispositions.get(urlparse(self.path).path)
            if disposition:
                self.send_header("Content-Disposition", f'attachment; filename="{disposition}"')
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if not body:
                return
            with open(target, "rb") as handle:
                handle.seek(start)
                remaining = length
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    while remaining:
                        block = handle.read(min(remaining, 1 << 20))
                        if not block:
                            break
                        self.wfile.write(block)
                        remaining -= len(block)
                        with server.lock:
                            server._bytes_sent += len(block)

    return Handler


@contextlib.contextmanager
def serve_files(root: str | os.PathLike) -> Iterator[RangeServer]:
    """Serve the files below ``root`` on the loopback address from a thread until the block ends."""
    root_path = Path(root).resolve()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = RangeServer(root_path, httpd)
    httpd.RequestHandlerClass = _handler(server)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              name="nwbtms-range-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=SOCKET_TIMEOUT_S)


def copy_tree(files: dict[str, Path], root: Path) -> dict[str, Path]:
    """Copy ``files`` (name -> path) below ``root``, keeping each file's own folder name, for serving."""
    copies = {}
    for name, path in files.items():
        target = root / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copies[name] = target
    return copies
