"""Get started: the demo flag made in the admin UI, following the page's words in Chromium.

The labels are read from the page's "**In the admin UI**" paragraph, in order. The flag gets a
run-unique name instead of `docs-demo` (which the other tests share) and is deleted afterwards;
it must end up as the page's Admin API blocks leave `docs-demo`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from blocks import DOCS, WAY_IN
from harness.browser import on_off, open_project
from unleash_api import FEATURES, RUN, call, delete_flags
from unleash_sandbox import Sandbox
from version_notes import server_major

PARAGRAPH = next(
    p for p in (DOCS / WAY_IN).read_text().split("\n\n") if p.startswith("**In the admin UI**")
)


@pytest.fixture
def flag_name(unleash: Sandbox, clean_up_later: Callable[..., None]) -> Iterator[str]:
    name = f"{RUN}-ui-flag"
    yield name
    clean_up_later(delete_flags, unleash, [name])


@pytest.mark.claim('get-started.md', "On the flag's page, switch it on in **development**: the flag gets the same strategy as above.")  # fmt: skip
@pytest.mark.claim("get-started.md", '**In the admin UI** of Unleash 8 instead: in the main menu, open **Projects**, then the project **Default**, and select **New feature flag**.', 'Fill in **Feature flag name** with `docs-demo`, keep the type **Release**, and select **Create feature flag**.', 'A flag switched on without a strategy of its own gets one that lets everybody in (a gradual rollout at 100 %).')  # fmt: skip
def test_demo_flag_in_the_admin_ui(admin_ui: Page, unleash: Sandbox, flag_name: str) -> None:
    (projects, default, new_flag, name_label, release, create,
     environment) = re.findall(r"\*\*(.+?)\*\*", PARAGRAPH)[1:]  # fmt: skip
    assert "`docs-demo`" in PARAGRAPH
    page = admin_ui
    open_project(page, projects, default, "default")
    # A new project also shows the button in its setup box, which opens a shorter form: the
    # page's button is the one above the project's list of flags, the last on the page.
    button = page.get_by_role("button", name=new_flag, exact=True).last
    expect(button).to_be_enabled(timeout=15_000)  # a disabled placeholder while the page loads
    page.wait_for_load_state("networkidle")
    button.click()
    dialog = page.get_by_role("dialog")
    field = dialog.get_by_label(name_label)  # case-insensitive: the UI capitalizes it with CSS
    label = dialog.locator(f"label[for='{field.get_attribute('id')}']")
    assert label.inner_text().strip() == name_label  # as a reader sees it
    field.fill(flag_name)
    expect(dialog.get_by_role("button", name=release, exact=True)).to_be_visible()  # the type
    dialog.get_by_role("button", name=create, exact=True).click()
    page.wait_for_url(f"**/features/{flag_name}")
    # The address changes before the flag's page replaces the project's list of flags (whose
    # rows have switches too), and now and then the UI stays on that list: a reader then opens
    # the flag from it ("On the flag's page"). Wait for the flag's own heading either way.
    heading = page.get_by_role("heading", name=flag_name)
    try:
        expect(heading).to_be_visible(timeout=10_000)
    except AssertionError:
        page.get_by_role("link", name=flag_name, exact=True).click()
        expect(heading).to_be_visible(timeout=15_000)
    switch = on_off(page, environment, server_major(unleash))
    # The address changes before the flag's page replaces the project's list of flags, whose rows
    # have switches too: the flag's own page has exactly one for the environment.
    expect(switch).to_have_count(1, timeout=15_000)
    expect(switch).not_to_be_checked()
    switch.click()
    expect(switch).to_be_checked()

    made = call(unleash, "GET", f"{FEATURES}/{flag_name}", unleash.admin_token).json()
    assert made["type"] == release.lower()
    states = {e["name"]: (e["enabled"], [s["name"] for s in e["strategies"]])
              for e in made["environments"]}  # fmt: skip
    assert states == {"development": (True, ["flexibleRollout"]), "production": (False, [])}
    strategy = next(e for e in made["environments"] if e["name"] == "development")["strategies"][0]
    assert strategy["parameters"]["rollout"] == "100"  # "lets everybody in (... at 100 %)"
