"""Client keys: the Unleash Proxy (npm `@unleash/proxy`, pinned in package.json), started against
the live server with a backend token and a key of our choosing, read by the front-end SDK's own
sample with that key; and refusing an Unleash front-end token."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.samples import EXAMPLES
from unleash_api import poll_until
from unleash_sandbox import Sandbox, installs, pins
from unleash_sandbox._util import free_port
from unleash_sandbox.processes import default_sigint, stop_process

PAGE = "reference/api-tokens-and-client-keys.md"
KEY = "docs-proxy-client-key"  # a client key: any secret the Proxy is started with


@pytest.fixture(scope="module")
def proxy(unleash: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Proxy on a free loopback port, reading the server with its backend token."""
    modules = installs.install() / "node_modules"
    node = installs.node(modules)  # the Proxy needs Node 22
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "UNLEASH_URL": f"{unleash.url}/api",
           "UNLEASH_API_TOKEN": unleash.backend_token, "UNLEASH_PROXY_CLIENT_KEYS": KEY,
           "PORT": str(port), "LOG_LEVEL": "warn", "UNLEASH_FETCH_INTERVAL": "1000",
           "TMPDIR": str(tmp_path_factory.mktemp("proxy"))}  # fmt: skip
    start = modules / "@unleash" / "proxy" / "dist" / "start.js"
    with subprocess.Popen([str(node), str(start)], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, preexec_fn=default_sigint) as child:  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/proxy"

            def up() -> bool | None:
                try:
                    return requests.get(f"{url}/health", timeout=2).ok or None
                except requests.ConnectionError:
                    return None

            poll_until("the Unleash Proxy to answer", up, 30)
            yield url
        finally:
            stop_process(child)


@pytest.mark.claim(PAGE, "A **client key** is not an Unleash token: it is a secret of the Unleash Proxy, a separate service that front-end SDKs can read flags from.", "You choose the keys when you start the Proxy (`UNLEASH_PROXY_CLIENT_KEYS`), the Proxy reads the flags from Unleash with a backend token, and a front-end SDK sends one of the keys to the Proxy's `/proxy` address in its option `clientKey`.")  # fmt: skip
def test_client_keys__the_front_end_sdk_reads_through_the_proxy(
    proxy: str, demo_flag: str, sample_env: dict[str, str], tmp_path: Path
) -> None:
    """The site's front-end SDK sample, pointed at the Proxy with a client key."""
    code = (EXAMPLES / "frontend_node.mjs").read_text()
    code = re.sub(
        r"`\$\{process\.env\.UNLEASH_URL\}/api/frontend`", "process.env.UNLEASH_URL", code
    )
    (tmp_path / "frontend_node.mjs").write_text(code)
    (tmp_path / "node_modules").symlink_to(installs.install() / "node_modules")
    node = installs.install() / "node_modules" / "node-20" / "bin" / "node"
    env = {**sample_env, "UNLEASH_URL": proxy, "UNLEASH_FRONTEND_TOKEN": KEY}

    def reads_the_flag() -> str | None:  # the Proxy's first fetch from Unleash may lag its start
        done = subprocess.run([str(node), "frontend_node.mjs"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=30)  # fmt: skip
        return done.stdout if "docs-demo enabled: true" in done.stdout else None

    poll_until("the front-end SDK to read docs-demo through the Proxy", reads_the_flag, 30, 1)


@pytest.mark.claim(PAGE, "The Proxy answers `401` to an Unleash front-end token.")
def test_client_keys__the_proxy_refuses_unleash_front_end_tokens(
    proxy: str, unleash: Sandbox
) -> None:
    assert requests.get(proxy, headers={"Authorization": KEY}, timeout=5).status_code == 200
    answer = requests.get(proxy, headers={"Authorization": unleash.frontend_token}, timeout=5)
    assert answer.status_code == 401


@pytest.mark.claim(PAGE, "The Proxy's own package says it is deprecated in favour of Unleash Edge, which this site does not cover.")  # fmt: skip
def test_client_keys__the_proxy_package_is_deprecated() -> None:
    readme = (installs.install() / "node_modules" / "@unleash" / "proxy" / "README.md").read_text()
    assert "This project is deprecated. Use [Unleash Edge]" in readme


@pytest.mark.claim(PAGE, "The front-end SDK's option is still called `clientKey`: today it takes a front-end token, sent to the [front-end API](front-end-api.md).")  # fmt: skip
def test_client_keys__the_front_end_sample_sends_a_front_end_token_as_client_key() -> None:
    """The sample the site runs against the front-end API passes its front-end token as
    `clientKey` (tests/test_examples.py runs it)."""
    code = (EXAMPLES / "frontend_node.mjs").read_text()
    assert "clientKey: process.env.UNLEASH_FRONTEND_TOKEN" in code
    assert "/api/frontend" in code


@pytest.mark.claim("get-started.md", "On Node 20, npm warns `EBADENGINE` about the Proxy, which asks for Node 22; the client-key sample runs on Node 20 all the same.")  # fmt: skip
def test_client_keys__npm_on_node_20_warns_about_the_proxy(tmp_path: Path) -> None:
    """What npm prints for the page's Proxy on Node 20 (the reader path runs the client-key
    sample on Node 20, and tests/test_examples.py does too)."""
    node_20 = installs.install() / "node_modules" / "node-20" / "bin"
    version = pins.dependencies()["@unleash/proxy"]
    env = {**installs.npm_env(), "PATH": f"{node_20}:{os.environ['PATH']}"}
    # --prefer-offline: the registry's answers from the project's npm cache, not asked again;
    # the warning comes from the package's `engines`, the same in either (1 s less, measured).
    done = subprocess.run(["npm", "install", "--dry-run", "--prefer-offline", f"@unleash/proxy@{version}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "EBADENGINE" in done.stderr and "required: { node: '>=22' }" in done.stderr, done.stderr
    assert "current: { node: 'v20." in done.stderr
