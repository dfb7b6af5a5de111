"""Effects that lag behind a server-side cache, measured in the background from session start."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from intervals import TOKEN_CACHE_S, deadline

from blocks import SHELL_FENCES, prerequisites, site_blocks
from harness.demo import Shell
from harness.run import start_early
from unleash_api import call, create_token, delete_token
from unleash_sandbox import Sandbox
from unleash_sandbox._util import healthy
from unleash_sandbox.installs import shared_lock
from unleash_sandbox.planted import PAGE_TOKEN_NAME
from version_notes import server_major

# --- Effects that lag behind a server-side cache ----------------------------------------------
# A deleted token keeps working until the server refreshes its token cache (about a minute).
# Waiting for that in a test would stall the run, so the wait starts in the background as soon as
# the session starts, and the tests marked `lagging` (run last) collect the results.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("lagging") is not None)


@contextmanager
def in_background(
    unleash: Sandbox, cleanup: Callable[[], None]
) -> Iterator[tuple[ThreadPoolExecutor, threading.Event]]:
    """Threads for waits that run while the session does, and the event that stops them when the
    session ends early (Ctrl-C, a fatal fault); at the end, the waits stop and `cleanup` runs,
    unless the server is gone (a server killed mid-run, by a fault test, has nothing to clean)."""
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=8)  # a thread per wait (they sleep): none queues
    try:
        yield pool, stop
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if healthy(unleash.url):
            cleanup()


# Tokens made with an expiry in the past, a backend and a front-end one
BORN_EXPIRED = ("born expired", "born expired front-end")


@pytest.fixture(scope="session")
def revocation_lags(unleash: Sandbox) -> Iterator[dict[str, Future[tuple[int, float]]]]:
    """Delete a backend and a front-end token now, give a third one an expiry in the past, and a
    fourth one, expired from the start, an expiry in the future; futures of (the status it got
    right after the change, seconds until its status changed: to 401 for the first three, to
    200 for the fourth), by "backend", "frontend", "expired", "renewed". And two tokens made
    with an expiry in the past (BORN_EXPIRED): (their status right after they were made,
    seconds until they are refused)."""
    endpoints = {"backend": "/api/client/features", "frontend": "/api/frontend",
                 "expired": "/api/client/features", "renewed": "/api/client/features",
                 BORN_EXPIRED[0]: "/api/client/features", BORN_EXPIRED[1]: "/api/frontend"}  # fmt: skip
    if server_major(unleash) < 8:  # a token made expired is accepted at first on 7 (version_notes)
        del endpoints["renewed"]
    secrets: dict[str, str] = {}
    born: dict[str, tuple[float, int]] = {}  # when each born-expired token was made, its status
    for kind, path in endpoints.items():
        past = {"expiresAt": "2020-01-01T00:00:00Z"} if kind in ("renewed", *BORN_EXPIRED) else {}
        made = create_token(unleash, name=f"revoke-{kind.replace(' ', '-')}",
                            type="frontend" if path == "/api/frontend" else "backend", **past)  # fmt: skip
        secrets[kind] = made["secret"]
        if kind in BORN_EXPIRED:
            born[kind] = time.monotonic(), call(unleash, "GET", path, secrets[kind]).status_code
            continue
        before = 401 if kind == "renewed" else 200
        assert call(unleash, "GET", path, secrets[kind]).status_code == before, kind

    def lag(kind: str, stop: threading.Event) -> tuple[int, float]:
        path, secret = endpoints[kind], secrets[kind]
        if kind in BORN_EXPIRED:  # nothing changes: it is refused from the start, or from a refresh
            began, right_after = born[kind]
            return right_after, refused_after(unleash, path, secret, stop, kind, began)
        token = f"/api/admin/api-tokens/{secret}"
        if kind in ("expired", "renewed"):
            when = "2020-01-01T00:00:00Z" if kind == "expired" else "2099-01-01T00:00:00Z"
            changed = call(unleash, "PUT", token, unleash.admin_token, json={"expiresAt": when})
        else:
            changed = call(unleash, "DELETE", token, unleash.admin_token)
        assert changed.status_code == 200
        began = time.monotonic()
        right_after = call(unleash, "GET", path, secret).status_code
        becomes = 200 if kind == "renewed" else 401
        lag = refused_after(unleash, path, secret, stop, f"the {kind} token", began, becomes)
        return right_after, lag

    def cleanup() -> None:  # the deleted ones are gone already
        for kind in ("expired", "renewed", *BORN_EXPIRED):
            if kind in secrets:
                delete_token(unleash, secrets[kind])

    with in_background(unleash, cleanup) as (pool, stop):
        yield {kind: pool.submit(lag, kind, stop) for kind in endpoints}


def refused_after(
    unleash: Sandbox,
    path: str,
    secret: str,
    stop: threading.Event,
    what: str,
    began: float | None = None,
    status: int = 401,
) -> float:
    """Seconds from `began` (default: now) until `path` answers `status` to `secret` (asked
    every 0.5 s, until the token cache's deadline)."""
    began = time.monotonic() if began is None else began
    while time.monotonic() - began < deadline(TOKEN_CACHE_S) and not stop.is_set():
        if call(unleash, "GET", path, secret).status_code == status:
            return time.monotonic() - began
        stop.wait(0.5)
    raise AssertionError(f"{what} did not get {status} within {time.monotonic() - began:.0f} s")


ROTATION = Path("how-to/how-to-rotate-an-api-token.md")


@pytest.fixture(scope="session")
def rotation(
    unleash: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Any], Future[float]]]:
    """The rotation guide's blocks, in page order, at session start (what the page builds on
    first): what the server answered on the way, and a future of seconds until the old secret
    is refused after its delete.

    The page's blocks run here at once, before any test, and the new token is deleted right after
    them: the last block deletes every token of the page's name but the newest, and the UI walk
    makes one of that name, so none of them may outlive this setup.
    """
    last = [b for b in site_blocks() if b.page == ROTATION and b.lang in SHELL_FENCES][-1]
    *creating, delete = [*prerequisites(last), last]
    shell = Shell({**os.environ, **unleash.env()}, tmp_path_factory.mktemp("rotation"))
    client = "/api/client/features"
    with shared_lock(PAGE_TOKEN_NAME):  # another run's blocks make tokens of this name too
        twin = call(unleash, "POST", "/api/admin/api-tokens", unleash.admin_token, json={
            "tokenName": PAGE_TOKEN_NAME, "type": "backend", "environment": "development",
            "projects": ["default"]}).json()["secret"]  # another deployment's: same name, scope  # fmt: skip
        seen: dict[str, Any] = {"twin": twin, "outputs": {}}
        for block in creating:
            done = shell.run(block)
            assert done.returncode == 0, f"{block.key} failed: {done.stderr}"
            seen["outputs"][block.section] = done.stdout
            if block.section == "new-token":
                created = time.monotonic()  # the new token: both secrets exist from here
        old, new = shell.env["OLD_SECRET"], shell.last_secret
        seen |= {"old": old, "new": new}
        seen["while both exist"] = [call(unleash, "GET", client, s).status_code for s in (old, new)]
        done = shell.run(delete)
        deleted_at = time.monotonic()
        seen["delete block"] = (done.returncode, done.stdout)
        seen["old right after the delete"] = call(unleash, "GET", client, old).status_code
        tokens = call(unleash, "GET", "/api/admin/api-tokens", unleash.admin_token).json()
        seen["listed after"] = [t["secret"] for t in tokens["tokens"]]
        seen["new after the delete"] = call(unleash, "GET", client, new).status_code
        seen["both existed for"] = deleted_at - created
        for secret in (new, twin):  # now: a token of the page's name must not meet other tests
            delete_token(unleash, secret)
    # the old token is deleted too, in case the page's delete block failed
    with in_background(unleash, lambda: delete_token(unleash, old)) as (pool, stop):
        lag = pool.submit(refused_after, unleash, client, old, stop, "the old secret", deleted_at)
        yield seen, lag


@pytest.fixture(scope="session", autouse=True)
def _start_lagging_probes(request: pytest.FixtureRequest) -> None:
    """Start the background waits at the beginning, when a lagging test is going to collect them."""
    for probe in ("rotation", "revocation_lags"):
        start_early(request, probe, "lagging")
