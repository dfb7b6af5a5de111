"""Troubleshooting 401 and 403: every row of the page's table is a request to the live server.

The test reads the table from the page itself: for each case it sends the request the row
describes and checks the status and the message the row shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from pages import page_tables
from unleash_api import call, message
from unleash_sandbox import Sandbox
from version_notes import TROUBLESHOOTING_7, server_major

ROWS = {row["Case"]: row for t in page_tables("troubleshooting.md") if "Case" in t[0] for row in t}
MADE_UP = "default:development.0000000000000000000000000000000000000000000000000000000"


def send(
    unleash: Sandbox,
    make_token: Callable[..., dict[str, Any]],
    login_as: Callable[[str], requests.Session],
    case: str,
) -> list[requests.Response]:
    """The request(s) a row describes; a row about two kinds of user gives one answer each."""
    client, frontend, tokens = "/api/client/features", "/api/frontend", "/api/admin/api-tokens"
    if case == "no token":
        return [call(unleash, "GET", client)]
    if case == "unknown or mistyped token":  # made up, or a real one with a character missing
        return [
            call(unleash, "GET", client, MADE_UP),
            call(unleash, "GET", client, unleash.backend_token[:-1]),
        ]
    if case == "expired token":
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        token = make_token(
            name="expired", type="backend", environment="development", expiresAt=past
        )
        return [call(unleash, "GET", client, token["secret"])]
    if case == "no token on the Admin API":
        return [call(unleash, "GET", tokens)]
    if case == "unknown token on the Admin API":
        return [call(unleash, "GET", tokens, MADE_UP)]
    if case == "backend token on the front-end API":
        return [call(unleash, "GET", frontend, unleash.backend_token)]
    if case == "front-end token on the client API":
        return [call(unleash, "GET", client, unleash.frontend_token)]
    if case == "admin token on the client API":
        return [call(unleash, "GET", client, unleash.admin_token)]
    if case == "backend token on the Admin API":
        return [call(unleash, "GET", tokens, unleash.backend_token)]
    if case == "user without permission":
        body = {"tokenName": "not-allowed", "type": "backend", "environment": "development"}
        return [
            call(unleash, "POST", tokens, session=login_as(role), json=body)
            for role in ("Viewer", "Editor")
        ]
    raise AssertionError(f"the page has a case this test does not know: {case!r}")


PAGE = "troubleshooting.md"


@pytest.mark.claim(
    PAGE,
    "Unleash answers `401 Unauthorized` when it does not know who is asking, and `403 Forbidden` "
    "when it knows but the secret may not do what was asked.",
    "The JSON answer's `message` says which of the cases below you are in; some cases share a "
    "message, and then the request tells them apart.",
)
@pytest.mark.parametrize(
    "case",
    [pytest.param(case, marks=pytest.mark.claim(PAGE, f"| {case} |")) for case in ROWS],
)
@pytest.mark.claim(PAGE, "It was mistyped, deleted, has expired, or belongs to another server.")  # fmt: skip
@pytest.mark.claim(PAGE, 'A secret copied with a character missing is an unknown token to the server: the *unknown or mistyped token* row.')  # fmt: skip
@pytest.mark.claim(PAGE, "The table shows Unleash 8's answers; two rows differ on [Unleash 7](reference/api-tokens-and-client-keys.md#unleash-7).")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| an admin token on the client API, `GET /api/client/features` | `403` | `200` |", "| a token past its `expiresAt` | `401` | `200` until the server refreshes its token cache ([how long](#revoking)), then `401` |")  # fmt: skip
def test_troubleshooting_table(
    case: str,
    unleash: Sandbox,
    make_token: Callable[..., dict[str, Any]],
    login_as: Callable[[str], requests.Session],
) -> None:
    row = ROWS[case]
    expected = (int(row["Status"]), row["Message"])
    if server_major(unleash) < 8:  # the page's version note
        expected = TROUBLESHOOTING_7.get(case, expected)
    for response in send(unleash, make_token, login_as, case):
        assert (response.status_code, message(response)) == expected
    sharing = [c for c, r in ROWS.items() if r["Message"] == row["Message"] and c != case]
    assert all(ROWS[c]["Request"] != row["Request"] for c in sharing)  # the request tells apart
