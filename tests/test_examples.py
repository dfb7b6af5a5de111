"""The sample files in examples/ (shown on the pages through snippets) run against the live server.

Each file has one test here, named test_<file stem>: the block accounting finds it by that name.
Samples run as a reader runs them: Python files with Python, .mjs files with the pinned Node and
the pinned SDKs (in node_modules next to the file). SDK caches go to a temp HOME and TMPDIR.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from blocks import DOCS, expected_pattern, site_blocks
from harness.cors import allowed_origins
from harness.samples import EXAMPLES, PYTHON, run_node, run_sample
from unleash_api import delete_token, poll_until
from unleash_sandbox import Sandbox, installs
from unleash_sandbox._util import check_port_free, port_in_use
from unleash_sandbox.installs import shared_lock
from unleash_sandbox.planted import PAGE_TOKEN_NAME


@pytest.mark.claim('how-to/how-to-create-api-tokens.md', "The body holds [the token's fields](../reference/api-tokens-and-client-keys.md#token-data): put the environment the token is for, such as `production`, in `environment`, and its projects in `projects`.")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| `secret` | | | Made by the server: the value to send in the `Authorization` header. |")  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "The server answers `201 Created` with the new token (your secret and time differ; [Unleash 7](../reference/api-tokens-and-client-keys.md#unleash-7) leaves out `secure`):", "It prints the status, the token's type, environment and projects, then its secret:")  # fmt: skip
def test_create_backend_token(unleash: Sandbox, sample_env: dict[str, str]) -> None:
    with shared_lock(PAGE_TOKEN_NAME):  # the token of the pages' name lives only inside the turn
        check_create_backend_token(unleash, sample_env)


def check_create_backend_token(unleash: Sandbox, sample_env: dict[str, str]) -> None:
    out = run_sample([PYTHON, str(EXAMPLES / "create_backend_token.py")], sample_env)
    summary, secret = out.splitlines()
    try:
        assert summary == "201 backend development ['default']"
        # A new token's secret is "<project>:<environment>.<random hex>".
        assert re.fullmatch(r"default:development\.[0-9a-f]{56}", secret), secret
        # ... and it really is a working backend token: the client API accepts it.
        features = requests.get(
            f"{unleash.url}/api/client/features", headers={"Authorization": secret}, timeout=10
        )
        assert features.status_code == 200
    finally:
        delete_token(unleash, secret)


@pytest.mark.claim('reference/sdks-and-tokens.md', '| on your servers | [backend token](api-tokens-and-client-keys.md#token-types) | `<your Unleash URL>/api` | Python `UnleashClient`, Node `unleash-client` |')  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "Give each SDK the token's secret as it is; the SDK sends it in the `Authorization` header.", "The SDK's `READY` event says the flags have arrived, from the server or from the copy an earlier run left ([below](#wrong-token)).")  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "An SDK takes the token as an option and sends the header for you; see [SDKs and tokens](../reference/sdks-and-tokens.md).")  # fmt: skip
def test_sdk_python(demo_flag: str, reader_env: dict[str, str]) -> None:
    out = run_sample([PYTHON, str(EXAMPLES / "sdk_python.py")], reader_env)
    assert out.strip() == "docs-demo enabled: True"


@pytest.mark.claim('reference/sdks-and-tokens.md', '| on your servers | [backend token](api-tokens-and-client-keys.md#token-types) | `<your Unleash URL>/api` | Python `UnleashClient`, Node `unleash-client` |')  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "Give each SDK the token's secret as it is; the SDK sends it in the `Authorization` header.")  # fmt: skip
def test_sdk_node(demo_flag: str, reader_env: dict[str, str], tmp_path: Path) -> None:
    assert run_node("sdk_node.mjs", reader_env, tmp_path).strip() == "docs-demo enabled: true"


@pytest.mark.claim('reference/sdks-and-tokens.md', 'Which token an SDK needs depends on where it runs, not on its language:')  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "The same client runs in Node too, which is handy to check a front-end token from a script.")  # fmt: skip
def test_frontend_node(demo_flag: str, reader_env: dict[str, str], tmp_path: Path) -> None:
    out = run_node("frontend_node.mjs", reader_env, tmp_path)
    assert out.strip() == "docs-demo enabled: true"


FRONT_END = "reference/front-end-api.md"


@pytest.mark.claim(FRONT_END, 'To add an origin and keep the ones your server allows already, read the list first.', 'It prints the answer to the `POST` and the list the server allows now, which holds your origin:', 'The script only adds: to allow only your own origins, remove `*` in the admin UI.')  # fmt: skip
def test_add_cors_origin(
    unleash: Sandbox, origins: Callable[[list[str]], int], sample_env: dict[str, str]
) -> None:
    """On a server with a reader's own list: the origin is added, nothing is dropped or
    loosened, and a second run changes nothing; a list with `*` keeps it."""
    command = command_shown(FRONT_END, "add_cors_origin.sh")
    shown = next(b for b in site_blocks() if b.snippet == EXAMPLES / "add_cors_origin.sh")
    added = command[-1]
    for before in (["https://app.reader.example", "https://admin.reader.example"], ["*"]):
        assert origins(before) == 204
        for _ in range(2):
            out = run_sample(["bash", str(EXAMPLES / "add_cors_origin.sh"), added], sample_env)
            assert expected_pattern(shown.expected_output or "").fullmatch(out.strip()), out
            assert out.split() == ["204", json.dumps([*before, added], separators=(",", ":"))]
            assert allowed_origins(unleash) == [*before, added]


def command_shown(page: str, file: str) -> list[str]:
    """The command a page gives to run a sample file: `bash FILE ARGS`."""
    text = " ".join((DOCS / page).read_text().split())
    found = re.search(rf"`(bash {re.escape(file)} [^`]+)`", text)
    assert found, f"{page} does not say how to run {file}"
    return found[1].split()


def test_examples_have_tests() -> None:
    """Every sample file at the top of examples/ is run by a test here named after it."""
    missing = [f.name for f in EXAMPLES.glob("*.*") if f"test_{f.stem}" not in globals()]
    assert not missing, missing


@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "To see a client key at work, save this script as `proxy_client_key.sh` in the folder where you installed the packages of [Get started](../get-started.md#packages), which include the Proxy, `@unleash/proxy`.", "It starts the Proxy on port 3000 (or `PROXY_PORT`) with your backend token and the client key `my-client-key`, asks it for `docs-demo` with that key, and stops it:", "Run it with `bash proxy_client_key.sh`.", "It prints `true`.")  # fmt: skip
def test_proxy_client_key(demo_flag: str, reader_env: dict[str, str], tmp_path: Path) -> None:
    """In a folder with the packages of Get started, on the page's port 3000 (the reader path
    runs it with `PROXY_PORT`): it prints `true`, and the Proxy is gone after."""
    workdir = tmp_path / "reader"
    workdir.mkdir()
    shutil.copy(EXAMPLES / "proxy_client_key.sh", workdir)
    installed = installs.install() / "node_modules"
    (workdir / "node_modules").symlink_to(installed)
    env = {**reader_env, "PATH": f"{installed / 'node-20' / 'bin'}:{reader_env['PATH']}"}
    with shared_lock("port-3000"):  # another run on this machine may run it too
        check_port_free(3000, "stop what listens on port 3000 for this test")
        done = subprocess.run(["bash", "proxy_client_key.sh"], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=90)  # fmt: skip
        log = (workdir / "proxy.log").read_text() if (workdir / "proxy.log").exists() else ""
        assert (done.returncode, done.stdout.strip()) == (0, "true"), done.stderr + log
        poll_until("the Proxy to stop", lambda: True if port_in_use(3000) is None else None, 10)
