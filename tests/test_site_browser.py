"""The built site, in a real browser, offline: every page loads clean and works as a reader uses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from blocks import DOCS, ROOT
from harness.browser import contexts
from pages import Links

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)

# The second builder (Zensical) is checked here for what it does differently: its own script
# (every page loads clean) and its own search. What its pages link to and hold is checked
# statically in test_site.py; the other browser checks exercise Material's script, once.
MKDOCS_ONLY = pytest.mark.parametrize("builder", ["mkdocs"], indirect=True)
PAGES = sorted(str(p.relative_to(DOCS).with_suffix("")) for p in DOCS.rglob("*.md"))


def url_of(page: str) -> str:
    return "/" if page == "index" else f"/{page}/"


def open_clean(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    """Start opening a page (return once its first response is in); collect console errors and
    requests that failed or came back with an error, for as long as the page is open."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.goto(url, wait_until="commit")
    return page, problems


@pytest.fixture(scope="module")
def loaded(
    browser: Browser, site_url: str, request: pytest.FixtureRequest
) -> Iterator[dict[str, tuple[Page, list[str]]]]:
    """Every page this run loads (all of them in `make test`), opened all at once in one
    context and left until the network is idle (no request for half a second): the waits run
    side by side. (A context of their own each would cost 4 s more, measured, and see nothing
    more: an asset the pages share is one URL, fetched and checked once, by the first page.)"""
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if item.originalname == "test_page_loads_clean"  # type: ignore[attr-defined]
    }
    with contexts(browser) as new_context:
        context = new_context()
        pages = {name: open_clean(context, site_url + url_of(name)) for name in sorted(wanted)}
        for page, _ in pages.values():
            page.wait_for_load_state("networkidle")
        yield pages


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_clean(name: str, loaded: dict[str, tuple[Page, list[str]]]) -> None:
    page, problems = loaded[name]
    page.bring_to_front()  # a tab in the background draws, and loads lazy images, slowly
    images = page.locator("article img")
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()  # lazy images load when they come into view
        expect(images.nth(i)).to_have_js_property("complete", True)
        assert images.nth(i).evaluate("img => img.naturalWidth") > 0, images.nth(i).get_attribute(
            "src"
        )
    source = (DOCS / f"{name}.md").read_text()
    expect(page.locator("article .admonition")).to_have_count(
        source.count("\n!!! ") + source.startswith("!!! ")
    )
    page.wait_for_load_state("networkidle")  # what the images fetched, if anything failed
    assert problems == []


@pytest.mark.parametrize(
    ("page", "anchor"),
    [
        ("how-to/how-to-create-api-tokens", "step-1"),
        ("how-to/how-to-create-api-tokens", "step-2"),
        ("reference/api-tokens-and-client-keys", "token-data"),
        ("reference/front-end-api", "cors"),
    ],
)
@MKDOCS_ONLY
def test_stable_anchors_exist_and_links_land(
    page: str,
    anchor: str,
    site: Path,
    site_url: str,
    new_context: Callable[..., BrowserContext],
) -> None:
    """Each anchor is on its page, and opening its address brings it into view; the other pages
    whose sources link to it link to that address in the built site. Following such a link is
    opening its address: the theme's instant navigation, which would load pages by script, is
    off."""
    assert "navigation.instant" not in (ROOT / "mkdocs.yml").read_text()
    tab = new_context().new_page()
    tab.goto(site_url + url_of(page) + f"#{anchor}")
    expect(tab.locator(f"[id='{anchor}']")).to_be_in_viewport()
    address = f"{site_url}{url_of(page)}#{anchor}"
    linked_from = [
        p for p in PAGES if f"#{anchor})" in (DOCS / f"{p}.md").read_text() and p != page
    ]
    for source in linked_from:  # the links readers follow, on other pages
        links = Links()
        links.feed((site / url_of(source).strip("/") / "index.html").read_text())
        leads_to = {urljoin(site_url + url_of(source), ref) for ref in links.refs}
        assert address in leads_to, f"{source}: no link to {url_of(page)}#{anchor}"


@MKDOCS_ONLY
def test_content_tabs_switch(site_url: str, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    page.goto(site_url + url_of("how-to/how-to-create-api-tokens"))
    curl, python = page.get_by_text("curl", exact=True), page.get_by_text("Python", exact=True)
    expect(page.locator(".tabbed-block").nth(0)).to_be_visible()
    python.first.click()
    expect(page.locator(".tabbed-block").nth(1)).to_be_visible()
    expect(page.locator(".tabbed-block").nth(0)).to_be_hidden()
    curl.first.click()
    expect(page.locator(".tabbed-block").nth(0)).to_be_visible()


# Each build's search box and result list (Zensical draws its own search dialog).
SEARCH = {
    "mkdocs": (".md-search__input", ".md-search__input", ".md-search-result"),
    "zensical": (".md-search__button", "role=dialog >> role=combobox", "role=listbox"),
}


def test_search_finds_the_guide(
    builder: str, site_url: str, new_context: Callable[..., BrowserContext]
) -> None:
    opener, box, results = SEARCH[builder]
    page = new_context().new_page()
    page.goto(site_url + "/")
    page.locator(opener).first.click()
    page.locator(box).first.press_sequentially("token", delay=50)
    expect(page.locator(results).first).to_be_visible()
    expect(page.locator(results).first).to_contain_text("How to create API tokens")


@pytest.mark.claim('reference/front-end-api.md', 'The old address', 'This page used to live at `reference/frontend-api/`.')  # fmt: skip
@pytest.mark.claim("reference/front-end-api.md", 'That address still works and redirects here.')  # fmt: skip
@MKDOCS_ONLY
def test_old_frontend_api_address_redirects(
    new_context: Callable[..., BrowserContext], site_url: str
) -> None:
    page = new_context().new_page()
    page.goto(site_url + "/reference/frontend-api/")
    page.wait_for_url("**/reference/front-end-api/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Front-end API")


@MKDOCS_ONLY  # and Zensical's lightbox needs a CDN: see README
def test_images_open_in_the_lightbox(
    site_url: str, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    page.goto(site_url + url_of("how-to/how-to-create-api-tokens"))
    first = page.locator("article a.glightbox").first
    first.scroll_into_view_if_needed()
    first.click()
    expect(page.locator(".glightbox-container .gslide-image img").first).to_be_visible()


def test_built_pages_fetch_nothing_from_outside(site: Path) -> None:
    """No page refers to another host for a script, style, font or image."""
    for html in site.rglob("*.html"):
        text = html.read_text()
        markers = ('src="http', "src='http", 'href="https://fonts', 'stylesheet" href="http')
        for marker in (*markers, "@import url(http"):
            assert marker not in text, f"{html.relative_to(site)} loads {marker}..."
