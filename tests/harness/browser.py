"""One headless Chromium for the session, fresh offline contexts, and the logged-in admin UI."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from unleash_sandbox import Sandbox, SandboxError
from unleash_sandbox.browser import launch_options, offline_route


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="write the guide's screenshots (make screenshots) instead of comparing with them",
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's chromium where it is installed).

    Its home folder is a temp dir of its own: Chromium keeps a profile, a key store and settings
    there, which must not end up in the user's home.
    """
    try:
        options = launch_options()
    except SandboxError as error:
        pytest.exit(str(error), returncode=4)
    home = tempfile.mkdtemp(prefix="chromium-home-")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(**options, env={**os.environ, "HOME": home})
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0]
            shutil.rmtree(home)
            pytest.exit(
                f"Chromium could not be started ({first}). Set CHROMIUM_PATH.", returncode=4
            )
        yield launched
        launched.close()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (no cache, no cookies) that fetch nothing from outside the machine.

    `intercept=False` leaves the browser's requests alone, as a reader's browser sends them: with
    Playwright's routing on, Chromium sends no CORS preflight at all (measured), so what a test
    sees of CORS would not be what a reader's browser does. Only for pages that fetch nothing
    but loopback addresses (the network here reaches nothing else anyway)."""
    made: list[BrowserContext] = []

    def make(intercept: bool = True, **options: Any) -> BrowserContext:
        settings = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
        context = browser.new_context(**{**settings, **options})
        context.set_default_timeout(15_000)
        if intercept:
            context.route("**/*", offline_route({"127.0.0.1", "127.0.0.2", "localhost"}))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def admin_ui(unleash: Sandbox, new_context: Callable[..., BrowserContext]) -> Page:
    """A page logged in to the admin UI as the sandbox's admin."""
    if unleash.login is None:
        pytest.skip("the admin UI login is known only for our own sandbox (not for UNLEASH_URL)")
    page = new_context(device_scale_factor=2).new_page()  # screenshots for high-density screens
    return logged_in(page, unleash.url, unleash.login)


def logged_in(page: Page, url: str, login: tuple[str, str]) -> Page:
    """`page`, logged in to the admin UI at `url` with `login` (user, password)."""
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/personal")
    return page


def open_admin_page(page: Page, admin_settings: str, group: str, item: str) -> Locator:
    """Main menu › `admin_settings`, then the admin menu's `group` › `item`; returns the item.

    Each click waits for what it opens. A click on the item that the admin UI swallows while it
    is still drawing the page is made again (up to three times); a missing item fails at once.
    """
    page.get_by_role("link", name=admin_settings, exact=True).click()
    page.wait_for_url("**/admin")
    link = page.get_by_role("link", name=item, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name=group, exact=True).click()
    expect(link).to_be_visible()
    target = f"**{link.get_attribute('href')}"
    for attempt in range(3):
        link.click()
        try:
            page.wait_for_url(target, timeout=5_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
    return link


def open_project(page: Page, projects: str, name: str, project_id: str) -> None:
    """Main menu › `projects`, then the project shown as `name` (its page: /projects/<id>).

    A click on the project that the admin UI swallows while it draws the list is made again.
    """
    page.get_by_role("link", name=projects, exact=True).first.click()
    page.wait_for_url("**/projects")
    project = page.get_by_text(name, exact=True).first
    for attempt in range(3):
        project.click()
        try:
            page.wait_for_url(f"**/projects/{project_id}", timeout=5_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
