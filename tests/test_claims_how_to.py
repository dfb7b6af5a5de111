"""How to create API tokens: the statements of the guide about the server, asked of it.

The guide's UI steps (menu labels, URLs, the form and the dialog) are walked in a real browser by
the UI tests; the roles' limits are tested in test_claims_reference.py (section permissions).
"""

from __future__ import annotations

import pytest

from unleash_api import RUN, call
from unleash_sandbox import Sandbox

TOKENS = "/api/admin/api-tokens"


@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_permissions__sdk_tokens_cannot_list_or_create_tokens(unleash: Sandbox, kind: str) -> None:
    secret = unleash.backend_token if kind == "backend" else unleash.frontend_token
    body = {"tokenName": f"{RUN}-by-{kind}", "type": "backend", "environment": "development"}
    assert call(unleash, "GET", TOKENS, secret).status_code == 403
    assert call(unleash, "POST", TOKENS, secret, json=body).status_code == 403


def test_using_api_tokens__the_secret_goes_in_the_header_as_it_is(unleash: Sandbox) -> None:
    assert call(unleash, "GET", "/api/client/features", unleash.backend_token).status_code == 200
    assert call(unleash, "GET", "/api/frontend", unleash.frontend_token).status_code == 200
