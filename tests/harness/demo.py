"""The demo flag the samples read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from unleash_api import RUN, call, poll_until
from unleash_sandbox import Sandbox

DEMO_FLAG = "docs-demo"
CREATED_BY_DOCS = "docs-created"  # tag on a demo flag that a test run made (not the reader's own)


@pytest.fixture(scope="session")
def demo_flag(unleash: Sandbox) -> Iterator[str]:
    """The flag the samples read: on in development (default strategy), off in production.

    Runs that share a server share the flag. Each run holds it with a tag of its own; the run that
    lets go last deletes it, and only if a test run created it.
    """
    base = "/api/admin/projects/default/features"
    admin = unleash.admin_token
    tags = f"/api/admin/features/{DEMO_FLAG}/tags"
    created = call(unleash, "POST", base, admin, json={"name": DEMO_FLAG, "type": "release"})
    assert created.status_code in (201, 409), created.text  # 409: it exists already
    for value in [RUN] + ([CREATED_BY_DOCS] if created.status_code == 201 else []):
        call(
            unleash, "POST", tags, admin, json={"type": "simple", "value": value}
        ).raise_for_status()
    env = f"{base}/{DEMO_FLAG}/environments/development"
    if not call(unleash, "GET", f"{env}/strategies", admin).json():
        call(
            unleash, "POST", f"{env}/strategies", admin, json={"name": "default"}
        ).raise_for_status()
    call(unleash, "POST", f"{env}/on", admin).raise_for_status()

    def served() -> bool | None:  # the front-end API takes a moment to see a new flag
        answer = call(unleash, "GET", "/api/frontend", unleash.frontend_token).json()
        return True if any(t["name"] == DEMO_FLAG for t in answer["toggles"]) else None

    poll_until("the front-end API to serve the demo flag", served, deadline_s=30)
    yield DEMO_FLAG
    call(unleash, "DELETE", f"{tags}/simple/{RUN}", admin)
    call(unleash, "DELETE", f"/api/admin/tags/simple/{RUN}", admin)
    left = {t["value"] for t in call(unleash, "GET", tags, admin).json()["tags"]}
    if left == {CREATED_BY_DOCS}:
        call(unleash, "DELETE", f"{base}/{DEMO_FLAG}", admin)  # archive ...
        call(unleash, "DELETE", f"/api/admin/archive/{DEMO_FLAG}", admin)  # ... and delete
        call(unleash, "DELETE", f"/api/admin/tags/simple/{CREATED_BY_DOCS}", admin)
