"""A short run for tests/test_faults.py to break in the middle (not collected by `make test`).

As in a whole run, the session's background waits start first (a revoked token, the rotation
page's old secret) and the tests marked `lagging` collect them last; in between, tests that ask
the server pass one by one, so that a fault can land while the run is busy.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

from unleash_api import call
from unleash_sandbox import Sandbox


@pytest.mark.parametrize("n", range(30))
def test_the_server_answers(unleash: Sandbox, n: int) -> None:
    assert call(unleash, "GET", "/api/admin/api-tokens", unleash.admin_token).status_code == 200


@pytest.mark.lagging
def test_a_deleted_token_is_refused_later(
    revocation_lags: dict[str, Future[tuple[int, float]]],
) -> None:
    right_after, _ = revocation_lags["backend"].result(timeout=120)
    assert right_after == 200


@pytest.mark.lagging
def test_the_rotated_secret_is_refused_later(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    assert rotation[1].result(timeout=120) > 0
