"""Front-end API, CORS: the browser sample of the SDK page, run in Chromium from a second origin.

The sample (examples/browser/index.html, shown on the page) is served from 127.0.0.2, while
Unleash runs on 127.0.0.1: a cross-origin page, as in production. With its origin allowed, it reads
the flag; with only another origin allowed, the browser blocks the answer and the sample says so.
Each case gets a fresh browser context, so no cached preflight answer carries over.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from conftest import EXAMPLES, serve_folder
from unleash_sandbox import Sandbox, native


@pytest.fixture
def sample_origin(tmp_path: Path) -> Iterator[str]:
    """The sample page and the SDK's browser build, served from a second loopback origin."""
    web = tmp_path / "web"
    web.mkdir()
    shutil.copy(EXAMPLES / "browser" / "index.html", web / "index.html")
    build = native.install() / "node_modules" / "unleash-proxy-client" / "build" / "main.min.js"
    shutil.copy(build, web / "unleash-proxy-client.min.js")
    server = serve_folder(web, "127.0.0.2")
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()


def run_sample_page(
    new_context: Callable[..., BrowserContext], origin: str, unleash: Sandbox
) -> tuple[str, list[str]]:
    page = new_context().new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{origin}/index.html?url={unleash.url}&token={unleash.frontend_token}")
    result = page.locator("#result")
    expect(result).not_to_have_text("Asking Unleash…", timeout=15_000)
    return result.inner_text(), console


def test_browser_sample(
    unleash: Sandbox,
    demo_flag: str,
    sample_origin: str,
    origins: Callable[[list[str]], int],
    new_context: Callable[..., BrowserContext],
) -> None:
    """The page's own origin allowed: the sample reads the flag."""
    assert origins([sample_origin]) == 204
    text, _ = run_sample_page(new_context, sample_origin, unleash)
    assert text == "docs-demo enabled: true"


def test_cors__browser_blocks_an_origin_that_is_not_allowed(
    unleash: Sandbox,
    demo_flag: str,
    sample_origin: str,
    origins: Callable[[list[str]], int],
    new_context: Callable[..., BrowserContext],
) -> None:
    assert origins(["http://shop.example"]) == 204
    text, console = run_sample_page(new_context, sample_origin, unleash)
    assert text.startswith("Unleash could not be read"), text
    assert any(
        "CORS policy" in line and "Access-Control-Allow-Origin" in line for line in console
    ), console
