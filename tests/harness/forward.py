"""A loopback forwarder to the live server that notes each request it passes on (method, path):
to see what a browser or an SDK really sends, such as a preflight, and what it never sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from site_tools.static import in_background

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding",
              "content-length", "host"}  # fmt: skip


@contextmanager
def forwarder(target: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(its URL, the requests it passed on) while the `with` block runs."""
    seen: list[tuple[str, str]] = []

    class Forward(BaseHTTPRequestHandler):
        def forward(self) -> None:
            seen.append((self.command, self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = requests.request(self.command, target + self.path, headers=headers,
                                      data=body, timeout=10, allow_redirects=False)  # fmt: skip
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_OPTIONS = forward  # noqa: N815 (the names http.server calls)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with in_background(ThreadingHTTPServer(("127.0.0.1", 0), Forward)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
