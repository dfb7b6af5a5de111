"""SDK runs that mostly wait out an SDK's timers, started in the background at session start.

The samples with a wrong token or a wrong URL take seconds each, most of them waiting: the Python
sample waits five seconds for the flags, the watchers of SDKs and tokens run for two and four.
They start as the session does, in threads, once the demo flag they read is ready, and the tests
that check them read what they did (tests/test_claims_sdk_messages.py, tests/test_claims_sdks.py).
They are background work (harness.parallel): the worker that runs those tests starts them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from harness.forward import forwarder
from harness.run import start_early
from harness.samples import EXAMPLES, PYTHON, in_folder, run_node
from unleash_sandbox import Sandbox, installs

WRONG = "default:development." + "0" * 56  # a secret the server never made

# --- The troubleshooting page's cases: each SDK's sample, with what a reader got wrong ---------
NODE, PYTHON_SDK, FRONT_END = (
    "Node, `unleash-client`",
    "Python, `UnleashClient`",
    "Front-end, `unleash-proxy-client`",
)  # the SDKs as the page's first table names them
SAMPLES = {NODE: "sdk_node.mjs", PYTHON_SDK: "sdk_python.py", FRONT_END: "frontend_node.mjs"}
URL_IN_CODE = re.compile(r"(UNLEASH_URL\W*\})/api(?:/frontend)?")
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
Outcome = tuple[subprocess.CompletedProcess[str], str]  # what the sample did, the URL it asked


def run_case(
    sdk: str, wrong: dict[str, str], suffix: str | None, env: dict[str, str], folder: Path
) -> Outcome:
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
        args = [str(installs.node()), str(sample)]
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    shutil.rmtree(folder / "home")  # what the SDK cached: nothing a later case may read
    return done, env["UNLEASH_URL"] + ("/api" if suffix is None else suffix).rstrip("/")


def _after(ready: Future[None], work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)` once `ready` is done (the demo flag the samples read)."""
    ready.result()
    return work(*args)


@pytest.fixture(scope="session")
def sdk_messages_making(
    demo_flag_making: Future[None], unleash: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Future[Outcome]]]:
    """Every case of CASES, run side by side (they mostly wait) once the demo flag is ready."""
    base = tmp_path_factory.mktemp("sdk-messages")
    sample_env = {**os.environ, **unleash.env()}
    with ThreadPoolExecutor(max_workers=len(CASES)) as pool:
        yield {
            case: pool.submit(
                _after,
                demo_flag_making,
                run_case,
                case[0],
                wrong,
                suffix,
                sample_env,
                base / f"case-{n}",
            )  # fmt: skip
            for n, (case, (wrong, suffix, _)) in enumerate(CASES.items())
        }


# --- SDKs and tokens: a wrong token, with and without a copy of old flags ----------------------
NODE_WATCHER = """
import { initialize } from 'unleash-client';
const unleash = initialize({
  url: `${process.env.UNLEASH_URL}/api`, appName: 'checkout-service',
  customHeaders: { Authorization: process.env.UNLEASH_BACKEND_TOKEN },
});
unleash.on('error', (error) => console.error('error event:', error.message));
unleash.on('ready', () => { console.log('docs-demo enabled:', unleash.isEnabled('docs-demo')); });
setTimeout(() => unleash.destroy(), 2000);
"""
COUNTING_WATCHER = """
import { initialize } from 'unleash-client';
const unleash = initialize({
  url: `${process.env.UNLEASH_URL}/api`, appName: 'checkout-service', refreshInterval: 300,
  disableMetrics: true, customHeaders: { Authorization: process.env.UNLEASH_BACKEND_TOKEN },
});
unleash.on('error', () => {});
setTimeout(() => unleash.destroy(), 4000);
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def timed(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    return run(args, env), time.monotonic() - began


def node_with_a_copy(
    env: dict[str, str], folder: Path
) -> tuple[str, list[Path], subprocess.CompletedProcess[str]]:
    """The Node sample with the right token (what it printed, the copies it left in TMPDIR), then
    a watcher with a wrong token in the same folders."""
    first = run_node("sdk_node.mjs", env, folder)
    backups = list(Path(env["TMPDIR"]).glob("unleash-backup-*"))
    watcher = folder / "node-app" / "watch.mjs"
    watcher.write_text(NODE_WATCHER)
    return (
        first,
        backups,
        run([str(installs.node()), str(watcher)], {**env, "UNLEASH_BACKEND_TOKEN": WRONG}),
    )


def node_polling(unleash: Sandbox, reader_env: dict[str, str], tmp_path: Path) -> dict[str, int]:
    """How often a refused and a good token ask for the flags in 4 s: the two run side by side,
    each through a loopback forwarder that notes what it passes on."""
    (tmp_path / "node-app").mkdir()
    (tmp_path / "node-app" / "node_modules").symlink_to(installs.install() / "node_modules")
    watcher = tmp_path / "node-app" / "count.mjs"
    watcher.write_text(COUNTING_WATCHER)
    tokens = {"good": reader_env["UNLEASH_BACKEND_TOKEN"], "wrong": WRONG}
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        proxies = {name: stack.enter_context(forwarder(unleash.url)) for name in tokens}
        runs = [
            pool.submit(run, [str(installs.node()), str(watcher)],
                        {**reader_env, "UNLEASH_URL": proxies[name][0], "UNLEASH_BACKEND_TOKEN": token})
            for name, token in tokens.items()
        ]  # fmt: skip
        for done in runs:
            done.result()
    return {
        name: sum(path.startswith("/api/client/features") for _, path in proxies[name][1])
        for name in tokens
    }


@pytest.fixture(scope="session")
def sdk_waits_making(
    demo_flag_making: Future[None], unleash: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Any]]]:
    """The runs of SDKs and tokens that mostly wait out an SDK's timers (five seconds, four,
    two), side by side once the demo flag is ready; each test reads the one it checks."""
    server_env = {**os.environ, **unleash.env()}

    def env_in(name: str) -> tuple[dict[str, str], Path]:
        folder = tmp_path_factory.mktemp(name)
        return in_folder(server_env, folder), folder

    python_env = {**env_in("python-no-copy")[0], "UNLEASH_BACKEND_TOKEN": WRONG}
    ready = demo_flag_making
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            "python without a copy": pool.submit(
                _after, ready, timed, [PYTHON, str(EXAMPLES / "sdk_python.py")], python_env
            ),
            "node with a copy": pool.submit(_after, ready, node_with_a_copy, *env_in("node-copy")),
            "node polling": pool.submit(
                _after, ready, node_polling, unleash, *env_in("node-polling")
            ),
        }


@pytest.fixture(scope="session", autouse=True)
def _start_the_sdk_runs(request: pytest.FixtureRequest) -> None:
    for making in ("sdk_messages_making", "sdk_waits_making"):
        start_early(request, making)
