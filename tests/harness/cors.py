"""A server's allowed CORS origins: changed by one run at a time, and put back afterwards."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator

import pytest

from unleash_api import call
from unleash_sandbox import Sandbox, native

CORS = "/api/admin/ui-config/cors"


def allowed_origins(unleash: Sandbox) -> list[str]:
    origins: list[str] = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()[
        "frontendApiOrigins"
    ]
    return origins


@pytest.fixture
def origins(unleash: Sandbox) -> Iterator[Callable[[list[str]], int]]:
    """Set the allowed origins (and apply them at once); the old list is put back afterwards."""
    lock = native.cache_dir() / "locks" / "cors.lock"  # one file, shared by all runs and servers
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.open("w")
    fcntl.flock(handle, fcntl.LOCK_EX)  # one run at a time changes a server's origins
    before = allowed_origins(unleash)

    def set_origins(new: list[str]) -> int:
        status = call(
            unleash, "POST", CORS, unleash.admin_token, json={"frontendApiOrigins": new}
        ).status_code
        allowed_origins(unleash)  # reading the UI config reloads the setting, as the page says
        return status

    try:
        yield set_origins
    finally:
        set_origins(before)
        handle.close()
