"""Effects that lag behind a server-side cache, measured in the background from session start."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from unleash_api import call, create_token, delete_token
from unleash_sandbox import Sandbox
from unleash_sandbox._util import healthy

# --- Effects that lag behind a server-side cache ----------------------------------------------
# A deleted token keeps working until the server refreshes its token cache (about a minute).
# Waiting for that in a test would stall the run, so the wait starts in the background as soon as
# the session starts, and the tests marked `lagging` (run last) collect the results.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("lagging") is not None)


@pytest.fixture(scope="session")
def revocation_lags(unleash: Sandbox) -> Iterator[dict[str, Future[float]]]:
    """Delete a backend and a front-end token now, and give a third one an expiry in the past;
    futures of seconds until each is refused ("backend", "frontend", "expired")."""
    endpoints = {"backend": "/api/client/features", "frontend": "/api/frontend",
                 "expired": "/api/client/features"}  # fmt: skip
    secrets: dict[str, str] = {}
    for kind, path in endpoints.items():
        made = create_token(unleash, name=f"revoke-{kind}",
                            type="frontend" if kind == "frontend" else "backend")  # fmt: skip
        secrets[kind] = made["secret"]
        assert call(unleash, "GET", path, secrets[kind]).status_code == 200

    stop = threading.Event()  # set when the session ends early (Ctrl-C, a fatal fault)

    def lag(kind: str) -> float:
        path, secret = endpoints[kind], secrets[kind]
        token = f"/api/admin/api-tokens/{secret}"
        if kind == "expired":
            past = {"expiresAt": "2020-01-01T00:00:00Z"}
            changed = call(unleash, "PUT", token, unleash.admin_token, json=past)
        else:
            changed = call(unleash, "DELETE", token, unleash.admin_token)
        assert changed.status_code == 200
        began = time.monotonic()
        while time.monotonic() - began < 90 and not stop.is_set():
            if call(unleash, "GET", path, secret).status_code == 401:
                return time.monotonic() - began
            stop.wait(0.5)
        seconds = time.monotonic() - began
        raise AssertionError(f"the {kind} token was still accepted after {seconds:.0f} s")

    pool = ThreadPoolExecutor(max_workers=len(endpoints))
    try:
        yield {kind: pool.submit(lag, kind) for kind in endpoints}
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if healthy(unleash.url):  # a server killed mid-run (a fault test) has nothing to clean
            delete_token(unleash, secrets["expired"])


@pytest.fixture(scope="session", autouse=True)
def _start_lagging_probes(request: pytest.FixtureRequest) -> None:
    """Start the background waits at the beginning, when a lagging test is going to collect them."""
    if any(item.get_closest_marker("lagging") for item in request.session.items):
        request.getfixturevalue("revocation_lags")
