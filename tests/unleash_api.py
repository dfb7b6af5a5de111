"""Small helpers the claim tests share: calls to the live server, and things made for one run.

Everything a test creates carries RUN (a run-unique prefix) and is removed afterwards, so the
suite can run against a server that is not ours, twice at once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from unleash_sandbox import Sandbox, SandboxError
from unleash_sandbox._util import poll

RUN = f"docs-test-{uuid.uuid4().hex[:8]}"
TIMEOUT = 10
T = TypeVar("T")


def call(
    unleash: Sandbox,
    method: str,
    path: str,
    token: str | None = None,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One request to the server, with a token (or none) or a logged-in session."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = token
    url = f"{unleash.url}{path}"
    if session is not None:
        return session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
    with requests.Session() as own:
        # A server on loopback is never reached through a proxy, so requests need not read the
        # proxy variables: it would iterate os.environ, which breaks in a background thread
        # while pytest changes PYTEST_CURRENT_TEST (a KeyError, seen once in a lagging wait).
        own.trust_env = urlsplit(url).hostname not in LOOPBACK
        return own.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))
    except ValueError:
        return response.text


def poll_until(
    what: str, check: Callable[[], T | None], deadline_s: float, every_s: float = 0.25
) -> tuple[T, float]:
    """The sandbox's poll, for tests: (value, seconds it took); a missed deadline fails the test."""
    began = time.monotonic()
    try:
        value = poll(what, check, deadline_s, every_s)
    except SandboxError as error:
        raise AssertionError(str(error)) from None
    return value, time.monotonic() - began


def create_token(unleash: Sandbox, **fields: Any) -> dict[str, Any]:
    """Create a token with the admin token; the caller deletes it (see the `token` fixture)."""
    body = {"tokenName": f"{RUN}-{fields.pop('name', 'token')}", **fields}
    response = call(unleash, "POST", "/api/admin/api-tokens", unleash.admin_token, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def delete_token(unleash: Sandbox, secret: str) -> None:
    call(unleash, "DELETE", f"/api/admin/api-tokens/{secret}", unleash.admin_token)


FEATURES = "/api/admin/projects/default/features"
# Unleash writes a flag's lifecycle stages in the background: `initial` a moment after the flag is
# made, `archived` a moment after it is archived (measured on 8.2: 0.7 and 0.9 s; 7.6.5 does the
# same). Each write first checks that the flag exists, then inserts the stage. When the flag is
# deleted between the two, the insert breaks a foreign key, nothing catches the error, and the
# server exits (seen in a run of the suite: the server's log ends with an insert into
# `feature_lifecycles` for a flag a test had just deleted). So delete_flags archives a flag only
# once its first stage is written, and deletes it only once its `archived` stage is.
STAGE_WAIT_S = 5  # a stage is written within about a second; a server that writes none waits this


def delete_flags(unleash: Sandbox, names: list[str]) -> None:
    """Archive and then delete these flags of the default project, together: the waits for their
    stages overlap. A flag that is not there is skipped."""
    admin = unleash.admin_token
    names = [n for n in names if call(unleash, "GET", f"{FEATURES}/{n}", admin).status_code == 200]
    if not names:
        return

    def written(stage: Callable[[list[str]], bool]) -> Callable[[], bool | None]:
        def check() -> bool | None:
            for name in names:
                answer = call(unleash, "GET", f"{FEATURES}/{name}/lifecycle", admin)
                if answer.status_code == 200 and not stage([s["stage"] for s in answer.json()]):
                    return None
            return True  # (a server without the lifecycle endpoint has nothing to wait for)

        return check

    recorded = _waited("the flags' first lifecycle stage", written(bool))
    for name in names:
        call(unleash, "DELETE", f"{FEATURES}/{name}", admin)  # archive ...
    if recorded:
        _waited("the flags' archived stage", written(lambda stages: "archived" in stages))
    for name in names:
        call(unleash, "DELETE", f"/api/admin/archive/{name}", admin)  # ... and delete


def _waited(what: str, check: Callable[[], bool | None]) -> bool:
    """Whether `check` passed within STAGE_WAIT_S (a server that writes no stages: it did not)."""
    try:
        poll(what, check, STAGE_WAIT_S, 0.1)
    except SandboxError:
        return False
    return True


@contextmanager
def tokens_named_in(unleash: Sandbox, code: str) -> Iterator[None]:
    """Delete the tokens a sample makes: new ones whose name (in quotes) its code mentions."""

    def secrets() -> dict[str, str]:
        tokens = call(unleash, "GET", "/api/admin/api-tokens", unleash.admin_token).json()["tokens"]
        return {t["secret"]: t["tokenName"] for t in tokens}

    before = secrets()
    try:
        yield
    finally:
        for secret, name in secrets().items():
            if secret not in before and (f'"{name}"' in code or f"'{name}'" in code):
                delete_token(unleash, secret)
