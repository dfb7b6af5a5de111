"""A server's allowed CORS origins: changed by one run at a time, and put back afterwards."""

from __future__ import annotations

import fcntl
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from unleash_api import call
from unleash_sandbox import Sandbox

CORS = "/api/admin/ui-config/cors"


def allowed_origins(unleash: Sandbox) -> list[str]:
    origins: list[str] = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()[
        "frontendApiOrigins"
    ]
    return origins


@pytest.fixture
def origins(unleash: Sandbox) -> Iterator[Callable[[list[str]], int]]:
    """Set the allowed origins (and apply them at once); the old list is put back afterwards."""
    lock = (
        Path(tempfile.gettempdir())
        / f"unleash-docs-cors-{uuid.uuid5(uuid.NAMESPACE_URL, unleash.url).hex[:12]}.lock"
    )
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
