"""Our sandbox is a reader's server plus settings of its own: each one, and what it changes of what
the pages say, measured on a server started with a reader's settings (harness.reader).

A reader's settings are those of the official image with a database (`native.reader_env`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from harness.browser import logged_in, open_admin_page
from harness.reader import DEFAULT_LOGIN, ReadersServer, table_rows
from pages import guide_steps
from unleash_api import call
from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, Sandbox, native
from unleash_sandbox.database import psql
from version_notes import server_major

# Every setting the sandbox adds to a reader's, and what it changes of what the pages say.
ADDED = {
    "UNLEASH_URL": "the addresses the admin UI shows under API URLs (measured below; the page "
    "says which address they are built from)",
    "INIT_ADMIN_API_TOKENS": "the tokens a new server holds: a reader's new server holds none "
    "(measured below), so Get started asks a reader with a server of their own for tokens",
    "INIT_BACKEND_API_TOKENS": "as INIT_ADMIN_API_TOKENS",
    "INIT_FRONTEND_API_TOKENS": "as INIT_ADMIN_API_TOKENS",
    "UNLEASH_DEFAULT_ADMIN_USERNAME": "nothing: it writes out Unleash's default (measured below)",
    "UNLEASH_DEFAULT_ADMIN_PASSWORD": "nothing: it writes out Unleash's default (measured below)",
    "LOG_LEVEL": "the server's own log only, which no page quotes",
    "GRACEFUL_SHUTDOWN_TIMEOUT": "how long the server takes to stop, of which no page speaks",
    "SIMPLE_LOGIN_LIMIT_PER_MINUTE": "how often one may log in, of which no page speaks; the "
    "reader path runs on a reader's limits",
    "CREATE_USER_RATE_LIMIT_PER_MINUTE": "how often users may be created, of which no page "
    "speaks; the reader path runs on a reader's limits",
    "MAX_PARALLEL_SESSIONS": "how many sessions a user may hold, of which no page speaks; the "
    "reader path runs on a reader's limits",
}
# Settings of a reader's server that this machine decides, with what they change.
FORCED = {
    "SEND_TELEMETRY": "this machine may not phone home; no page speaks of telemetry",
    "CHECK_VERSION": "this machine may not phone home; with it on, the admin UI can announce a "
    "newer Unleash, of which no page speaks",
    "HTTP_HOST": "loopback only, as compose.yaml publishes its port; readers reach their server "
    "at an address of their own, which the pages call <your Unleash URL>",
}


def test_every_setting_of_the_sandbox_is_accounted_for(tmp_path: Path) -> None:
    added = native.sandbox_additions("http://127.0.0.1:1", SANDBOX_TOKENS, SANDBOX_LOGIN)
    assert sorted(added) == sorted(ADDED)
    readers = native.reader_env("postgres://x", 1, tmp_path)
    sandbox = native.unleash_env("postgres://x", "http://127.0.0.1:1", SANDBOX_TOKENS,
                                 SANDBOX_LOGIN, tmp_path)  # fmt: skip
    assert {k: v for k, v in sandbox.items() if k not in added} == readers
    assert set(FORCED) <= set(readers)


def test_the_sandbox_login_is_unleashs_default(readers: ReadersServer) -> None:
    """A server started without UNLEASH_DEFAULT_ADMIN_* takes the login the sandbox sets."""
    assert DEFAULT_LOGIN == SANDBOX_LOGIN
    answer = call(readers.sandbox, "POST", "/auth/simple/login",
                  json=dict(zip(("username", "password"), DEFAULT_LOGIN, strict=True)))  # fmt: skip
    assert answer.status_code == 200, answer.text


@pytest.mark.claim("get-started.md", "**Your own server**: any Unleash you may create tokens and flags on.", "You need its address, an admin token (or the personal access token of an admin), and a backend and a front-end token for the `development` environment ([how to create them](how-to/how-to-create-api-tokens.md)).")  # fmt: skip
def test_a_readers_new_server_holds_no_tokens(readers: ReadersServer) -> None:
    assert readers.tokens_at_start == []


def test_a_sandbox_starts_from_its_template_as_a_new_server_does(readers: ReadersServer) -> None:
    """Every sandbox's database is a copy of a template Unleash has migrated once (native.py): a
    server on such a copy holds, table by table, what a server holds after its first start on a
    new database, its users and start-up tokens too (none: the claims on start-up tokens and on a
    reader's new server hold on both)."""
    with native.run(port=None, tokens={}, login=DEFAULT_LOGIN, readers=True,
                    from_template=False) as (_, _, database):  # fmt: skip
        new = table_rows(database)
        users = psql(database, "select username from users order by id")
    assert readers.rows_at_start == new
    assert new["api_tokens"] == 0 and new["migrations"] > 100
    assert psql(readers.sandbox.database_url or "", "select username from users order by id "
                "limit 1") == users.splitlines()[0] + "\n"  # fmt: skip


@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "The server builds them from the address it was started with in `UNLEASH_URL`; a server started without one shows `http://localhost:4242` in their place.")  # fmt: skip
def test_api_urls_without_unleash_url(
    readers: ReadersServer, new_context: Callable[..., BrowserContext], unleash: Sandbox
) -> None:
    """The API access page of a server started without UNLEASH_URL, in Chromium (the sandbox's,
    started with it, is walked in tests/test_ui_guide.py)."""
    server = readers.sandbox
    shown = call(server, "GET", "/api/admin/ui-config", server.admin_token).json()["unleashUrl"]
    assert shown == "http://localhost:4242"
    page = logged_in(new_context().new_page(), server.url, DEFAULT_LOGIN, server_major(server))
    admin_settings, access_control, api_access, _, api_urls = guide_steps()["step-1"]["labels"]
    open_admin_page(page, admin_settings, access_control, api_access)
    expect(page.get_by_role("heading", name=api_urls, exact=True)).to_be_visible()
    for path in ("/api/", "/api/frontend/"):
        expect(page.get_by_role("cell", name=f"{shown}{path}", exact=True)).to_be_visible()
    sandbox = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()
    assert sandbox["unleashUrl"] == unleash.url or unleash.mode == "existing"
