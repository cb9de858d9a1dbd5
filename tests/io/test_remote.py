"""Remote files by byte ranges: URL forms, the range probe, the byte count, servers that ignore Range."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nwbtms.errors import InputError
from nwbtms.io.remote import http_url, is_url, open_remote, url_name

pytest.importorskip("remfile")


def test_url_forms():
    assert is_url("https://api.dandiarchive.org/api/assets/abc/download/") and is_url("s3://bucket/a.nwb")
    assert not is_url("/data/a.nwb") and not is_url("C:/data/a.nwb")
    assert http_url("s3://dandiarchive/blobs/0a1/b2c") == "https://dandiarchive.s3.amazonaws.com/blobs/0a1/b2c"
    assert url_name("https://host/sub-1/sub-1_ses-a.nwb") == "sub-1_ses-a.nwb"
    assert url_name("https://api.dandiarchive.org/api/assets/abc/download/") == "download"
    with pytest.raises(InputError, match="bucket and a key"):
        http_url("s3://bucket-only")


def test_reads_ranges_and_counts_bytes(tmp_path):
    from nwbtms.io.testing import serve_files

    data = bytes(range(256)) * 4096  # 1 MiB
    (tmp_path / "f.bin").write_bytes(data)
    with serve_files(tmp_path) as server:
        remote = open_remote(server.url(tmp_path / "f.bin"))
        remote.seek(300_000)
        assert remote.read(10) == data[300_000:300_010]
        remote.seek(-5, 2)
        assert remote.read(100) == data[-5:]
        assert remote.size == len(data)
        assert 0 < remote.bytes_transferred == server.bytes_sent < len(data)
        assert "transferred" in remote.describe()
        remote.close()
        with pytest.raises(InputError, match="HTTP 404"):
            open_remote(server.base_url + "missing.bin")


def test_server_ignoring_range_is_refused(tmp_path):
    """A server answering a Range request with the whole file (200) is refused: reading would download it."""
    (tmp_path / "f.bin").write_bytes(b"x" * 1000)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(InputError, match="does not serve byte ranges"):
            open_remote(f"http://127.0.0.1:{httpd.server_address[1]}/f.bin")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_file_name_from_content_disposition(tmp_path):
    """A DANDI asset URL (``.../assets/<id>/download/``) names no file; the name S3 sends in
    Content-Disposition is the one HDF5 and NWB Inspector's file-extension check see."""
    from nwbtms.io.remote import _disposition_name
    from nwbtms.io.testing import serve_files

    assert _disposition_name('attachment; filename="sub-M001_ses-day1.nwb"') == "sub-M001_ses-day1.nwb"
    assert _disposition_name("attachment; filename*=UTF-8''sub-M%C3%BC.nwb") == "sub-Mü.nwb"
    assert _disposition_name("attachment; filename=../x.nwb") == ".._x.nwb"
    assert _disposition_name(None) is None
    blob = tmp_path / "blobs" / "0a1b2c"
    blob.parent.mkdir()
    blob.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with serve_files(tmp_path) as server:
        server.dispositions["/blobs/0a1b2c"] = "sub-M001_ses-day1.nwb"
        remote = open_remote(server.url(blob))
        assert remote.name == "sub-M001_ses-day1.nwb"
        assert repr(remote).endswith("/blobs/0a1b2c/sub-M001_ses-day1.nwb")
        remote.close()
