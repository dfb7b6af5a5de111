"""How to rotate an API token: the page's steps, run against the live server, timed.

The page's blocks run once, at session start (harness/lagging.py, `rotation`): the token the
page builds on, the new token, the delete of the old one. The old secret's refusal lags behind
the server's token cache, so it is waited for in the background and collected last.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from intervals import TOKEN_CACHE_S, deadline, within

from blocks import built_on, site_blocks
from harness.demo import Shell
from harness.lagging import ROTATION
from unleash_api import delete_token
from unleash_sandbox import Sandbox

PAGE = "how-to/how-to-rotate-an-api-token.md"
MakeToken = Callable[..., dict[str, Any]]


@pytest.mark.claim('how-to/how-to-rotate-an-api-token.md', 'Check that the service reads its flags with the new secret before you go on, for example with the request in [Using API tokens](how-to-create-api-tokens.md#using-api-tokens).')  # fmt: skip
@pytest.mark.claim(PAGE, "Unleash lets the old and the new secret work side by side, so the swap needs no downtime: create the new token, move your service to it, then delete the old one.", "Names need not be unique, so the old token stays as it is, and both secrets are accepted from now on:", "While it rolls out, instances that still send the old secret keep working, and the ones already restarted send the new one.")  # fmt: skip
def test_new_token__old_and_new_both_accepted(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, _ = rotation
    assert seen["old"] != seen["new"]
    assert seen["while both exist"] == [200, 200]
    print(f"both secrets existed, and were accepted, for {seen['both existed for']:.2f} s")


@pytest.mark.claim(PAGE, "**Before you start**: you need the secret your service sends today, such as the one [How to create API tokens](how-to-create-api-tokens.md#admin-api-backend) makes for `checkout-service`.", "Put the secret your service sends today in `OLD_SECRET`, in the shell where you run the next steps, and look the token up:")  # fmt: skip
@pytest.mark.claim(PAGE, "It prints the token's name and scope, which the new token copies:", 'The list calls a backend token `"type": "client"` ([why](../reference/api-tokens-and-client-keys.md#token-data)).')  # fmt: skip
def test_old_token__found_by_its_secret_listed_as_client(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, _ = rotation
    found = json.loads(seen["outputs"]["old-token"])
    assert found == {"tokenName": "checkout-service", "type": "client",
                     "environment": "development", "projects": ["default"]}  # fmt: skip


@pytest.mark.claim(PAGE, 'When it prints nothing, the server has no token with that secret: check what you pasted.')  # fmt: skip
def test_old_token__a_mistyped_secret_prints_nothing(
    sample_env: dict[str, str], tmp_path: Path
) -> None:
    step = next(b for b in site_blocks() if b.page == ROTATION and b.section == "old-token")
    shell = Shell(dict(sample_env), tmp_path)
    made_up = "default:development." + "0" * 56  # a secret the server never made
    source = next(b for b in site_blocks() if (b.page, b.section) in built_on(ROTATION))
    shell.remember(source, made_up)
    done = shell.run(step)
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.claim(PAGE, "Delete the token whose secret is in `OLD_SECRET`, and no other, then check that it is gone:", "It prints `0`: no token has the old secret any more.")  # fmt: skip
def test_delete_old__only_that_token_is_gone(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, _ = rotation
    code, printed = seen["delete block"]
    assert (code, printed.strip()) == (0, "0")
    assert seen["old"] not in seen["listed after"]
    assert seen["new"] in seen["listed after"] and seen["twin"] in seen["listed after"]
    assert seen["new after the delete"] == 200


@pytest.mark.lagging
@pytest.mark.claim(PAGE, "The old secret can still be accepted for a short while after the delete ([how long](../reference/api-tokens-and-client-keys.md#revoking)).")  # fmt: skip
def test_delete_old__old_secret_accepted_for_a_while_then_refused(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, refused = rotation
    lag = refused.result(timeout=deadline(TOKEN_CACHE_S))
    print(f"the old secret was refused {lag:.1f} s after the page's delete block")
    assert seen["old right after the delete"] == 200  # still accepted just after the delete ...
    assert lag <= within(TOKEN_CACHE_S)  # ... and refused once the server refreshes its token cache


@pytest.mark.claim(PAGE, "Create a token with the same name, type, projects and environment as the old one: this reads them from the old token and sends them back.")  # fmt: skip
@pytest.mark.parametrize("kind", ["backend", "frontend"])
def test_new_token__copies_any_old_tokens_scope(
    unleash: Sandbox, make_token: MakeToken, sample_env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    """Steps 1 and 2 on a token of another type, environment and projects than the page's."""
    old = make_token(type=kind, environment="production", projects=["default"])
    steps = [
        b for b in site_blocks() if b.page == ROTATION and b.section in ("old-token", "new-token")
    ]
    shell = Shell(dict(sample_env), tmp_path)
    source = next(b for b in site_blocks() if (b.page, b.section) in built_on(ROTATION))
    shell.remember(source, old["secret"])  # the reader pastes their service's secret
    outputs = []
    for step in steps:
        done = shell.run(step)
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    new = outputs[-1]
    delete_token(unleash, new["secret"])
    assert new["secret"] != old["secret"]
    assert (new["tokenName"], new["type"], new["environment"], new["projects"]) == (
        old["tokenName"], kind, "production", ["default"]
    )  # fmt: skip
