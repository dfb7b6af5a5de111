"""SDKs and tokens: what the SDKs do with a wrong token, with and without a copy of old flags.

The samples of the page run as they are, twice in the same home and temp folder: first with the
right token (the SDK keeps a copy of the flags), then with a wrong one.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from harness.samples import EXAMPLES, PYTHON, run_node
from harness.sdk_runs import WRONG, run
from unleash_sandbox import installs

PAGE = "reference/sdks-and-tokens.md"


@pytest.mark.claim(PAGE, 'With a wrong token, the server answers `401` and the SDK logs it, but:', 'with no copy yet, every flag reads as off;')  # fmt: skip
@pytest.mark.claim(PAGE, "With neither within five seconds, the sample stops with `Unleash did not send the flags: check the URL and the token`.")  # fmt: skip
def test_wrong_token__python_without_a_copy_reads_nothing(
    sdk_waits_making: dict[str, Future[Any]],
) -> None:
    result, waited = sdk_waits_making["python without a copy"].result()
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


@pytest.mark.claim(PAGE, "The server SDKs keep a copy of the last flags they received: the Python SDK in a cache directory (by default under `~/.cache/<app name>`), the Node SDK in a backup file in the system's temp folder.", "with a copy from an earlier run, the SDK **still serves the old flags**, so a broken token can go unnoticed.")  # fmt: skip
def test_wrong_token__node_serves_its_old_copy(sdk_waits_making: dict[str, Future[Any]]) -> None:
    first, backups, stale = sdk_waits_making["node with a copy"].result()
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


@pytest.mark.claim("troubleshooting.md", "**The Node SDK after a refused token** stops asking the server: once the token is fixed, restart the process.")  # fmt: skip
def test_node__stops_asking_after_a_refused_token(sdk_waits_making: dict[str, Future[Any]]) -> None:
    """For 4 s, polling every 0.3 s: a refused token is asked once, a good one again and again."""
    counts = sdk_waits_making["node polling"].result()
    print(f"requests for the flags in 4 s: {counts}")
    assert counts["wrong"] == 1 and counts["good"] >= 5, counts
