"""How to create API tokens, clicked through in the real admin UI, as the guide tells a reader.

The labels and addresses come from the guide itself (pages.guide_steps): when the UI renames a
menu, a button or a page, the walk fails and names the step. The walk also takes the guide's
screenshots (tests/harness/screenshots.py says how they are compared).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from blocks import DOCS
from harness.browser import open_admin_page, select_field
from harness.screenshots import IMAGES, MAX_BYTES, Camera, step
from pages import guide_steps
from site_tools.browser import SEN_WEIGHTS, SYMBOLS_ASKED
from unleash_api import call, delete_token
from unleash_sandbox import Sandbox
from unleash_sandbox.installs import shared_lock
from unleash_sandbox.planted import PAGE_TOKEN_NAME
from version_notes import server_major

STEPS = guide_steps()


@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| the admin UI right after you log in | the page opens | a dialog *Welcome to Unleash* can open first: **Got it, let's get started!** closes it |")  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "This guide creates a backend or a front-end token in the admin UI of Unleash 8, then shows how to use it.")  # fmt: skip
@pytest.mark.claim('how-to/how-to-create-api-tokens.md', 'Log in to the Unleash admin UI.', 'Select **New API token**.', '**Token name**: a name that says who uses the token, such as `checkout-service`.', '**Environment**: the environment whose flag settings the token reads, such as `development`.', 'Select **Create token**.', 'Select **Copy token** next to it, then **Close**.')  # fmt: skip
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "In the main menu, open **Admin settings**, then **Access control** › **API access** (the page's address is `/admin/api`).", 'The form opens at `/admin/api/create-token`.', '**What do you want to connect?**: **Backend SDK** for a server-side SDK or Unleash Edge, **Frontend SDK** for code that runs in a browser or a mobile app.', '**Which project do you want to give access to?**: keep **ALL current and future projects**, or clear it and pick one or more **Projects**.', "The dialog **New token created** shows the token's secret.", "Admins can copy it again later from the token's row on the *API access* page.", "The *API access* page also lists the two addresses SDKs connect to, under **API URLs**: the backend URL (`<your Unleash URL>/api/`) and the front-end URL (`<your Unleash URL>/api/frontend/`).")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "Delete the token on the *API access* page (**Delete token** in its row), or call `DELETE /api/admin/api-tokens/<secret>` (answer: `200`).")  # fmt: skip
def test_guide_steps_in_the_admin_ui(admin_ui: Page, unleash: Sandbox, camera: Camera) -> None:
    with shared_lock(PAGE_TOKEN_NAME):  # the walk makes a token of the pages' name
        walk(admin_ui, unleash, camera)


def walk(admin_ui: Page, unleash: Sandbox, camera: Camera) -> None:
    page = admin_ui
    page.set_default_timeout(8_000)
    admin_settings, access_control, api_access, new_token, api_urls = STEPS["step-1"]["labels"]
    list_url, form_url = STEPS["step-1"]["urls"]
    (name_label, connect_label, backend_sdk, frontend_sdk, project_question, all_projects,
     projects_label, environment_label, create_label) = STEPS["step-2"]["labels"]  # fmt: skip
    dialog_title, copy_label, close_label = STEPS["step-3"]["labels"]
    secret = None

    with step("step 1 (navigate to the API token creation form)"):
        menu_item = open_admin_page(page, admin_settings, access_control, api_access)
        page.wait_for_url(f"**{list_url}")
        expect(page.get_by_role("heading", name=api_urls, exact=True)).to_be_visible()
        for kind, path in (("Backend", "/api/"), ("Frontend", "/api/frontend/")):
            expect(page.get_by_role("row", name=kind).get_by_role("cell").first).to_be_visible()
            expect(
                page.get_by_role("cell", name=f"{unleash.url}{path}", exact=True)
            ).to_be_visible()
        page.wait_for_load_state("networkidle")
        camera.shoot(page, "api-access-menu", [
            page.get_by_role("link", name="Back to Unleash"), menu_item,
            page.get_by_role("link", name="Event log")])  # fmt: skip
        button = page.get_by_role("button", name=new_token, exact=True)
        camera.shoot(page, "new-api-token-button", [
            page.get_by_role("heading", level=1), button, page.get_by_role("alert")])  # fmt: skip
        button.click()
        page.wait_for_url(f"**{form_url}")

    with step("step 2 (fill in the API token form)"):
        page.get_by_role("textbox", name=name_label, exact=True).fill("checkout-service")
        expect(page.get_by_role("radiogroup", name=connect_label)).to_be_visible()
        radios = page.get_by_role("radio")
        expect(radios).to_have_count(2)  # Backend SDK and Frontend SDK: no admin type
        # What each choice is for, as the form itself describes it to the page's words
        frontend = page.get_by_role("radio", name=frontend_sdk)
        expect(frontend).to_have_accessible_name(re.compile(r"to connect a frontend SDK$"))
        backend = page.get_by_role("radio", name=backend_sdk)
        expect(backend).to_have_accessible_name(re.compile(r"a backend SDK or Unleash Edge$"))
        backend.check()
        expect(page.get_by_text(project_question, exact=True)).to_be_visible()
        expect(page.get_by_role("checkbox", name=all_projects, exact=True)).to_be_checked()
        expect(select_field(page, projects_label, 8)).to_be_visible()  # named so on 7 too
        environment = select_field(page, environment_label, server_major(unleash))
        expect(environment).to_have_text("development")
        create = page.get_by_role("button", name=create_label, exact=True)
        camera.shoot(page, "api-token-form", [
            page.get_by_role("heading", name="Create API token"), environment, create,
            page.get_by_role("button", name="Cancel")])  # fmt: skip
        create.click()

    with step("step 3 (copy the token)"):
        dialog = page.get_by_role("dialog").filter(has_text=dialog_title).last  # 7 nests two
        expect(dialog.get_by_text(dialog_title, exact=True)).to_be_visible()
        secret_box = dialog.get_by_text("*:development.", exact=False)
        secret = secret_box.inner_text().strip()
        expect(dialog.get_by_role("button", name=copy_label, exact=True)).to_be_visible()
        # The secret differs on every run: the screenshot shows a fixed stand-in of its shape.
        secret_box.evaluate(
            "box => { box.firstChild.nodeValue = '*:development.' + '•'.repeat(56); }"
        )
        camera.shoot(page, "new-token-created", [dialog], pad=0)
        dialog.get_by_role("button", name=close_label, exact=True).click()
        page.wait_for_url(f"**{list_url}")
        # "Admins can copy it again later from the token's row" (and delete it there)
        row = page.get_by_role("row", name="checkout-service")
        expect(row.get_by_role("button", name=copy_label, exact=True)).to_be_visible()
        expect(row.get_by_role("button", name="Delete token", exact=True)).to_be_visible()

    try:  # the token is real: the client API accepts it
        assert secret and call(unleash, "GET", "/api/client/features", secret).status_code == 200
    finally:
        if secret:
            delete_token(unleash, secret)
    assert camera.taken == [
        "api-access-menu",
        "new-api-token-button",
        "api-token-form",
        "new-token-created",
    ]
    camera.compare()


def test_the_admin_ui_asks_for_the_fonts_its_screenshots_are_taken_with(unleash: Sandbox) -> None:
    """The fonts served in place of Google Fonts (site_tools.browser) are the ones the admin UI
    asks for: the one Material Symbols instance, and Sen in weights that are all served
    (Unleash 7 asks for one weight fewer)."""
    index = call(unleash, "GET", "/", None).text
    asked = re.findall(r"fonts\.googleapis\.com/css2\?family=([^\"&]+)", index)
    sen = [family for family in asked if family.startswith("Sen:wght@")]
    assert len(asked) == 2 and SYMBOLS_ASKED in asked and len(sen) == 1, asked
    weights = {int(w) for w in sen[0].removeprefix("Sen:wght@").split(";")}
    assert weights <= set(SEN_WEIGHTS), weights


@pytest.mark.parametrize("image", sorted(IMAGES.glob("*.png")), ids=lambda p: p.name)
def test_screenshots_are_small_sharp_and_shown(image: Path) -> None:
    """Each image is at most MAX_BYTES, shown in a how-to at its CSS size, and has twice as many
    pixels each way (device scale factor 2: sharp on high-density screens)."""
    assert image.stat().st_size <= MAX_BYTES, f"{image.name} is {image.stat().st_size} bytes"
    guides = " ".join(md.read_text() for md in (DOCS / "how-to").glob("*.md"))
    shown = re.search(
        rf'images/ui/{re.escape(image.name)}\)\{{ width="(\d+)" height="(\d+)"', guides
    )
    assert shown, f"{image.name} is not shown in a how-to with its width and height"
    css = int(shown[1]), int(shown[2])
    pixels = Image.open(image).size
    assert all(abs(p - 2 * c) <= 1 for p, c in zip(pixels, css, strict=True)), (pixels, css)
