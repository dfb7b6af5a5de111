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
    return (session or requests).request(
        method, f"{unleash.url}{path}", headers=headers, timeout=TIMEOUT, **kwargs
    )


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
