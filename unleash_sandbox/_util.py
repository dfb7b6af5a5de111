"""Small helpers shared by the ways of getting a server: errors, HTTP, ports, polling, logs."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SandboxError(RuntimeError):
    """Something stops the sandbox from giving a server. The message says what and how to fix it."""


def http(
    method: str,
    url: str,
    token: str | None = None,
    body: Any = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """One HTTP call; returns (status, parsed JSON or text). Network failures raise OSError."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token is not None:
        request.add_header("Authorization", token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


def healthy(url: str, timeout: float = 1.0) -> bool:
    """True when `url`/health answers 200."""
    try:
        status, _ = http("GET", f"{url}/health", timeout=timeout)
    except OSError:
        return False
    return status == 200


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> str | None:
    """Why `port` on 127.0.0.1 cannot be listened on (None when it is free)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def check_port_free(port: int, change: str = "--port N") -> None:
    """Raise a SandboxError naming the port when something already listens on it.

    `change` tells how to pick another port where the error is read: `{port}` in it is filled
    in with a port that is free now (the next free one above, where there is one).
    """
    if (why := port_in_use(port)) is not None:
        near = (p for p in range(port + 1, min(port + 20, 65536)) if port_in_use(p) is None)
        other = next(near, None) or free_port()
        raise SandboxError(
            f"Port {port} on 127.0.0.1 is already in use ({why}). "
            f"Stop whatever listens there, or choose another port: {change.format(port=other)}"
        )


def poll(
    what: str,
    check: Callable[[], T | None],
    deadline_s: float,
    interval_s: float = 0.05,
    on_timeout: Callable[[], str] = lambda: "",
) -> T:
    """Call `check` until it returns something other than None, or raise after `deadline_s`."""
    end = time.monotonic() + deadline_s
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > end:
            raise SandboxError(
                f"Timed out after {deadline_s:.0f} s waiting for {what}.{on_timeout()}"
            )
        time.sleep(interval_s)


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, indented, for an error message."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "  (no log was written)"
    tail = text.rstrip().splitlines()[-lines:] or ["(the log is empty)"]
    return "\n".join(f"  | {line}" for line in tail)
