"""The one Unleash server of the session, its tokens, and users with a root role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

import unleash_sandbox
from harness.page import NO_SERVER, checked_page, serve_url
from harness.run import stop_after_this_test, stop_run
from unleash_api import RUN, call, create_token, delete_token
from unleash_sandbox import Sandbox, SandboxError, native
from unleash_sandbox._util import http, poll

_server: list[Sandbox] = []


@pytest.fixture(scope="session")
def unleash(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The live server every sample and claim is checked against (started once per session;
    a page check uses the sandbox `make serve` runs)."""
    pytestconfig = request.config
    checking = checked_page(pytestconfig) is not None
    source = (
        unleash_sandbox.attach(serve_url(pytestconfig)) if checking else unleash_sandbox.start()
    )
    with ExitStack() as stack:
        try:
            server = stack.enter_context(source)
        except SandboxError as error:
            stop_run(request.session, f"{NO_SERVER}: {error}", 3)
        _server.append(server)
        _logs[:] = native.log_files(server.pid) if server.mode == "native" and server.pid else []
        yield server
        _server.clear()  # stopping now: a failure from here on is not a server gone missing


_logs: list[Path] = []


# The settings of the session's second sandbox, for the claims that need a server started with
# settings of its own: start-up tokens in a list and under the old name, and a token limit
# (tests/test_claims_instances.py, tests/test_claims_changes.py).
SPECIAL_SETTINGS = {
    "INIT_BACKEND_API_TOKENS": "",  # left out: the backend tokens come only under the old name
    "INIT_CLIENT_API_TOKENS": "default:development.old-name",
    "INIT_FRONTEND_API_TOKENS": "default:development.first,default:production.second",
    "UNLEASH_API_TOKENS_LIMIT": "5",  # the four start-up tokens (with the admin one), and one more
}


@pytest.fixture(scope="session")
def special_server() -> Iterator[Sandbox]:
    """A second sandbox, started with SPECIAL_SETTINGS (only its admin token is the usual one)."""
    tokens = unleash_sandbox.SANDBOX_TOKENS
    with native.run(port=None, tokens=tokens, login=unleash_sandbox.SANDBOX_LOGIN,
                    extra_env=SPECIAL_SETTINGS) as (url, pid, database):  # fmt: skip
        yield Sandbox(url, tokens["admin"], "", "", "native", None, pid, database)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a test fails because the server is gone, stop the run with one message, not a hundred."""
    report = yield
    if report.failed and _server and not _answers(_server[0].url):
        where = _server[0].url
        failure = str(report.longrepr).strip().splitlines()[-1:] or ["(no message)"]
        # its folder goes when the session ends: the logs are kept where a failed start keeps its
        kept = f" Its logs: {native.keep_logs(_logs)}." if _logs else ""
        message = (
            f"The Unleash server at {where} {GONE} during {item.nodeid} "
            f"({report.when}), which failed with: {failure[0]}\n"
            f"Was it stopped or killed?{kept} Run `make test` again to start a new sandbox."
        )
        stop_after_this_test(item.session, message, 3)  # the failed test is reported first
    return report


GONE = "stopped answering"


def _answers(url: str, within: float = 10) -> bool:
    """True when the server answers its health check within `within` seconds (a busy machine
    can hold one answer up for a few seconds); False at once when nothing listens there."""

    def check() -> bool | None:
        try:
            status, _ = http("GET", f"{url}/health", timeout=2)
        except OSError as error:
            refused = isinstance(getattr(error, "reason", error), ConnectionRefusedError)
            return False if refused else None  # refused: nobody listens; else: ask again
        return True if status == 200 else None

    try:
        return poll("the server's health check", check, within, 0.5)
    except SandboxError:
        return False


@pytest.fixture
def sample_env(unleash: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the server's URL and tokens where the samples read them (also for in-process samples)."""
    for key, value in unleash.env().items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


@pytest.fixture
def make_token(unleash: Sandbox) -> Iterator[Callable[..., dict[str, Any]]]:
    """Create tokens for one test (run-unique names); all of them are deleted afterwards."""
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        token = create_token(unleash, **fields)
        made.append(token["secret"])
        return token

    yield make
    for secret in made:
        delete_token(unleash, secret)


ROLES = {"Admin": 1, "Editor": 2, "Viewer": 3}  # root role ids, as GET /api/admin/roles lists them


@pytest.fixture
def login_as(unleash: Sandbox) -> Iterator[Callable[[str], requests.Session]]:
    """A logged-in browser-like session of a new user with a root role; the user is deleted after."""
    made: list[int] = []

    def login(role: str) -> requests.Session:
        name = f"{RUN}-{role.lower()}-{len(made)}"
        password = f"Sandbox-{uuid.uuid4().hex}"
        user = call(
            unleash,
            "POST",
            "/api/admin/user-admin",
            unleash.admin_token,
            json={
                "username": name,
                "email": f"{name}@example.com",
                "name": role,
                "rootRole": ROLES[role],
                "password": password,
                "sendEmail": False,
            },
        )
        assert user.status_code == 201, user.text
        made.append(user.json()["id"])
        session = requests.Session()
        login = call(
            unleash,
            "POST",
            "/auth/simple/login",
            session=session,
            json={"username": name, "password": password},
        )
        assert login.status_code == 200, login.text
        return session

    yield login
    for user_id in made:
        call(unleash, "DELETE", f"/api/admin/user-admin/{user_id}", unleash.admin_token)


def personal_access_token(unleash: Sandbox, session: requests.Session) -> str:
    """A new personal access token of the user logged in to `session` (valid for a day)."""
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    made = call(unleash, "POST", "/api/admin/user/tokens", session=session,
                json={"description": f"{RUN}-pat", "expiresAt": expires})  # fmt: skip
    assert made.status_code == 201, made.text
    secret: str = made.json()["secret"]
    return secret
