"""Front-end API: each statement of the page, asked of the live server.

The CORS tests change the server's allowed origins and put back what was there before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from intervals import FRONT_END_CHANGE_S, within

from harness.cors import CORS, allowed_origins
from harness.demo import demo_flag_blocks, run_bash
from harness.flags import FRONTEND, WAIT, toggles
from unleash_api import FEATURES, call, poll_until
from unleash_sandbox import Sandbox
from version_notes import server_major

PAGE = "reference/front-end-api.md"


@pytest.mark.claim('reference/front-end-api.md', 'Requests need a [front-end token](api-tokens-and-client-keys.md#front-end-tokens) in the `Authorization` header.')  # fmt: skip
@pytest.mark.claim(PAGE, "A backend or admin token gets `403` ([Unleash 7 differs](api-tokens-and-client-keys.md#unleash-7)), and a front-end token is refused everywhere else.")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| an admin token on the front-end API, `GET /api/frontend` | `403` | `200` |")  # fmt: skip
def test_front_end_tokens__other_tokens_are_refused(unleash: Sandbox) -> None:
    admin = 403 if server_major(unleash) >= 8 else 200  # Unleash 7.x: the page's version note
    assert call(unleash, "GET", FRONTEND, unleash.backend_token).status_code == 403
    assert call(unleash, "GET", FRONTEND, unleash.admin_token).status_code == admin


@pytest.mark.claim('reference/front-end-api.md', 'The front-end API lives at `<your Unleash URL>/api/frontend`.')  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "It can therefore do little: it reads, through the [front-end API](front-end-api.md), only the flags that are on for one environment, already evaluated for the context you send.")  # fmt: skip
@pytest.mark.claim(PAGE, "The answer lists the flags that are **on** for the token's environment and the context you send, with the variant of each; flags that are off are left out:", "The answer's `toggles` list has an entry for each flag that is on; with the flag `docs-demo` on in `development` for everyone, its entry is:")  # fmt: skip
def test_front_end_tokens__only_flags_that_are_on(
    unleash: Sandbox, served_flags: dict[str, str]
) -> None:
    found = toggles(unleash)
    assert found[served_flags["on"]]["enabled"] is True and served_flags["off"] not in found


@pytest.mark.claim("troubleshooting.md", '**The context of a `POST` to the front-end API**: fields outside `"context"` are ignored, and the server still answers `200`; see [passing context](reference/front-end-api.md#context).')  # fmt: skip
@pytest.mark.claim(PAGE, "The server evaluates each flag for the *context* you send: a user id, a session id, custom properties.", 'Send it as query parameters of a `GET`:', 'the standard fields by name: `?userId=42&sessionId=abc`;', 'custom properties as `properties[region]=eu`, or simply as `region=eu`.', 'Or `POST` the same to `/api/frontend` with a JSON body whose context is wrapped in `"context"` (this one asks whether `docs-demo` is among the flags that are on):', 'A flag whose strategy has a constraint, say *userId is 42*, is then listed for user `42` and left out for everybody else.')  # fmt: skip
def test_passing_context__user_id_and_custom_properties(
    unleash: Sandbox, served_flags: dict[str, str]
) -> None:
    user_flag, region_flag = served_flags["user-42"], served_flags["region-eu"]
    assert user_flag in toggles(unleash, "?userId=42")
    assert user_flag not in toggles(unleash, "?userId=7")
    assert user_flag in toggles(unleash, json={"context": {"userId": "42"}})
    assert user_flag not in toggles(unleash, json={"userId": "42"})  # context must be wrapped
    for query in ("?properties[region]=eu", "?region=eu"):
        assert region_flag in toggles(unleash, query), query
    assert region_flag not in toggles(unleash, "?region=us")
    assert region_flag in toggles(unleash, json={"context": {"properties": {"region": "eu"}}})
    assert user_flag in toggles(unleash, "?userId=42&sessionId=abc")  # standard fields by name


@pytest.mark.claim("get-started.md", "The front-end API takes a moment to see a new flag (a few seconds, see [refresh behaviour](reference/front-end-api.md#refresh)).")  # fmt: skip
@pytest.mark.claim(PAGE, 'On the server side, a change to a flag reaches the front-end API within a few seconds.')  # fmt: skip
def test_refresh_behaviour__a_change_arrives_within_seconds(
    unleash: Sandbox, make_flag: Callable[..., str]
) -> None:
    name = make_flag("refresh", {"name": "default"}, on=False)
    call(
        unleash, "POST", f"{FEATURES}/{name}/environments/development/on", unleash.admin_token
    ).raise_for_status()
    _, seconds = poll_until(
        "the switched-on flag", lambda: True if name in toggles(unleash) else None, WAIT
    )
    print(f"a switched-on flag reached the front-end API after {seconds:.1f} s")
    assert seconds <= within(FRONT_END_CHANGE_S)


# --- CORS ----------------------------------------------------------------------------------------


def allow_origin_header(unleash: Sandbox, origin: str) -> tuple[int, str | None]:
    answer = call(unleash, "GET", FRONTEND, unleash.frontend_token, headers={"Origin": origin})
    return answer.status_code, answer.headers.get("Access-Control-Allow-Origin")


@pytest.mark.claim(PAGE, 'By default every origin is allowed: the answer carries `Access-Control-Allow-Origin: *`.')  # fmt: skip
def test_cors__every_origin_by_default(unleash: Sandbox) -> None:
    if unleash.mode == "existing":
        pytest.skip(
            "a server that is not our sandbox may have its own origins set: the default shows only on a new one"
        )
    assert allowed_origins(unleash) == ["*"]
    assert allow_origin_header(unleash, "http://any.example") == (200, "*")


@pytest.mark.claim('reference/front-end-api.md', 'Unleash sets that header on the front-end API for the origins you allow:')  # fmt: skip
@pytest.mark.claim(PAGE, 'Once the list names origins and no `*`, an allowed origin gets its own origin back in the header, and any other origin gets **no** such header.')  # fmt: skip
def test_cors__allowed_origin_echoed_other_origin_gets_no_header(
    unleash: Sandbox, origins: Callable[[list[str]], int]
) -> None:
    assert origins(["http://shop.example"]) == 204
    assert allow_origin_header(unleash, "http://shop.example") == (200, "http://shop.example")
    assert allow_origin_header(unleash, "http://other.example") == (200, None)


@pytest.mark.claim(PAGE, "The answer to a preflight carries `Access-Control-Max-Age: 86400`, a number of seconds: how long a browser keeps that answer is the browser's own choice.")  # fmt: skip
def test_cors__preflight_answer_names_a_max_age(unleash: Sandbox) -> None:
    answer = call(unleash, "OPTIONS", FRONTEND, headers={
        "Origin": "http://any.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})  # fmt: skip
    assert answer.headers.get("Access-Control-Max-Age") == "86400"


@pytest.mark.claim(PAGE, "The front-end API does not use a new list at once: it reloads the setting periodically (the CORS origins page speaks of up to two minutes).", "Reading the admin UI's configuration reloads it straight away, so opening the admin UI, or calling `GET /api/admin/ui-config` as the script does, applies a new list at once.", '**With the Admin API**: the server keeps one list, and `POST /api/admin/ui-config/cors` with `{"frontendApiOrigins": [...]}` replaces all of it; the server answers `204 No Content`.')  # fmt: skip
def test_cors__new_list_waits_for_a_reload(
    unleash: Sandbox, origins: Callable[[list[str]], int]
) -> None:
    """Without a read of the UI config, the front-end API keeps the old list for a while."""
    origins(["http://first.example"])
    status = call(
        unleash,
        "POST",
        CORS,
        unleash.admin_token,
        json={"frontendApiOrigins": ["http://second.example"]},
    ).status_code
    assert status == 204
    assert allow_origin_header(unleash, "http://second.example") == (200, None)  # not yet ...
    assert allowed_origins(unleash) == ["http://second.example"]  # the whole list replaced ...
    # ... and applied, now that the admin UI's configuration was read
    assert allow_origin_header(unleash, "http://second.example") == (200, "http://second.example")
    assert allow_origin_header(unleash, "http://first.example") == (200, None)


@pytest.mark.claim(PAGE, 'While the list holds `*`, every origin is allowed, whatever else the list holds.')  # fmt: skip
def test_cors__a_star_in_the_list_allows_every_origin(
    unleash: Sandbox, origins: Callable[[list[str]], int]
) -> None:
    assert origins(["http://shop.example", "*"]) == 204
    for origin in ("http://shop.example", "http://other.example"):
        assert allow_origin_header(unleash, origin) == (200, "*")
    assert origins(["http://shop.example"]) == 204  # the counter-case: without `*`
    assert allow_origin_header(unleash, "http://other.example") == (200, None)


@pytest.mark.claim("troubleshooting.md", "Never ship one there: anyone can read a secret in an app, and a backend token reads the full configuration of every flag in its projects.")  # fmt: skip
@pytest.mark.claim(PAGE, 'It answers one question, *which flags are on for this user?*, and nothing more.', "A server-side SDK downloads every flag's full configuration and evaluates it locally; that configuration (strategies, user lists, constraints) is not something to ship to a browser.", 'The front-end API evaluates the flags on the server instead and returns only the result.')  # fmt: skip
def test_when__server_sdks_get_configuration_front_end_gets_results(
    unleash: Sandbox, demo_flag: str
) -> None:
    client = call(unleash, "GET", "/api/client/features", unleash.backend_token).json()["features"]
    configuration = next(f for f in client if f["name"] == demo_flag)
    assert configuration["strategies"]  # the rules themselves ...
    result = toggles(unleash)[demo_flag]
    assert set(result) == {"name", "enabled", "variant", "impressionData"}  # ... versus the outcome


REFERENCE = "reference/api-tokens-and-client-keys.md"
ELSEWHERE = [
    "/api/client/features",  # flag configurations
    "/api/admin/projects/default/features",
    "/api/admin/projects/default/features/docs-demo/environments/development/strategies",
    "/api/admin/api-tokens",  # other tokens
]


@pytest.mark.claim(
    PAGE,
    "A backend or admin token gets `403` ([Unleash 7 differs](api-tokens-and-client-keys.md#unleash-7)), and a front-end token is refused everywhere else.",
)
@pytest.mark.claim(
    REFERENCE,
    "It cannot read flag configurations, strategies or other tokens, and the browser only lets pages from [allowed origins](front-end-api.md#cors) read its answers.",
)
def test_front_end_tokens__refused_everywhere_else(unleash: Sandbox, demo_flag: str) -> None:
    for path in ELSEWHERE:
        assert call(unleash, "GET", path, unleash.frontend_token).status_code == 403, path


@pytest.mark.claim("get-started.md", "Then switch the flag on in `development` (for another environment, put its name in place of `development` in the address):")  # fmt: skip
def test_get_started__switch_on_in_another_environment(
    unleash: Sandbox, make_flag: Callable[..., str], sample_env: dict[str, str], tmp_path: Path
) -> None:
    """The page's switch-on block, with `production` in the address (on a flag of this test's)."""
    name = make_flag("elsewhere", None, on=False)
    block = next(b for b in demo_flag_blocks() if "/environments/development/on" in b.code)
    code = block.code.replace("/docs-demo/", f"/{name}/").replace("/development/", "/production/")
    done = run_bash(block, sample_env, tmp_path, code=code)
    assert (done.returncode, done.stdout.strip()) == (0, "200"), done.stderr
    flag = call(unleash, "GET", f"{FEATURES}/{name}", unleash.admin_token).json()
    enabled = {e["name"]: e["enabled"] for e in flag["environments"]}
    assert enabled == {"development": False, "production": True}
