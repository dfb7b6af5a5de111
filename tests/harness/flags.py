"""Flags of a test run on the front-end API: made, read through a front-end token, and deleted.

The front-end API serves a new flag about a second after it is made (measured; the page says "a
few seconds"). The flags that claims only read are therefore made at the start of the session,
in a thread, and waited for there (`served_flags_making`), while other tests run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import pytest
from intervals import FRONT_END_CHANGE_S, deadline

from harness.run import after_its_tests, start_early
from unleash_api import FEATURES, RUN, call, delete_flags, poll_until
from unleash_sandbox import Sandbox

FRONTEND = "/api/frontend"
WAIT = deadline(FRONT_END_CHANGE_S)  # for a change to reach the front-end API


def toggles(unleash: Sandbox, query: str = "", **kwargs: Any) -> dict[str, dict[str, Any]]:
    """The front-end API's answer for the sandbox's front-end token: each flag by name."""
    method = "POST" if "json" in kwargs else "GET"
    answer = call(unleash, method, f"{FRONTEND}{query}", unleash.frontend_token, **kwargs)
    assert answer.status_code == 200, answer.text
    return {t["name"]: t for t in answer.json()["toggles"]}


def new_flag(unleash: Sandbox, suffix: str, strategy: dict[str, Any] | None, on: bool) -> str:
    """A flag of this run in the default project, with `strategy` in development, and on there
    when `on`; its name. The caller deletes it."""
    name = f"{RUN}-{suffix}"
    call(unleash, "POST", FEATURES, unleash.admin_token, json={"name": name}).raise_for_status()
    env = f"{FEATURES}/{name}/environments/development"
    if strategy is not None:
        call(
            unleash, "POST", f"{env}/strategies", unleash.admin_token, json=strategy
        ).raise_for_status()
    if on:
        call(unleash, "POST", f"{env}/on", unleash.admin_token).raise_for_status()
    return name


@pytest.fixture
def make_flag(
    unleash: Sandbox, clean_up_later: Callable[..., None]
) -> Iterator[Callable[..., str]]:
    """Flags for one test, on in development (unless `on=False`) with the given strategy;
    deleted afterwards, in the background (a safe deletion waits about a second)."""
    made: list[str] = []

    def make(suffix: str, strategy: dict[str, Any] | None, on: bool = True) -> str:
        made.append(new_flag(unleash, suffix, strategy, on))
        return made[-1]

    yield make
    clean_up_later(delete_flags, unleash, made)


USER_42 = {
    "name": "flexibleRollout",
    "parameters": {"rollout": "100", "stickiness": "default", "groupId": "x"},
    "constraints": [{"contextName": "userId", "operator": "IN", "values": ["42"]}],
}
REGION_EU = {
    **USER_42,
    "constraints": [{"contextName": "region", "operator": "IN", "values": ["eu"]}],
}
# The flags `served_flags` makes, by key: (strategy, on, the query whose answer lists the flag
# once the front-end API serves it; None for the flag that is off, which no answer lists). The
# off flag is made before the last one waited for: an answer that lists that one has seen it.
SERVED = {
    "on": ({"name": "default"}, True, ""),
    "off": ({"name": "default"}, False, None),
    "user-42": (USER_42, True, "?userId=42"),
    "region-eu": (REGION_EU, True, "?region=eu"),
}


def _make_and_wait(unleash: Sandbox, made: list[str]) -> dict[str, str]:
    names = {}
    for key, (strategy, on, _) in SERVED.items():
        made.append(new_flag(unleash, f"served-{key}", strategy, on))
        names[key] = made[-1]
    for key, (_, _, query) in SERVED.items():
        if query is not None:
            name = names[key]
            poll_until(
                f"the new flag {name} in the front-end API",
                lambda n=name, q=query: True if n in toggles(unleash, q) else None,
                WAIT,
            )
    return names


@pytest.fixture(scope="session")
def served_flags_making(
    request: pytest.FixtureRequest, unleash: Sandbox, clean_up_later: Callable[..., None]
) -> Iterator[Future[dict[str, str]]]:
    """The flags of SERVED being made in a thread, until the front-end API serves them; deleted
    in the background once the last test that reads them has run (a safe deletion waits about a
    second: the tests after it go on meanwhile)."""
    made: list[str] = []

    def delete() -> None:
        wait([ready])  # (a test that failed before it read them did not wait for them)
        delete_flags(unleash, made)

    with ThreadPoolExecutor(max_workers=1) as pool:
        ready = pool.submit(_make_and_wait, unleash, made)
        at_the_end = after_its_tests(request, "served_flags_making", lambda: clean_up_later(delete))
        yield ready
    at_the_end()


@pytest.fixture(scope="session")
def served_flags(served_flags_making: Future[dict[str, str]]) -> dict[str, str]:
    """The flags of SERVED, by key, once the front-end API serves them: their names."""
    return served_flags_making.result()


@pytest.fixture(scope="session", autouse=True)
def _start_making_the_served_flags(request: pytest.FixtureRequest) -> None:
    start_early(request, "served_flags_making")
