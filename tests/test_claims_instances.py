"""Tokens at start-up, several instances, and the shapes of secrets: the reference page's claims
that need more than one server process or a second project.

Our sandbox runs a second Unleash on its own throwaway database when a test needs one, and adds
a project straight into that database (the open-source server has no API for a second project).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.server import SPECIAL_SETTINGS
from unleash_api import RUN, call
from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, Sandbox, installs, native
from unleash_sandbox.database import psql
from version_notes import server_major

PAGE = "reference/api-tokens-and-client-keys.md"
TOKENS = "/api/admin/api-tokens"
LATER = "*:*.added-after-the-first-start"


@pytest.fixture(scope="module")
def database(unleash: Sandbox) -> str:
    if unleash.database_url is None:
        pytest.skip("needs the database of a sandbox this run started natively")
    return unleash.database_url


@pytest.fixture(scope="module")
def second_instance(database: str) -> Iterator[str]:
    """Another Unleash on the same database, given one more admin token than the first had."""
    tokens = {**SANDBOX_TOKENS, "admin": f"{SANDBOX_TOKENS['admin']},{LATER}"}
    with native.another_unleash(database, tokens, SANDBOX_LOGIN) as url:
        yield url


def at(url: str, method: str, path: str, token: str | None, **kwargs: object) -> int:
    return call(Sandbox(url, "", "", "", "instance"), method, path, token, **kwargs).status_code


@pytest.mark.claim('reference/api-tokens-and-client-keys.md', '| `INIT_ADMIN_API_TOKENS` | admin |', '| `INIT_FRONTEND_API_TOKENS` | front-end |')  # fmt: skip
@pytest.mark.claim(PAGE, 'Tokens given to the server at start-up ([below](#init-tokens)) keep the secret they were given, which need not have a random part of this shape.')  # fmt: skip
@pytest.mark.claim(PAGE, "The server reads the token's project and environment from the secret (`*` for all) and stores the secret exactly as given.", "The server reads the token's project and environment from the secret (`*` for all) and stores the secret exactly as given.")  # fmt: skip
def test_init_tokens__stored_as_given_scope_read_from_the_secret(unleash: Sandbox) -> None:
    if unleash.mode == "existing":
        pytest.skip("the start-up tokens are known only for a sandbox this run started")
    listed = {
        t["secret"]: t for t in call(unleash, "GET", TOKENS, unleash.admin_token).json()["tokens"]
    }
    for kind, secret in SANDBOX_TOKENS.items():
        assert secret in listed, f"the {kind} start-up token is not stored as given"
        project, environment = re.fullmatch(r"([^:]+):([^.]+)\..+", secret).groups()  # type: ignore[union-attr]
        assert listed[secret]["projects"] == [project]
        assert listed[secret]["environment"] == environment
        listed_as = {"admin": "admin", "backend": "client", "frontend": "frontend"}[kind]
        assert listed[secret]["type"] == listed_as, f"the {kind} start-up token's type"


@pytest.mark.claim(PAGE, "A secret added to the variables later is not created, and the server answers `401` to it.", "The server creates these tokens only while it has no tokens at all: on its first start with a new database.")  # fmt: skip
def test_init_tokens__only_on_a_server_without_tokens(
    unleash: Sandbox, second_instance: str
) -> None:
    for url in (unleash.url, second_instance):
        assert at(url, "GET", TOKENS, SANDBOX_TOKENS["admin"]) == 200  # the first one works
        assert at(url, "GET", TOKENS, LATER) == 401  # the one added later does not


@pytest.mark.claim(PAGE, 'A self-hosted server can be given its first tokens in its environment, so that scripts and SDKs work from its very first start.')  # fmt: skip
@pytest.mark.claim(PAGE, "Each variable holds one or more secrets, separated by commas, each shaped `<project>:<environment>.<anything>`.", "| `INIT_BACKEND_API_TOKENS` | backend (`INIT_CLIENT_API_TOKENS` is its old name, read when `INIT_BACKEND_API_TOKENS` is not set) |")  # fmt: skip
def test_init_tokens__a_list_and_the_old_name(special_server: Sandbox) -> None:
    """A new server (harness.server.SPECIAL_SETTINGS): the front-end variable holds two secrets,
    the backend one only the old name."""
    assert SPECIAL_SETTINGS["INIT_BACKEND_API_TOKENS"] == ""
    for name in ("INIT_CLIENT_API_TOKENS", "INIT_FRONTEND_API_TOKENS"):
        given = SPECIAL_SETTINGS[name].split(",")
        path = "/api/client/features" if "CLIENT" in name else "/api/frontend"
        assert len(given) == (1 if "CLIENT" in name else 2)
        for secret in given:
            assert at(special_server.url, "GET", path, secret) == 200, secret


@pytest.mark.claim(
    PAGE,
    "Admin tokens are a legacy kind of secret: Unleash's own code marks the kind deprecated, and start-up tokens are the only way left to make one.",
)
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| admin tokens marked deprecated in Unleash's code | yes | no |")  # fmt: skip
def test_init_tokens__admin_tokens_are_deprecated_in_the_code(unleash: Sandbox) -> None:
    lib = installs.install() / "node_modules/unleash-server/dist/lib"
    if server_major(unleash) < 8:  # the page's version note: no such mark anywhere in its code
        marks = [line for js in lib.rglob("*.js") for line in js.read_text().splitlines()
                 if "@deprecated" in line and "personal access token" in line]  # fmt: skip
        assert marks == [] and any(lib.rglob("*.js"))
        return
    code = lib / "authentication"
    line = next(text for text in (code / "authorization-token.js").read_text().splitlines()
                if "@deprecated" in text)  # fmt: skip
    assert "personal access token" in line, line


@pytest.mark.claim(
    PAGE,
    "A new token works at once, on every instance of the server that shares its database, although the admin UI notes that *it can take up to 1 minute before a new API key is activated*.",
)
def test_new_token__works_at_once_on_another_instance(
    unleash: Sandbox, second_instance: str
) -> None:
    made = call(unleash, "POST", TOKENS, unleash.admin_token,
                json={"tokenName": f"{RUN}-instances", "type": "backend"}).json()  # fmt: skip
    try:
        began = time.monotonic()
        assert at(second_instance, "GET", "/api/client/features", made["secret"]) == 200
        print(f"a new token worked on the other instance after {time.monotonic() - began:.2f} s")
    finally:
        call(unleash, "DELETE", f"{TOKENS}/{made['secret']}", unleash.admin_token)


@pytest.fixture(scope="module")
def second_project(database: str) -> str:
    """A project `second` with the sandbox's environments, added straight into its database."""
    psql(database, "insert into projects (id, name) values ('second', 'Second') "
                "on conflict do nothing; insert into project_environments (project_id, environment_name) "
                "select 'second', name from environments on conflict do nothing")  # fmt: skip
    return "second"


@pytest.mark.claim(PAGE, "Because the scope is readable in the secret, you can tell the environment of a token without asking the server, and its project unless it has several (`[]`); only the random part is secret.")  # fmt: skip
@pytest.mark.claim(PAGE, "`<projects>` is the project id for a token of one project, `*` for a token of all projects, and `[]` for a token of two or more projects: then the secret does not say which.")  # fmt: skip
@pytest.mark.claim(PAGE, "| `project` | | | Made by the server: the token's projects in one string, such as `default`, `*`, or the ids joined by commas. |")  # fmt: skip
@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_token_anatomy__every_shape_of_projects(
    unleash: Sandbox, second_project: str, kind: str
) -> None:
    shapes = {("default",): "default", (second_project,): second_project, ("*",): "*",
              ("default", second_project): "[]"}  # fmt: skip
    for projects, shape in shapes.items():
        made = call(unleash, "POST", TOKENS, unleash.admin_token, json={
            "tokenName": f"{RUN}-shape", "type": kind, "projects": list(projects)}).json()  # fmt: skip
        call(unleash, "DELETE", f"{TOKENS}/{made['secret']}", unleash.admin_token)
        assert re.fullmatch(rf"{re.escape(shape)}:development\.[0-9a-f]{{56}}", made["secret"])
        assert made["project"] == ",".join(projects)  # the `project` field: ids joined


@pytest.mark.claim("index.md", "It is the open-source edition.")
def test_home__the_server_is_the_open_source_edition(unleash: Sandbox) -> None:
    """The server tells its edition in the admin UI's configuration."""
    config = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()
    assert config["environment"] == "Open Source"
    assert config["versionInfo"]["current"]["enterprise"] == ""  # no Enterprise version


@pytest.mark.claim(PAGE, "A program that embeds Unleash (`unleash-server` started from its own Node code) can give the same tokens in the start option `authentication.initApiTokens`; the server adds the variables' tokens to them.")  # fmt: skip
@pytest.mark.claim(PAGE, "| Admin | automation of the Admin API (a legacy kind: see [tokens at start-up](#init-tokens)) | the Admin API, `/api/admin/...` | only as a [token given at start-up](#init-tokens), while the server has no tokens: the form and the Admin API refuse this type |")  # fmt: skip
def test_init_tokens__the_start_option_takes_the_same_tokens(tmp_path: Path) -> None:
    """Unleash's own configuration step, as an embedding program calls it: a token given in the
    option and one in the variable both end up among the start-up tokens."""
    install = installs.install()
    script = tmp_path / "config.mjs"
    create_config = install / "node_modules/unleash-server/dist/lib/create-config.js"
    script.write_text(f"""
import {{ createConfig }} from '{create_config}';
const config = createConfig({{
  db: {{ host: 'unused', user: 'unused', password: 'unused', database: 'unused' }},
  authentication: {{ initApiTokens: [{{ tokenName: 'embedded', secret: '*:*.from-option',
    type: 'admin', environment: '*', projects: ['*'] }}] }},
}});
console.log(JSON.stringify(config.authentication.initApiTokens.map((t) => [t.secret, t.type])));
""")
    node = installs.node(install / "node_modules")
    env = {"PATH": "/usr/bin:/bin", "INIT_ADMIN_API_TOKENS": "*:*.from-variable"}
    done = subprocess.run([str(node), str(script)], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    tokens = json.loads(done.stdout.strip().splitlines()[-1])
    assert tokens == [["*:*.from-option", "admin"], ["*:*.from-variable", "admin"]]


@pytest.mark.claim(PAGE, "A new token works at once, on every instance of the server that shares its database, although the admin UI notes that *it can take up to 1 minute before a new API key is activated*.")  # fmt: skip
def test_new_token__the_admin_ui_speaks_of_a_minute() -> None:
    """The admin UI's own words (its build, as the server serves it); that a new token works at
    once is measured by the test above."""
    build = installs.install() / "node_modules/unleash-server/frontend/build/static"
    text = " ".join(js.read_text(errors="replace") for js in build.glob("*.js"))
    shown = re.sub(
        r"`,\(0,\w+\.jsx\)\(`strong`,\{children:`([^`]*)`\}\),`", r"\1", text
    )  # <strong>
    assert "it can take up to 1 minute before a new API key is activated" in shown
