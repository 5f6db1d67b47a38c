"""Downloads against a local HTTP server on 127.0.0.1: checksums, resuming an interrupted transfer
with a Range request, and a clear message when the server cannot be reached."""
from __future__ import annotations

import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from engine.data import DataError, InputSpec, load_dataset
from engine.data.download import DownloadError, fetch

PAYLOAD = bytes(range(256)) * 400          # 102,400 bytes


class Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}
    cut_after: int | None = None           # send only this many bytes of the next full response
    ranges: list = []

    def do_GET(self):
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        Handler.ranges.append(header)
        if header:
            start = int(header.split("=")[1].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        data = body[start:]
        if Handler.cut_after is not None and not header:
            data, Handler.cut_after = data[:Handler.cut_after], None
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.files, Handler.cut_after, Handler.ranges = {"/data.bin": PAYLOAD}, None, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_checks_the_published_checksum(server, tmp_path):
    seen = []
    path = fetch(f"{server}/data.bin", tmp_path / "data.bin", ("sha256", hashlib.sha256(PAYLOAD).hexdigest()),
                 progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == PAYLOAD and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert not (tmp_path / "data.bin.part").exists()


def test_checksum_mismatch_removes_the_file_and_says_so(server, tmp_path):
    with pytest.raises(DownloadError, match=r"data.bin from .* is damaged: its MD5 is [0-9a-f]{32}, expected 0+"):
        fetch(f"{server}/data.bin", tmp_path / "data.bin", ("md5", "0" * 32))
    assert not (tmp_path / "data.bin").exists() and not (tmp_path / "data.bin.part").exists()


def test_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    Handler.cut_after = 30_000
    digest = ("md5", hashlib.md5(PAYLOAD).hexdigest())
    with pytest.raises(DownloadError, match="interrupted after 30,000 of 102,400 bytes; run again to resume"):
        fetch(f"{server}/data.bin", tmp_path / "data.bin", digest)
    assert (tmp_path / "data.bin.part").stat().st_size == 30_000
    path = fetch(f"{server}/data.bin", tmp_path / "data.bin", digest)
    assert path.read_bytes() == PAYLOAD
    assert Handler.ranges == [None, "bytes=30000-"]


def test_unreachable_server_gives_an_offline_message(tmp_path):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=r"127.0.0.1:\d+ cannot be reached .*--data-dir"):
        fetch(f"http://127.0.0.1:{port}/x.gz", tmp_path / "x.gz")


def test_mnist_downloads_into_the_cache_and_refuses_a_damaged_copy(server, tmp_path, monkeypatch):
    monkeypatch.setenv("NETWRIGHT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NETWRIGHT_MNIST_URL", server + "/mnist/")
    Handler.files["/mnist/train-images-idx3-ubyte.gz"] = b"not the real file"
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz .* is damaged: its MD5"):
        load_dataset("mnist", InputSpec("input", (1, 28, 28)))
    assert not list((tmp_path / "cache" / "mnist").glob("*.gz"))


def test_mnist_offline_message_suggests_data_dir(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("NETWRIGHT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NETWRIGHT_MNIST_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(DataError, match="cannot be reached .* pass its folder with --data-dir"):
        load_dataset("mnist", InputSpec("input", (1, 28, 28)))


def test_cached_files_are_used_without_a_server(tmp_path, monkeypatch):
    import gzip
    import struct
    folder = tmp_path / "cache" / "fashion-mnist"
    folder.mkdir(parents=True)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, 3, 28, 28) + bytes(3 * 28 * 28))
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2049, 3) + bytes([0, 1, 9]))
    monkeypatch.setenv("NETWRIGHT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NETWRIGHT_FASHION_MNIST_URL", "http://127.0.0.1:9/")
    ds = load_dataset("fashion-mnist", InputSpec("input", (1, 28, 28)))
    assert ds.y.tolist() == [0, 1, 9] and ds.classes[9] == "Ankle boot" and np.isfinite(ds.x).all()
