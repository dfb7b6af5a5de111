"""Front-end API, CORS: the browser sample of the SDK page, run in Chromium from a second origin.

The sample (examples/browser/index.html, shown on the page) is served from 127.0.0.2, while
Unleash runs on 127.0.0.1: a cross-origin page, as in production. With its origin allowed, it reads
the flag; with only another origin allowed, the browser blocks the answer and the sample says so.
Each case gets a fresh browser context, so no cached preflight answer carries over.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from blocks import DOCS, EXAMPLES, site_blocks
from harness.browser import click_until, open_admin_page
from harness.cors import allowed_origins
from harness.demo import Shell
from harness.forward import forwarder
from harness.reader import PAGE_PORT
from site_tools.static import serve_folder
from unleash_api import poll_until
from unleash_sandbox import Sandbox, installs

RUNNER = "tests/test_browser_cors.py::test_browser_sample"
PAGE_ORIGIN = f"http://{PAGE_PORT}"


@pytest.fixture
def sample_origin(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served from a second loopback origin: (the folder, its origin)."""
    web = tmp_path / "web"
    web.mkdir()
    with serve_folder(web, "127.0.0.2") as server:
        yield web, f"http://127.0.0.2:{server.server_address[1]}"


def set_up_as_the_page_says(web: Path, origin: str, env: dict[str, str], runner: str) -> None:
    """A section's files and setup blocks, in the reader's folder: each file saved under the name
    the page shows, then the blocks run (copy the SDK's browser build, bundle, allow the page's
    origin with the CORS section's script, which the reader saved there too), with the Node the
    pages name; the page's 8080 is this test's origin."""
    (web / "node_modules").symlink_to(installs.install() / "node_modules")
    shutil.copy(EXAMPLES / "add_cors_origin.sh", web / "add_cors_origin.sh")
    for block in (b for b in site_blocks() if b.runner == runner and b.snippet is not None):
        shutil.copy(block.snippet, web / (block.title or block.snippet.name))
    node = installs.install() / "node_modules" / "node-20" / "bin"
    shell = Shell({**env, "PATH": f"{node}:{env['PATH']}"}, web, {PAGE_ORIGIN: origin})
    setup = [b for b in site_blocks() if b.runner == runner and b.snippet is None]
    assert setup, f"the section {runner} runs has no setup block"
    if runner != RUNNER:  # "with its origin allowed the same way" as the browser section's
        setup += [b for b in site_blocks() if b.runner == RUNNER and "add_cors_origin" in b.code]
    for block in setup:
        done = shell.run(block)
        assert done.returncode == 0, f"{block.key}: {done.stderr}"
    (web / "node_modules").unlink()


def run_sample_page(
    new_context: Callable[..., BrowserContext],
    origin: str,
    unleash: Sandbox,
    page: str,
    server_url: str | None = None,
) -> tuple[str, list[str]]:
    """The sample page in a fresh context, reading `server_url` (default: the server itself),
    its requests left alone as a reader's browser sends them (harness.browser.new_context)."""
    tab = new_context(intercept=False).new_page()
    console: list[str] = []
    tab.on("console", lambda m: console.append(m.text))
    tab.goto(f"{origin}/{page}?url={server_url or unleash.url}&token={unleash.frontend_token}")
    result = tab.locator("#result")
    expect(result).not_to_have_text("Asking Unleash…", timeout=15_000)
    return result.inner_text(), console


@pytest.mark.claim('reference/front-end-api.md', 'Front-end SDKs take this address as their `url`.')  # fmt: skip
@pytest.mark.claim('reference/sdks-and-tokens.md', "| on users' devices | [front-end token](api-tokens-and-client-keys.md#front-end-tokens) | `<your Unleash URL>/api/frontend` | browser `unleash-proxy-client` |")  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", 'The page will be served from `http://127.0.0.1:8080`, and the server must [allow that origin](front-end-api.md#cors).')  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "Then open `http://127.0.0.1:8080/index.html?url=<your Unleash URL>&token=<front-end token>` in a browser: it shows `docs-demo enabled: true`.", 'A new server allows every origin; if yours has a list, add the page\'s origin to it with the script `add_cors_origin.sh` from the CORS section:')  # fmt: skip
def test_browser_sample(sample_site: SampleSite) -> None:
    """On a server whose list of origins is a reader's own, the section's steps (the page, the
    script that adds its origin) make the sample read the flag."""
    assert reads_the_flag(sample_site, RUNNER, "index.html") == "docs-demo enabled: true"


@dataclass
class SampleSite:
    """The sample pages' folder, served from a second origin, with what it takes to show them."""

    unleash: Sandbox
    web: Path
    origin: str
    origins: Callable[[list[str]], int]
    env: dict[str, str]
    new_context: Callable[..., BrowserContext]

    def set_up(self, runner: str) -> None:
        set_up_as_the_page_says(self.web, self.origin, self.env, runner)

    def show(
        self, page: str, allowed: list[str] | None = None, server_url: str | None = None
    ) -> tuple[str, list[str]]:
        """The page's text and console, after allowing these origins (when given)."""
        if allowed is not None:
            assert self.origins(allowed) == 204
        return run_sample_page(self.new_context, self.origin, self.unleash, page, server_url)


@pytest.fixture
def sample_site(
    unleash: Sandbox,
    demo_flag: str,
    sample_origin: tuple[Path, str],
    origins: Callable[[list[str]], int],
    sample_env: dict[str, str],
    new_context: Callable[..., BrowserContext],
) -> SampleSite:
    web, origin = sample_origin
    return SampleSite(unleash, web, origin, origins, sample_env, new_context)


def reads_the_flag(site: SampleSite, runner: str, page: str) -> str:
    """A section (by the test that runs its blocks) set up as it says, on a server whose list of
    origins is a reader's own without the page's origin; then what its page shows."""
    assert site.origins(["http://shop.example"]) == 204
    site.set_up(runner)
    assert allowed_origins(site.unleash) == ["http://shop.example", site.origin]
    return site.show(page)[0]


@pytest.mark.claim("reference/front-end-api.md", '**In the admin UI**: open **Admin settings** › **Access control** › **CORS origins** (`/admin/cors`), enter one origin per line, and save.', "The front-end API does not use a new list at once: it reloads the setting periodically (the CORS origins page speaks of up to two minutes).")  # fmt: skip
@pytest.mark.claim('reference/front-end-api.md', 'The *API access* page of the admin UI shows it under **API URLs** as the front-end URL.')  # fmt: skip
def test_cors__origins_set_in_the_admin_ui(
    unleash: Sandbox, admin_ui: Page, origins: Callable[[list[str]], int]
) -> None:
    """The page's UI path (its bold labels and address) leads to a form that sets the list; in
    the same menu, the page it names lists the front-end API's URL."""
    text = (DOCS / "reference" / "front-end-api.md").read_text()
    line = next(p for p in text.split("\n\n") if p.startswith("**In the admin UI**"))
    admin_settings, access_control, cors_origins = re.findall(r"\*\*(.+?)\*\*", line)[1:4]
    address = re.search(r"`(/[^`]+)`", line)[1]
    page = admin_ui
    open_admin_page(page, admin_settings, access_control, cors_origins)
    page.wait_for_url(f"**{address}")
    expect(page.locator("main")).to_contain_text("up to two minutes")  # as the page quotes it
    page.locator("main").get_by_role("textbox").fill("http://shop.example\nhttp://admin.example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("main").get_by_role("textbox")).to_have_value(
        "http://shop.example\nhttp://admin.example"
    )

    def saved() -> bool | None:
        return (
            True
            if allowed_origins(unleash) == ["http://shop.example", "http://admin.example"]
            else None
        )

    poll_until("the origins saved in the UI to reach the server", saved, deadline_s=10)

    sentence = r"The \*(.+?)\* page of the admin UI shows it under \*\*(.+?)\*\*"
    shows = re.search(sentence, " ".join(text.split()))
    assert shows, "the page no longer says where the admin UI shows the URL"
    api_access, api_urls = shows[1], shows[2]
    # Still in the admin menu, where the main menu (open_admin_page's way in) is not shown
    link = page.get_by_role("link", name=api_access, exact=True)
    click_until(link, lambda: page.wait_for_url(f"**{link.get_attribute('href')}", timeout=5_000))
    expect(page.get_by_role("heading", name=api_urls, exact=True)).to_be_visible()
    named = page.get_by_role("rowheader", name="Frontend", exact=True)  # "as the front-end URL"
    front_end = page.get_by_role("row").filter(has=named)
    expect(
        front_end.get_by_role("cell", name=f"{unleash.url}/api/frontend/", exact=True)
    ).to_be_visible()


REACT = "tests/test_browser_cors.py::test_react_sample"


@pytest.mark.claim("reference/sdks-and-tokens.md", "Serve the folder as for [the browser SDK](#browser), with its origin allowed the same way, and keep the server running:")  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "A React app reads its flags with the React SDK, `@unleash/proxy-client-react`, which wraps the front-end SDK: it takes the same front-end token and front-end API URL.", "Then open `http://127.0.0.1:8080/react.html?url=<your Unleash URL>&token=<front-end token>` in a browser: it shows `docs-demo enabled: true`.")  # fmt: skip
def test_react_sample(sample_site: SampleSite) -> None:
    """The React section's files, bundled by its own command and served from a second origin,
    whose origin the section allows as the browser section does: the app reads the flag."""
    assert reads_the_flag(sample_site, REACT, "react.html") == "docs-demo enabled: true"


@pytest.mark.claim("reference/front-end-api.md", "Because the SDK sends an `Authorization` header, a browser first asks with a preflight request (`OPTIONS`); when the answer has no such header, the browser never sends the request for the flags, and the SDK reports a failed request.")  # fmt: skip
@pytest.mark.claim("troubleshooting.md", "**The browser's origin**: if a front-end SDK works from `curl` but not from your page, the page's origin is not allowed, and the browser does not even send the request for the flags ([CORS](reference/front-end-api.md#cors)).")  # fmt: skip
@pytest.mark.claim("reference/front-end-api.md", 'A browser only lets a page read an answer from another origin if the answer allows that origin with an `Access-Control-Allow-Origin` header.')  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", 'The page must be served from an origin the server [allows](front-end-api.md#cors); from any other, the browser blocks the answer and the page says that Unleash could not be read.')  # fmt: skip
@pytest.mark.claim("troubleshooting.md", "Its console shows *Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource*.")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "It cannot read flag configurations, strategies or other tokens, and the browser only lets pages from [allowed origins](front-end-api.md#cors) read its answers.")  # fmt: skip
def test_cors__a_refused_preflight_means_no_request_for_the_flags(sample_site: SampleSite) -> None:
    """What reaches the server from Chromium, through a forwarder that notes each request: with
    the page's origin allowed, a preflight and then the GET; without it, the preflight alone."""
    sample_site.set_up(RUNNER)
    with forwarder(sample_site.unleash.url) as (server_url, seen):
        sent = {}
        for case, allowed in (
            ("allowed", [sample_site.origin]),
            ("not allowed", ["http://shop.example"]),
        ):
            seen.clear()
            text, console = sample_site.show("index.html", allowed, server_url)
            sent[case] = ([m for m, p in seen if p.startswith("/api/frontend")], text, console)
    methods, text, _ = sent["allowed"]
    assert methods[:2] == ["OPTIONS", "GET"] and text == "docs-demo enabled: true", sent
    methods, text, console = sent["not allowed"]
    assert "OPTIONS" in methods and "GET" not in methods, methods
    assert text.startswith("Unleash could not be read"), text
    assert any(
        "Response to preflight request doesn't pass access control check: No "
        "'Access-Control-Allow-Origin' header is present on the requested resource" in line
        for line in console
    ), console
