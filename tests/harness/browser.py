"""One headless Chromium for the session, fresh offline contexts, and the logged-in admin UI."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from harness.run import stop_run
from site_tools.browser import go_offline, launch_options
from unleash_sandbox import Sandbox, SandboxError
from version_notes import WELCOME_7_CLOSE, server_major


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="write the guide's screenshots (make screenshots) instead of comparing with them",
    )


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's chromium-headless-shell where it is
    installed, site_tools.browser).

    Its home folder is a temp dir of its own: Chromium keeps a profile, a key store and settings
    there, which must not end up in the user's home.
    """
    try:
        options = launch_options()
    except SandboxError as error:
        stop_run(request.session, str(error), 4)
    home = tempfile.mkdtemp(prefix="chromium-home-")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(**options, env={**os.environ, "HOME": home})
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0]
            shutil.rmtree(home)
            stop_run(
                request.session, f"Chromium could not be started ({first}). Set CHROMIUM_PATH.", 4
            )
        yield launched
        launched.close()
    shutil.rmtree(home, ignore_errors=True)


# The admin UI's pages come from Unleash compressed (Brotli) unless the browser asks for them
# as they are: compressing its 2.6 MB script again for every new context cost the server about
# 0.2 s of CPU per log-in (measured: 0.5 to 0.9 s against 0.3 to 0.5 s for a log-in and the admin
# page). What the pages show is the same either way.
UNCOMPRESSED = {"Accept-Encoding": "identity"}


@contextmanager
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (no cache, no cookies) that fetch nothing from outside the machine;
    closed at the end of the `with` block.

    `intercept=False` leaves the browser's requests alone, as a reader's browser sends them (and
    takes compressed answers, UNCOMPRESSED): with Playwright's routing on, Chromium sends no CORS
    preflight at all (measured), so what a test sees of CORS would not be what a reader's
    browser does. Only for pages that fetch nothing but loopback addresses (the network here
    reaches nothing else anyway)."""
    made: list[BrowserContext] = []

    def make(intercept: bool = True, **options: Any) -> BrowserContext:
        settings = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
        context = browser.new_context(**{**settings, **options})
        context.set_default_timeout(15_000)
        if intercept:
            go_offline(context, {"127.0.0.1", "127.0.0.2", "localhost"})
            context.set_extra_http_headers(UNCOMPRESSED)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts for one test (harness.browser.contexts)."""
    with contexts(browser) as make:
        yield make


@pytest.fixture
def admin_ui(unleash: Sandbox, new_context: Callable[..., BrowserContext]) -> Page:
    """A page logged in to the admin UI as the sandbox's admin."""
    if unleash.login is None:
        pytest.skip("the admin UI login is known only for our own sandbox (not for UNLEASH_URL)")
    page = new_context(device_scale_factor=2).new_page()  # screenshots for high-density screens
    return logged_in(page, unleash.url, unleash.login, server_major(unleash))


def logged_in(page: Page, url: str, login: tuple[str, str], major: int) -> Page:
    """`page`, logged in to the admin UI at `url` with `login` (user, password), on the page
    the admin UI opens with. Unleash 7 can open a welcome dialog over it, right away or a few
    steps later (version_notes): it is closed whenever it shows, as a reader closes it;
    Unleash 8 must open none."""
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/personal")
    # Not by role: when the dialog opens a second time, Unleash 7 hides it from screen readers,
    # though it shows it on the screen (measured).
    welcome = page.locator("button").filter(has_text=re.compile(rf"^{re.escape(WELCOME_7_CLOSE)}$"))

    def close(button: Locator) -> None:  # as a reader does, whenever it shows
        assert major < 8, f"Unleash {major} opened a welcome dialog, which the pages omit"
        click_until(button, lambda: expect(button).to_be_hidden(timeout=2_000), 5, wait=3_000)

    page.add_locator_handler(welcome, close)  # before each later click and check on this page
    return page


def click_until(
    target: Locator, done: Callable[[], object], attempts: int = 3, wait: float | None = None
) -> None:
    """Click `target` until `done()` passes: the admin UI can swallow a click while it is still
    drawing, or take the target away while Playwright clicks it. The first click waits for the
    target `wait` ms (default: the page's timeout), later ones 2 s. A target that cannot be
    clicked at all fails with the click's own error; after `attempts` clicks, with `done`'s."""
    for attempt in range(attempts):
        try:
            target.click(timeout=wait if attempt == 0 else 2_000)
            missed = None
        except PlaywrightError as error:
            missed = error
        try:
            done()
            return
        except (PlaywrightError, AssertionError):
            if attempt == 0 and missed is not None:
                raise missed from None
            if attempt == attempts - 1:
                raise


def select_field(page: Page, label: str, major: int) -> Locator:
    """The drop-down whose label a reader sees as `label`. Unleash 8 names it so for screen
    readers too; Unleash 7 names it by its current value, and ties the visible label to it with
    `<label for=...>` (measured on 7.6.5)."""
    if major >= 8:
        return page.get_by_role("combobox", name=label, exact=True)
    tag = page.locator("label").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
    return page.locator(f"[role=combobox][id='{tag.get_attribute('for')}']")


def on_off(page: Page, label: str, major: int) -> Locator:
    """An on/off switch named `label`: a switch on Unleash 8, a checkbox to screen readers on 7."""
    return page.get_by_role("switch" if major >= 8 else "checkbox", name=label, exact=True)


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
    click_until(link, lambda: page.wait_for_url(target, timeout=5_000))
    return link


def open_project(page: Page, projects: str, name: str, project_id: str) -> None:
    """Main menu › `projects`, then the project shown as `name` (its page: /projects/<id>).

    A click on the project that the admin UI swallows while it draws the list is made again.

    Right after a log-in the list can show "Error fetching projects" instead (measured on 8.x:
    the login page asks for the projects before anyone is logged in, and the UI keeps that 401
    until its own retry, 4 to 9 s later). While the project is looked for, the alert's own button
    (**Try again**) is clicked whenever it shows, as a reader would.
    """
    page.get_by_role("link", name=projects, exact=True).first.click()
    page.wait_for_url("**/projects")
    error = page.get_by_role("alert").filter(has_text="Error fetching projects")
    page.add_locator_handler(error, lambda alert: alert.get_by_role("button").click())
    project = page.get_by_text(name, exact=True).first
    click_until(project, lambda: page.wait_for_url(f"**/projects/{project_id}", timeout=5_000))
    page.remove_locator_handler(error)
