"""Who can list and create tokens: every kind of secret, not only the ones a sentence is about.

The reference page's table of secrets is read from the page; each cell is a request to the live
server. The how-to guide's Permissions box says the same in words and links to the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from harness.server import personal_access_token
from pages import page_tables, row_quote
from unleash_api import RUN, call, delete_token
from unleash_sandbox import Sandbox

PAGE = "reference/api-tokens-and-client-keys.md"
SECRETS_TABLE = next(  # the table of secrets whose columns include POST requests
    t for t in page_tables(PAGE) if t and "Secret" in t[0] and any("POST" in c for c in t[0])
)


@pytest.fixture
def secrets(unleash: Sandbox, login_as: Callable[[str], requests.Session]) -> dict[str, str]:
    """One secret of every kind the table names."""
    return {
        "admin token": unleash.admin_token,
        "personal access token of an Admin": personal_access_token(unleash, login_as("Admin")),
        "personal access token of an Editor": personal_access_token(unleash, login_as("Editor")),
        "personal access token of a Viewer": personal_access_token(unleash, login_as("Viewer")),
        "backend token": unleash.backend_token,
        "front-end token": unleash.frontend_token,
    }


@pytest.fixture
def made(unleash: Sandbox) -> Iterator[list[str]]:
    """Secrets of the tokens a test created; deleted afterwards."""
    created: list[str] = []
    yield created
    for secret in created:
        delete_token(unleash, secret)


@pytest.mark.claim('how-to/how-to-create-a-personal-access-token.md', 'A personal access token lets a script or a tool call the Admin API as you: it may do what your user may do, and no more ([token types](../reference/api-tokens-and-client-keys.md#token-types)).')  # fmt: skip
@pytest.mark.claim(
    PAGE,
    "A personal access token can do what its owner can; an SDK's token can do none of this.",
    *map(row_quote, SECRETS_TABLE),
)
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "You need an admin token (or an admin's personal access token) in `UNLEASH_ADMIN_TOKEN` and your server's address in `UNLEASH_URL`, as [Get started](../get-started.md#environment) sets them.")  # fmt: skip
@pytest.mark.claim(PAGE, 'What each kind of secret gets:')  # fmt: skip
def test_permissions__every_kind_of_secret(
    unleash: Sandbox, secrets: dict[str, str], made: list[str]
) -> None:
    assert [row["Secret"] for row in SECRETS_TABLE] == list(secrets)
    wrong = []
    for row in SECRETS_TABLE:
        for column, expected in row.items():
            if column == "Secret":
                continue
            method, path = column.strip("`").split()
            body: dict[str, Any] = {"tokenName": f"{RUN}-by-secret", "type": "backend",
                                    "environment": "development"}  # fmt: skip
            answer = call(unleash, method, path, secrets[row["Secret"]],
                          json=body if method == "POST" else None)  # fmt: skip
            if answer.status_code == 201:
                made.append(answer.json()["secret"])
            if answer.status_code != int(expected):
                wrong.append(f"{row['Secret']}: {column} -> {answer.status_code}, page: {expected}")
    assert not wrong, "\n".join(wrong)
