"""How to create API tokens: the statements of the guide about the server, asked of it.

The guide's UI steps (menu labels, URLs, the form and the dialog) are walked in a real browser by
the UI tests; the Permissions box is tested with every kind of secret in
test_claims_permissions.py.
"""

from __future__ import annotations

import pytest

from unleash_api import call
from unleash_sandbox import Sandbox

PAGE = "how-to/how-to-create-api-tokens.md"


@pytest.mark.claim('troubleshooting.md', '**The header**: the secret goes in `Authorization` as it is.')  # fmt: skip
@pytest.mark.claim(
    PAGE,
    "Whatever sends the token puts its secret, as it is, in the `Authorization` header of each request: no `Bearer` prefix is needed, though the server accepts one.",
)
@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer "], ids=["as-it-is", "Bearer", "bearer"])
def test_using_api_tokens__the_secret_goes_in_the_header_with_or_without_bearer(
    unleash: Sandbox, prefix: str
) -> None:
    """Page: "no `Bearer` prefix is needed, though the server accepts one" (any letter case)."""
    for path, secret in (("/api/client/features", unleash.backend_token),
                         ("/api/frontend", unleash.frontend_token),
                         ("/api/admin/api-tokens", unleash.admin_token)):  # fmt: skip
        assert call(unleash, "GET", path, prefix + secret).status_code == 200, (path, prefix)


pytestmark = pytest.mark.claim(
    PAGE,
    "Whatever sends the token puts its secret, as it is, in the `Authorization` header of each request: no `Bearer` prefix is needed, though the server accepts one.",
)
