"""A static file server on loopback: the built site and the browser sample (tests, scripts)."""

from __future__ import annotations

import functools
import gzip
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _GzipHandler(_QuietHandler):
    """Compresses text files for clients that accept gzip, as static hosts do."""

    TEXT = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt")

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.suffix in self.TEXT and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


# How often a server's loop looks whether it is asked to stop: its stop waits up to this. With
# Python's default (0.5 s), each test that served a page paid a quarter of a second on average.
STOP_CHECK_S = 0.02


@contextmanager
def in_background(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """`server` answering in a background thread for the `with` block; then stopped, its port
    closed."""
    threading.Thread(target=server.serve_forever, args=(STOP_CHECK_S,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_folder(folder: Path, host: str, compress: bool = False) -> Iterator[ThreadingHTTPServer]:
    """A static file server for `folder` on `host` and a free port, for the `with` block."""
    handler = functools.partial(_GzipHandler if compress else _QuietHandler, directory=str(folder))
    with in_background(ThreadingHTTPServer((host, 0), handler)) as server:
        yield server
