"""Troubleshooting, from what the reader sees: each SDK's message, produced by the site's own
samples against the live server, with a wrong token, a token of the other type, and wrong URLs.

The messages are read from the page's first table; `<your Unleash URL>` stands for the server's
address, and the page writes them with `401`. Each sample runs as a reader runs it (Node next to
its node_modules, Python with the run's interpreter), edited only where a reader would have gone
wrong: the token in the environment, or the URL in the code. The runs go side by side, from the
start of the session (harness/sdk_runs.py).
"""

from __future__ import annotations

import re
from concurrent.futures import Future

import pytest

from harness.sdk_runs import CASES, FRONT_END, NODE, PYTHON_SDK, Outcome
from pages import page_tables

PAGE = "troubleshooting.md"
MESSAGES = {row["SDK"]: re.findall(r"`([^`]+)`", row["What it prints when the server refuses it"])
            for row in page_tables(PAGE)[0]}  # fmt: skip


@pytest.mark.claim(PAGE, "| Node, `unleash-client` | `Unleash Repository error: <your Unleash URL>/api/client/features responded 401 which means your API key is not allowed to connect. Stopping refresh of toggles` |", "| Python, `UnleashClient` | `Unleash Client feature fetch failed due to unexpected HTTP status code: 401` |", "| Front-end, `unleash-proxy-client` | `Unleash: Fetching feature toggles did not have an ok response`, and its `error` event carries `{ type: 'HttpError', code: 401 }` |")  # fmt: skip
@pytest.mark.claim(PAGE, "The number in it is the server's answer.", "With the samples of [SDKs and tokens](reference/sdks-and-tokens.md), the Node script then ends with that error, the Python script stops with `Unleash did not send the flags: check the URL and the token`, and the front-end script prints its flag as off.")  # fmt: skip
@pytest.mark.claim(PAGE, "**401**: the server does not know the secret.", "**403**: the server knows the secret, but not for this API.", "A server SDK was given a front-end token, a front-end SDK a backend token, or the URL is wrong: a server SDK's URL ends in `/api`, a front-end SDK's in `/api/frontend` ([wrong URLs](#urls)).")  # fmt: skip
@pytest.mark.claim(PAGE, "A server SDK's URL without `/api`, or with `/api/frontend`, gets `403`, as a token of the wrong type does, however good the token: the Node SDK prints `<your Unleash URL>/client/features responded 403`.", "A front-end SDK's URL without `/frontend` (ending in `/api`) gets `403` too.", "A slash at the end (`/api/`, `/api/frontend/`) does no harm: the three SDKs read the flags.", "A backend token in a browser or mobile app gets `403` from the front-end API.")  # fmt: skip
@pytest.mark.parametrize("case", CASES, ids=[f"{sdk.split(',')[0]}: {what}" for sdk, what in CASES])
def test_sdk_prints_what_the_page_says(
    case: tuple[str, str],
    sdk_messages_making: dict[tuple[str, str], Future[Outcome]],
) -> None:
    sdk, _ = case
    done, url = sdk_messages_making[case].result()
    printed = done.stdout + done.stderr
    status = CASES[case][2]
    if status == "works":
        assert done.returncode == 0 and printed.lower().strip() == "docs-demo enabled: true", (
            printed
        )
        return
    for message in MESSAGES[sdk]:
        # the status first: the server's port can hold "401" too (a run on port 40109 failed)
        expected = message.replace("401", status).replace("<your Unleash URL>/api", url)
        assert expected in printed, f"{case}: the page says\n{expected}\nthe SDK printed\n{printed}"
    ends = {NODE: (1, "Stopping refresh of toggles"),
            PYTHON_SDK: (1, "Unleash did not send the flags: check the URL and the token"),
            FRONT_END: (0, "docs-demo enabled: false")}[sdk]  # fmt: skip
    assert done.returncode == ends[0] and ends[1] in printed, (done.returncode, printed)
