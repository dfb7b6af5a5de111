"""A server's allowed CORS origins: changed by one run at a time, and put back afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from unleash_api import call
from unleash_sandbox import Sandbox
from unleash_sandbox.installs import shared_lock

CORS = "/api/admin/ui-config/cors"


def allowed_origins(unleash: Sandbox) -> list[str]:
    origins: list[str] = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()[
        "frontendApiOrigins"
    ]
    return origins


@pytest.fixture
def origins(unleash: Sandbox) -> Iterator[Callable[[list[str]], int]]:
    """Set the allowed origins (and apply them at once); the old list is put back afterwards."""
    with shared_lock("cors"):  # one run at a time changes a server's origins
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
