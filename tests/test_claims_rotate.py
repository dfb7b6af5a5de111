"""How to rotate an API token: the page's steps, run against the live server, timed.

The page's blocks run once, at session start (harness/lagging.py, `rotation`): the token the
page builds on, the new token, the delete of the old one. The old secret's refusal lags behind
the server's token cache, so it is waited for in the background and collected last.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

PAGE = "how-to/how-to-rotate-an-api-token.md"


@pytest.mark.claim(PAGE, "Unleash lets the old and the new secret work side by side", "Names need not be unique, so the old token stays as it is, and both secrets are accepted from now on", "While it rolls out, instances that still send the old secret keep working")  # fmt: skip
def test_new_token__old_and_new_both_accepted(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, _ = rotation
    assert seen["old"] != seen["new"]
    assert seen["while both exist"] == [200, 200]
    print(f"both secrets existed, and were accepted, for {seen['both existed for']:.2f} s")


@pytest.mark.claim(PAGE, "Delete every token named `checkout-service` except the newest, then list what is left:", "Only the new token is left:")  # fmt: skip
def test_delete_old__only_the_new_token_is_left(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    seen, _ = rotation
    code, printed = seen["delete block"]
    assert code == 0, printed
    assert printed.split() == ["checkout-service", seen["new"]]
    assert seen["old"] not in seen["listed after"] and seen["new"] in seen["listed after"]
    assert seen["new after the delete"] == 200


@pytest.mark.lagging
@pytest.mark.claim(PAGE, "The old secret is not refused at once: the server keeps the tokens it has seen in memory, and a deleted token can be accepted for up to about a minute, until that cache is refreshed", "Wait that minute before you count the old secret as dead")  # fmt: skip
def test_delete_old__old_secret_refused_within_about_a_minute(
    rotation: tuple[dict[str, Any], Future[float]],
) -> None:
    _, refused = rotation
    lag = refused.result(timeout=120)
    print(f"the old secret was refused {lag:.1f} s after the page's delete block")
    assert lag <= 75
