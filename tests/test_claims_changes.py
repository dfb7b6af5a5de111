"""Troubleshooting's "What to check" additions, and the token fields the samples show: what a
change to a token can and cannot do, answers that look like success, and the token limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.server import SPECIAL_SETTINGS
from unleash_api import RUN, call, message
from unleash_sandbox import Sandbox
from version_notes import server_major

PAGE = "troubleshooting.md"
REFERENCE = "reference/api-tokens-and-client-keys.md"
ABSENT = "(no such field)"
TOKENS = "/api/admin/api-tokens"
UNKNOWN = "default:development.1111111111111111111111111111111111111111111111111111111"
MakeToken = Callable[..., dict[str, Any]]


def listed(unleash: Sandbox, secret: str) -> dict[str, Any] | None:
    tokens = call(unleash, "GET", TOKENS, unleash.admin_token).json()["tokens"]
    return next((t for t in tokens if t["secret"] == secret), None)


@pytest.mark.claim(PAGE, "**A change of scope**: a token's projects, environment, type and name stay as they were created.", "`PUT /api/admin/api-tokens/<secret>` changes only `expiresAt`: without it the server answers `400`, and it ignores any other field.")  # fmt: skip
def test_what_to_check__scope_cannot_change(unleash: Sandbox, make_token: MakeToken) -> None:
    token = make_token(
        name="scope", type="backend", environment="development", projects=["default"]
    )
    path = f"{TOKENS}/{token['secret']}"
    for change in ({"environment": "production"}, {"tokenName": "renamed"},
                   {"projects": ["*"]}, {"type": "frontend"}):  # fmt: skip
        assert call(unleash, "PUT", path, unleash.admin_token, json=change).status_code == 400
        both = {**change, "expiresAt": "2031-01-01T00:00:00Z"}
        assert call(unleash, "PUT", path, unleash.admin_token, json=both).status_code == 200
    after = listed(unleash, token["secret"])
    assert after is not None
    assert (after["tokenName"], after["type"], after["environment"], after["projects"]) == (
        token["tokenName"], "client", "development", ["default"])  # fmt: skip
    assert after["expiresAt"].startswith("2031-01-01")  # only the expiry changed


@pytest.mark.claim(PAGE, "**A typo in a revoking script**: `DELETE` or `PUT` of a secret the server does not know answers `200` and changes nothing.")  # fmt: skip
def test_what_to_check__unknown_secret_looks_like_success(unleash: Sandbox) -> None:
    before = call(unleash, "GET", TOKENS, unleash.admin_token).json()["tokens"]
    path = f"{TOKENS}/{UNKNOWN}"
    assert call(unleash, "DELETE", path, unleash.admin_token).status_code == 200
    later = {"expiresAt": "2031-01-01T00:00:00Z"}
    assert call(unleash, "PUT", path, unleash.admin_token, json=later).status_code == 200
    after = call(unleash, "GET", TOKENS, unleash.admin_token).json()["tokens"]
    assert {t["secret"] for t in after} == {t["secret"] for t in before}


@pytest.mark.claim(REFERENCE, "| `secure` | | | Meant to mark tokens of a newer format, whose secret cannot be copied again later: `false` for every token this server makes in its default configuration. |", "| `alias` | | | A second value the server accepts in place of the secret, kept for tokens made for the old Unleash Proxy: `null` for every token this server makes. |")  # fmt: skip
@pytest.mark.claim(REFERENCE, "| the `secure` field of a token | `false` | left out |")  # fmt: skip
def test_token_data__alias_and_secure(unleash: Sandbox, make_token: MakeToken) -> None:
    secure = False if server_major(unleash) >= 8 else ABSENT  # Unleash 7: the page's version note
    made = [make_token(type=kind, environment="development") for kind in ("backend", "frontend")]
    for token in made:
        assert (token["alias"], token.get("secure", ABSENT)) == (None, secure)
    for secret in [t["secret"] for t in made] + [unleash.backend_token, unleash.admin_token]:
        shown = listed(unleash, secret)
        assert shown is not None, secret
        assert (shown["alias"], shown.get("secure", ABSENT)) == (None, secure), secret


@pytest.mark.claim(PAGE, "**Too many tokens**: the server refuses a new token once it has 2000 of them, counting every kind, start-up tokens too: `400`, *Failed to create api token.", "You can't create more than the established limit of 2000.* `UNLEASH_API_TOKENS_LIMIT` sets another limit.")  # fmt: skip
def test_what_to_check__too_many_tokens(unleash: Sandbox, special_server: Sandbox) -> None:
    """The default limit, as the server reports it; the answer past a limit, on a new server whose
    limit is five: its four start-up tokens count, so one more is allowed and the next refused."""
    config = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()
    assert config["resourceLimits"]["apiTokens"] == 2000
    server = special_server
    assert SPECIAL_SETTINGS["UNLEASH_API_TOKENS_LIMIT"] == "5"
    tokens = call(server, "GET", TOKENS, server.admin_token).json()["tokens"]
    assert len(tokens) == 4  # the start-up tokens, of three kinds
    body = {"tokenName": f"{RUN}-limit", "type": "backend"}
    assert call(server, "POST", TOKENS, server.admin_token, json=body).status_code == 201
    refused = call(server, "POST", TOKENS, server.admin_token, json=body)
    assert refused.status_code == 400
    assert message(refused) == (
        "Failed to create api token. You can't create more than the established limit of 5."
    )
