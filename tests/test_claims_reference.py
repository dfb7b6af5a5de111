"""API tokens and client keys: each statement of the reference page, asked of the live server.

Test names follow the page: test_<section>__<statement>.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from intervals import TOKEN_CACHE_S, deadline, within

from harness.lagging import BORN_EXPIRED
from harness.server import personal_access_token
from pages import page_tables
from unleash_api import RUN, call, message
from unleash_sandbox import Sandbox
from version_notes import TOKEN_TABLE_7, server_major

PAGE = "reference/api-tokens-and-client-keys.md"
TOKENS = "/api/admin/api-tokens"
WRONG_TYPE = "invalid token: expected a different token type for this endpoint"
SECRET = re.compile(r"(?P<projects>[^:]+):(?P<environment>[^.]+)\.(?P<random>[0-9a-f]{56})")

MakeToken = Callable[..., dict[str, Any]]
LoginAs = Callable[[str], requests.Session]


def listed(unleash: Sandbox, secret: str, **auth: Any) -> dict[str, Any] | None:
    token = auth.pop("token", unleash.admin_token) if "session" not in auth else None
    answer = call(unleash, "GET", TOKENS, token, **auth).json()["tokens"]
    return next((t for t in answer if t["secret"] == secret), None)


# --- Token types ---------------------------------------------------------------------------------


@pytest.mark.claim(PAGE, 'The Admin API still lists backend tokens with `"type": "client"`, and accepts `"client"` for a new one.')  # fmt: skip
def test_token_types__backend_tokens_are_listed_as_client(
    unleash: Sandbox, make_token: MakeToken
) -> None:
    token = make_token(type="backend", environment="development")
    assert token["type"] == "backend"  # the creation answer says backend ...
    assert listed(unleash, token["secret"])["type"] == "client"  # ... the list says client


@pytest.mark.claim(PAGE, "A **client token** is what is now a backend token.", 'The Admin API still lists backend tokens with `"type": "client"`, and accepts `"client"` for a new one.')  # fmt: skip
@pytest.mark.claim(PAGE, "| `type` | What do you want to connect? | yes | `backend` (also written `client`) or `frontend`, in any letter case. The answer to the creation repeats the type as sent; the list of tokens shows every backend token as `client`, so a script that filters the list looks for `client`. |")  # fmt: skip
@pytest.mark.parametrize("sent", ["backend", "client"])
def test_token_data__the_list_shows_backend_tokens_as_client(
    unleash: Sandbox, make_token: MakeToken, sent: str
) -> None:
    made = make_token(type=sent, environment="development")
    assert made["type"] == sent
    assert listed(unleash, made["secret"])["type"] == "client"


@pytest.mark.claim(PAGE, "| `type` | What do you want to connect? | yes | `backend` (also written `client`) or `frontend`, in any letter case. The answer to the creation repeats the type as sent; the list of tokens shows every backend token as `client`, so a script that filters the list looks for `client`. |", '| Backend | server-side SDKs and Unleash Edge | the client API, `/api/client/...` | the *API access* page or the Admin API (`"type": "backend"` or `"client"`) |', '| Front-end | code in browsers and mobile apps | the [front-end API](front-end-api.md), `/api/frontend` | the *API access* page or the Admin API (`"type": "frontend"`) |')  # fmt: skip
@pytest.mark.parametrize("spelling", ["client", "backend", "Backend", "FRONTEND"])
def test_token_types__type_accepted_in_any_case(make_token: MakeToken, spelling: str) -> None:
    assert make_token(type=spelling, environment="development")["type"] == spelling.lower()


@pytest.mark.claim(PAGE, "| Admin | automation of the Admin API (a legacy kind: see [tokens at start-up](#init-tokens)) | the Admin API, `/api/admin/...` | only as a [token given at start-up](#init-tokens), while the server has no tokens: the form and the Admin API refuse this type |")  # fmt: skip
@pytest.mark.parametrize("spelling", ["admin", "ADMIN"])
def test_token_types__admin_type_is_refused(unleash: Sandbox, spelling: str) -> None:
    body = {"tokenName": f"{RUN}-admin", "type": spelling, "environment": "*", "projects": ["*"]}
    assert call(unleash, "POST", TOKENS, unleash.admin_token, json=body).status_code == 400


@pytest.mark.claim(PAGE, "| Personal access token | a person's scripts | the Admin API, with that person's permissions | its owner, through `POST /api/admin/user/tokens` |", "| Personal access token | a person's scripts | the Admin API, with that person's permissions | its owner, through `POST /api/admin/user/tokens` |")  # fmt: skip
def test_token_types__personal_access_token_acts_as_its_owner(
    unleash: Sandbox, login_as: LoginAs
) -> None:
    secret = personal_access_token(unleash, login_as("Admin"))
    assert call(unleash, "GET", TOKENS, secret).status_code == 200


@pytest.mark.claim(PAGE, "| Personal access token | a person's scripts | the Admin API, with that person's permissions | its owner, through `POST /api/admin/user/tokens` |")  # fmt: skip
def test_token_types__personal_access_token_has_its_owners_permissions(
    unleash: Sandbox, login_as: LoginAs
) -> None:
    secret = personal_access_token(unleash, login_as("Viewer"))  # a Viewer may not see tokens
    assert call(unleash, "GET", TOKENS, secret).status_code == 403
    assert call(unleash, "GET", "/api/admin/projects", secret).status_code == 200  # but may read


@pytest.mark.claim('how-to/how-to-create-api-tokens.md', 'An SDK, a script or a browser app proves to Unleash that it may read your flags by sending an **API token**.')  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "A backend token opens the client API that server-side SDKs read; this checks the one in `UNLEASH_BACKEND_TOKEN`:")  # fmt: skip
@pytest.mark.claim("troubleshooting.md", '**The token type**: a backend token for server-side SDKs, a front-end token for browsers and apps, an admin token or personal access token for the Admin API.')  # fmt: skip
@pytest.mark.claim(PAGE, "Every request to Unleash's APIs carries a secret in its `Authorization` header.")  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "A front-end token opens the [front-end API](../reference/front-end-api.md) instead ([what each token opens](../reference/api-tokens-and-client-keys.md#token-types)); the request in [Front-end tokens](../reference/front-end-api.md#tokens) checks one.")  # fmt: skip
@pytest.mark.claim(PAGE, 'Each token opens only its own API; anywhere else the server answers `403` with the message *invalid token: expected a different token type for this endpoint*.', 'What each kind of secret gets:', '| backend token | 200 | 403 | 403 |', '| front-end token | 403 | 200 | 403 |', '| admin token | 403 | 403 | 200 |', '| personal access token (of an admin) | 403 | 403 | 200 |', '| none | 401 | 401 | 401 |')  # fmt: skip
@pytest.mark.claim(PAGE, "Unleash 7 answers four of these otherwise: [On Unleash 7](#unleash-7).", "| an admin token on the client API, `GET /api/client/features` | `403` | `200` |", "| an admin token on the front-end API, `GET /api/frontend` | `403` | `200` |", "| an admin's personal access token on the client API | `403` | `200` |", "| an admin's personal access token on the front-end API | `403` | `401` |")  # fmt: skip
def test_token_types__each_secret_opens_only_its_api(unleash: Sandbox, login_as: LoginAs) -> None:
    """The page's table of statuses, row by row; every 403 carries the wrong-type message."""
    secrets = {
        "backend token": unleash.backend_token,
        "front-end token": unleash.frontend_token,
        "admin token": unleash.admin_token,
        "personal access token (of an admin)": personal_access_token(unleash, login_as("Admin")),
        "none": None,
    }
    table = page_tables(PAGE)[1]
    assert [row["Secret"] for row in table] == list(secrets)
    older = TOKEN_TABLE_7 if server_major(unleash) < 8 else {}  # the page's version note
    for row in table:
        for column, expected in row.items():
            if column == "Secret":
                continue
            path = column.strip("`").removeprefix("GET ")
            answer = call(unleash, "GET", path, secrets[row["Secret"]])
            status = older.get((row["Secret"], path), int(expected))
            assert answer.status_code == status, (row["Secret"], path, answer.text)
            if answer.status_code == 403:
                assert message(answer) == WRONG_TYPE


@pytest.mark.claim('troubleshooting.md', '**The environment**: a token reads one environment.')  # fmt: skip
@pytest.mark.claim("troubleshooting.md", "A flag that is on in `development` reads as off through a `production` token, without any error: check the environment in the token's secret (`<projects>:<environment>.<random>`, see [token anatomy](reference/api-tokens-and-client-keys.md#token-anatomy)).")  # fmt: skip
@pytest.mark.claim(PAGE, 'The server reads a token for one environment: a backend token for `production` gets a flag that is on only in `development` as `"enabled": false`.', "| `environment` | Environment | no | The one environment whose flag settings the token reads; `development` when left out. Backend and front-end tokens cannot be for all environments (`*`). |")  # fmt: skip
def test_token_types__a_token_reads_one_environment(
    unleash: Sandbox, demo_flag: str, make_token: MakeToken
) -> None:
    production = make_token(type="backend", environment="production")["secret"]
    flags = {
        f["name"]: f
        for f in call(unleash, "GET", "/api/client/features", production).json()["features"]
    }
    assert flags[demo_flag]["enabled"] is False
    development = {
        f["name"]: f
        for f in call(unleash, "GET", "/api/client/features", unleash.backend_token).json()[
            "features"
        ]
    }
    assert development[demo_flag]["enabled"] is True


# --- The token's data ----------------------------------------------------------------------------


@pytest.mark.claim(PAGE, '| `tokenName` | Token name | yes | A name for people: who uses the token. Names need not be unique. |', "| `type` | What do you want to connect? | yes | `backend` (also written `client`) or `frontend`, in any letter case. The answer to the creation repeats the type as sent; the list of tokens shows every backend token as `client`, so a script that filters the list looks for `client`. |")  # fmt: skip
def test_token_data__name_and_type_are_required(unleash: Sandbox) -> None:
    for body in ({"type": "backend"}, {"tokenName": f"{RUN}-x"}):
        assert call(unleash, "POST", TOKENS, unleash.admin_token, json=body).status_code == 400


@pytest.mark.claim(PAGE, "| `tokenName` | Token name | yes | A name for people: who uses the token. Names need not be unique. |")  # fmt: skip
def test_token_data__names_need_not_be_unique(make_token: MakeToken) -> None:
    first = make_token(name="same", type="backend")
    second = make_token(name="same", type="backend")
    assert first["tokenName"] == second["tokenName"] and first["secret"] != second["secret"]


@pytest.mark.claim(PAGE, "| `createdAt` | | | When it was created. |")  # fmt: skip
def test_token_data__created_at_is_when_it_was_made(make_token: MakeToken) -> None:
    asked = datetime.now(UTC)
    created = datetime.fromisoformat(make_token(type="backend")["createdAt"])
    assert abs(created - asked) < timedelta(minutes=2), (created, asked)  # clocks may differ a bit


@pytest.mark.claim(PAGE, '| `projects` | Which project do you want to give access to? | no | The projects whose flags the token reads: `["*"]` for all current and future projects (the default), or a list of project ids. An empty list or an unknown project is refused (`400`). |', "| `environment` | Environment | no | The one environment whose flag settings the token reads; `development` when left out. Backend and front-end tokens cannot be for all environments (`*`). |", "| `expiresAt` | (not on the form) | no | When the token stops working, as an ISO 8601 time. Left out, the token never expires (`null`). |")  # fmt: skip
def test_token_data__defaults(make_token: MakeToken) -> None:
    token = make_token(type="backend")
    assert (token["projects"], token["environment"]) == (["*"], "development")
    assert token.get("expiresAt") is None


@pytest.mark.claim(PAGE, '| `projects` | Which project do you want to give access to? | no | The projects whose flags the token reads: `["*"]` for all current and future projects (the default), or a list of project ids. An empty list or an unknown project is refused (`400`). |')  # fmt: skip
@pytest.mark.parametrize("projects", [[], ["no-such-project"]])
def test_token_data__projects_empty_or_unknown_refused(
    unleash: Sandbox, projects: list[str]
) -> None:
    body = {"tokenName": f"{RUN}-p", "type": "backend", "projects": projects}
    assert call(unleash, "POST", TOKENS, unleash.admin_token, json=body).status_code == 400


@pytest.mark.claim(PAGE, "| `environment` | Environment | no | The one environment whose flag settings the token reads; `development` when left out. Backend and front-end tokens cannot be for all environments (`*`). |")  # fmt: skip
@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_token_data__no_token_for_all_environments(unleash: Sandbox, kind: str) -> None:
    body = {"tokenName": f"{RUN}-env", "type": kind, "environment": "*"}
    assert call(unleash, "POST", TOKENS, unleash.admin_token, json=body).status_code == 400


@pytest.mark.claim('reference/api-tokens-and-client-keys.md', '`project` is not `projects`')  # fmt: skip
@pytest.mark.claim(PAGE, 'The Admin API ignores a singular `project` field without an error: a token created with `"project": "default"` gets access to **all** projects.', 'Always send `projects`, a list.')  # fmt: skip
def test_token_data__singular_project_is_ignored(make_token: MakeToken) -> None:
    token = make_token(type="backend", environment="development", project="default")
    assert token["projects"] == ["*"]


# --- Token anatomy -------------------------------------------------------------------------------


@pytest.mark.claim(PAGE, "A backend or front-end token's secret has three parts: `<projects>:<environment>.<random>`.", '`<environment>` is the environment the token is for.', '`<random>` is 56 lowercase hexadecimal characters.')  # fmt: skip
@pytest.mark.parametrize(("projects", "scope"), [(["default"], "default"), (["*"], "*")])
def test_token_anatomy__backend_and_front_end(
    make_token: MakeToken, projects: list[str], scope: str
) -> None:
    for kind in ("backend", "frontend"):
        secret = make_token(type=kind, environment="production", projects=projects)["secret"]
        parts = SECRET.fullmatch(secret)
        assert parts and (parts["projects"], parts["environment"]) == (scope, "production"), secret


@pytest.mark.claim(PAGE, 'A personal access token starts with `user:`, followed by the same kind of random part.')  # fmt: skip
def test_token_anatomy__personal_access_token(unleash: Sandbox, login_as: LoginAs) -> None:
    assert re.fullmatch(r"user:[0-9a-f]{56}", personal_access_token(unleash, login_as("Admin")))


# --- Who can see and create tokens ---------------------------------------------------------------


@pytest.mark.claim(PAGE, '| Admin | all, with secrets | yes |')  # fmt: skip
def test_permissions__admin_lists_all_tokens_with_secrets(unleash: Sandbox) -> None:
    tokens = call(unleash, "GET", TOKENS, unleash.admin_token).json()["tokens"]
    assert {"admin", "client", "frontend"} <= {t["type"] for t in tokens}
    assert unleash.admin_token in {t["secret"] for t in tokens}  # secrets in full, admin ones too


@pytest.mark.claim(PAGE, '| Admin | all, with secrets | yes |')  # fmt: skip
def test_permissions__admin_user_creates_sees_and_deletes(
    unleash: Sandbox, login_as: LoginAs
) -> None:
    """The guide's Permissions: a user with the root role Admin, for any project."""
    admin = login_as("Admin")
    for kind in ("backend", "frontend"):
        body = {"tokenName": f"{RUN}-by-admin", "type": kind, "projects": ["*"]}
        made = call(unleash, "POST", TOKENS, session=admin, json=body)
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        assert listed(unleash, secret, session=admin) is not None
        assert call(unleash, "DELETE", f"{TOKENS}/{secret}", session=admin).status_code == 200
        assert listed(unleash, secret) is None


@pytest.mark.claim(PAGE, '| Editor | backend and front-end tokens, with secrets | no (`403`) |')  # fmt: skip
def test_permissions__editor_lists_backend_and_front_end_with_secrets(
    unleash: Sandbox, login_as: LoginAs
) -> None:
    answer = call(unleash, "GET", TOKENS, session=login_as("Editor"))
    assert answer.status_code == 200
    tokens = answer.json()["tokens"]
    assert {t["type"] for t in tokens} == {"client", "frontend"}
    assert unleash.backend_token in {t["secret"] for t in tokens}


@pytest.mark.claim("how-to/how-to-create-api-tokens.md", 'You need the root role *Admin*.')  # fmt: skip
@pytest.mark.claim(PAGE, '| Editor | backend and front-end tokens, with secrets | no (`403`) |', '| Viewer | no (`403`) | no (`403`) |')  # fmt: skip
@pytest.mark.parametrize("role", ["Editor", "Viewer"])
def test_permissions__cannot_create_on_api_access(
    unleash: Sandbox, login_as: LoginAs, role: str
) -> None:
    body = {"tokenName": f"{RUN}-{role}", "type": "backend", "environment": "development"}
    assert call(unleash, "POST", TOKENS, session=login_as(role), json=body).status_code == 403


@pytest.mark.claim(PAGE, '| Viewer | no (`403`) | no (`403`) |')  # fmt: skip
def test_permissions__viewer_cannot_list(unleash: Sandbox, login_as: LoginAs) -> None:
    assert call(unleash, "GET", TOKENS, session=login_as("Viewer")).status_code == 403


@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "Editors can make [a token for one project](how-to-create-a-project-api-token.md) instead; [who can do what](../reference/api-tokens-and-client-keys.md#permissions).")  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-a-project-api-token.md", "Editors may make one, which they cannot do on the admin *API access* page ([who can do what](../reference/api-tokens-and-client-keys.md#permissions)).")  # fmt: skip
@pytest.mark.claim(PAGE, 'An Editor can create and delete tokens for a single project through `/api/admin/projects/<project>/api-tokens`.')  # fmt: skip
def test_permissions__editor_creates_and_deletes_project_tokens(
    unleash: Sandbox, login_as: LoginAs
) -> None:
    editor = login_as("Editor")
    path = "/api/admin/projects/default/api-tokens"
    made = call(unleash, "POST", path, session=editor,
                json={"tokenName": f"{RUN}-project", "type": "backend", "environment": "development"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["projects"] == ["default"]
    assert (
        call(unleash, "DELETE", f"{path}/{made.json()['secret']}", session=editor).status_code
        == 200
    )


# --- Expiry --------------------------------------------------------------------------------------


@pytest.mark.claim(PAGE, 'A token with an `expiresAt` in the past is still created (`201`), and cannot be used at all.', 'Once a token has expired, the client and front-end APIs answer `401`, as for a token they do not know.', "| `expiresAt` | (not on the form) | no | When the token stops working, as an ISO 8601 time. Left out, the token never expires (`null`). |")  # fmt: skip
def test_expiry__past_expiry_is_accepted_and_unusable(
    unleash: Sandbox, make_token: MakeToken
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    backend = make_token(type="backend", environment="development", expiresAt=past)
    frontend = make_token(type="frontend", environment="development", expiresAt=past)
    checks = [("/api/client/features", backend["secret"]), ("/api/frontend", frontend["secret"])]
    # Unleash 7 accepts them until its token cache refreshes (the lagging test below)
    right_away = [401, 401] if server_major(unleash) >= 8 else [200, 200]
    assert [call(unleash, "GET", *check).status_code for check in checks] == right_away


@pytest.mark.claim(PAGE, "| a token past its `expiresAt` | `401` | `200` until the server refreshes its token cache ([how long](#revoking)), then `401` |")  # fmt: skip
@pytest.mark.lagging
@pytest.mark.parametrize("kind", BORN_EXPIRED)
def test_expiry__a_token_made_expired_is_refused_at_once_on_8_after_the_cache_on_7(
    unleash: Sandbox, revocation_lags: dict[str, Future[tuple[int, float]]], kind: str
) -> None:
    """Made with an expiry in the past at session start (the fixture); the wait, on Unleash 7,
    runs in the background meanwhile."""
    right_after, lag = revocation_lags[kind].result(timeout=deadline(TOKEN_CACHE_S))
    print(f"{kind} token: {right_after} right after it was made, refused after {lag:.1f} s")
    if server_major(unleash) >= 8:
        assert right_after == 401
    else:
        assert right_after == 200 and lag <= within(TOKEN_CACHE_S)


@pytest.mark.claim(PAGE, 'The expiry of an existing token can be changed with `PUT /api/admin/api-tokens/<secret>` and a body `{"expiresAt": "..."}`; the server answers `200`.')  # fmt: skip
def test_expiry__expiry_can_be_changed(unleash: Sandbox, make_token: MakeToken) -> None:
    secret = make_token(type="backend")["secret"]
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    answer = call(
        unleash,
        "PUT",
        f"{TOKENS}/{secret}",
        unleash.admin_token,
        json={"expiresAt": later.isoformat()},
    )
    assert answer.status_code == 200
    stored = listed(unleash, secret)["expiresAt"]
    assert datetime.fromisoformat(stored.replace("Z", "+00:00")) == later


# --- Revoking a token ----------------------------------------------------------------------------


@pytest.mark.claim("troubleshooting.md", "It was mistyped, deleted, has expired, or belongs to another server.")  # fmt: skip
@pytest.mark.claim("troubleshooting.md", '**A deleted token** is still accepted for a while ([how long](reference/api-tokens-and-client-keys.md#revoking)), then gets the *unknown token* answer.')  # fmt: skip
@pytest.mark.claim(PAGE, "Delete the token on the *API access* page (**Delete token** in its row), or call `DELETE /api/admin/api-tokens/<secret>` (answer: `200`).", 'A deleted one does not stop at once:', 'A deleted token keeps working for up to a minute', 'The server keeps the tokens it has seen in memory and refreshes that cache once a minute, so a deleted token can still be accepted for up to about 60 seconds.', 'If a token has leaked, delete it and expect the old secret to work until that refresh.')  # fmt: skip
@pytest.mark.lagging
@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_revoking__deleted_token_works_for_up_to_a_minute(
    revocation_lags: dict[str, Future[tuple[int, float]]], kind: str
) -> None:
    """DELETE answers 200 (checked in the fixture); the token is still accepted right after it,
    and refused within about a minute."""
    right_after, lag = revocation_lags[kind].result(timeout=deadline(TOKEN_CACHE_S))
    print(f"deleted {kind} token: {right_after} right after the delete, refused after {lag:.1f} s")
    assert right_after == 200 and lag <= within(TOKEN_CACHE_S)


@pytest.mark.claim(PAGE, "A new expiry takes effect like a deletion, when the server next refreshes its token cache ([how long](#revoking)): a token whose expiry is moved into the past is still accepted until then, and an expired token given a later expiry is still refused until then.")  # fmt: skip
@pytest.mark.lagging
def test_expiry__a_new_expiry_takes_effect_within_a_minute(
    revocation_lags: dict[str, Future[tuple[int, float]]],
) -> None:
    """PUT answers 200 (checked in the fixture); the token is still accepted right after it, and
    refused within about a minute; an expired one given a later expiry, the other way round."""
    right_after, lag = revocation_lags["expired"].result(timeout=deadline(TOKEN_CACHE_S))
    print(f"expiry moved into the past: {right_after} right after, refused after {lag:.1f} s")
    assert right_after == 200 and lag <= within(TOKEN_CACHE_S)
    if "renewed" not in revocation_lags:
        return  # Unleash 7 accepts a token made expired until its cache refresh: On Unleash 7
    right_after, lag = revocation_lags["renewed"].result(timeout=deadline(TOKEN_CACHE_S))
    print(
        f"expired token given a later expiry: {right_after} right after, accepted after {lag:.1f} s"
    )
    assert right_after == 401 and lag <= within(
        TOKEN_CACHE_S
    )  # the other way round: refused until then
