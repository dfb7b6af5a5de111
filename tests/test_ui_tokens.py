"""The guide's project tokens and personal access tokens, made in the real admin UI.

As in test_ui_guide.py, the labels and addresses come from the guide's sections themselves
(pages.guide_steps: `{#project-token}`, `{#personal-access-token}`), the walks take those
sections' screenshots, and what the UI makes is checked through the API and deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from blocks import DOCS
from harness.browser import open_project, select_field
from harness.screenshots import Camera, step
from pages import walk
from unleash_api import RUN, call, delete_token
from unleash_sandbox import Sandbox
from version_notes import PROFILE_7, server_major

PROJECT = "how-to/how-to-create-a-project-api-token.md"
PERSONAL = "how-to/how-to-create-a-personal-access-token.md"
PERSONAL_TEXT = (DOCS / PERSONAL).read_text()


@pytest.mark.claim(PROJECT, "The steps show the admin UI of Unleash 8.")  # fmt: skip
@pytest.mark.claim('how-to/how-to-create-a-project-api-token.md', "Select the project's **Settings** tab.", 'Select **New API token**.', 'Fill them in, then select **Create token**.', 'Copy the secret from the dialog, as for [a token of any project](how-to-create-api-tokens.md#step-3).')  # fmt: skip
@pytest.mark.claim(PROJECT, "In the main menu, open **Projects**, then the project, such as **Default**.", "It opens on the project's **API access** page (`/projects/default/settings/api-access`).", "A project API token reads the flags of one project and no other.", "The form **Create project API token** asks for a **Token name**, **What do you want to connect?** and an **Environment**, as for [a token of any project](how-to-create-api-tokens.md#step-2), but has no question about projects: the token is for this project only.", "The form **Create project API token** asks for a **Token name**, **What do you want to connect?** and an **Environment**, as for [a token of any project](how-to-create-api-tokens.md#step-2), but has no question about projects: the token is for this project only.", "It starts with the project's id: `default:development.` here.", "The form sends `POST /api/admin/projects/<project>/api-tokens`, the call to use in a script for a project token.")  # fmt: skip
def test_project_token_in_the_admin_ui(admin_ui: Page, unleash: Sandbox, camera: Camera) -> None:
    page = admin_ui
    page.set_default_timeout(15_000)  # the shared machine is slow at times
    (projects, default, settings, api_access, new_token, form_title, name_label, connect_label,
     environment_label, create_label) = walk(PROJECT)["labels"]  # fmt: skip
    (settings_url,) = walk(PROJECT)["urls"]
    secret = None
    with step("project token section (Projects › Default › Settings › API access)"):
        open_project(page, projects, default, "default")
        tab = page.get_by_role("tab", name=settings, exact=True)
        tab.click()
        page.wait_for_url(f"**{settings_url}")
        menu_item = page.get_by_role("button", name=api_access, exact=True)
        heading = page.get_by_role("heading", name=re.compile(rf"^{api_access} \(\d+\)$"))
        button = page.get_by_role("button", name=new_token, exact=True)
        expect(heading).to_be_visible()
        expect(button).to_be_enabled()  # disabled until the UI has loaded the user's permissions
        page.wait_for_load_state("networkidle")
        page.mouse.move(0, 0)  # no hover highlight on the tab just clicked
        camera.shoot(page, "project-api-access", [tab, menu_item, heading, button])
        button.click()

    with step("project token section (the Create project API token form)"):
        expect(page.get_by_role("heading", name=form_title, exact=True)).to_be_visible()
        page.get_by_role("textbox", name=name_label, exact=True).fill(f"{RUN}-ui-project")
        expect(page.get_by_role("radiogroup", name=connect_label)).to_be_visible()
        expect(select_field(page, environment_label, server_major(unleash))).to_be_visible()
        expect(page.get_by_role("checkbox")).to_have_count(0)  # no question about projects
        expect(page.get_by_role("combobox", name=projects, exact=True)).to_have_count(0)
        with page.expect_response("**/api/admin/projects/default/api-tokens") as sent:
            page.get_by_role("button", name=create_label, exact=True).click()
        assert sent.value.request.method == "POST" and sent.value.status == 201
        secret = sent.value.json()["secret"]
        expect(page.get_by_role("dialog").get_by_text(secret, exact=True)).to_be_visible()

    try:
        assert secret.startswith("default:development."), secret
        listed = call(unleash, "GET", "/api/admin/api-tokens", unleash.admin_token).json()
        made = next(t for t in listed["tokens"] if t["secret"] == secret)
        assert made["projects"] == ["default"], made
    finally:
        delete_token(unleash, secret)
    assert camera.taken == ["project-api-access"]
    camera.compare()


@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| the avatar menu's item for your profile | **Profile settings** | **View profile settings** |")  # fmt: skip
@pytest.mark.claim(PERSONAL, "The steps show the admin UI of Unleash 8 ([Unleash 7](../reference/api-tokens-and-client-keys.md#unleash-7) differs in two details).")  # fmt: skip
@pytest.mark.claim('how-to/how-to-create-a-personal-access-token.md', 'Each user makes their own, on their profile.', 'Select **Personal API tokens**, then **New token**.', '**Description**: what the token is for, such as `release-script`.', 'Select **Create token**.')  # fmt: skip
@pytest.mark.claim(PERSONAL, "Open the menu under your avatar, at the top right, and select **Profile settings**.", "**Token will expire in**: **7 days**, **30 days** (the default), **60 days**, **Never**, or **Custom** for a date you pick.", "The token's expiry date is set from the choice.", "The dialog shows the secret, which starts with `user:`.", "Copy it before you close the dialog: the UI never shows it again, and your list of tokens shows only their descriptions and dates.")  # fmt: skip
def test_personal_access_token_in_the_admin_ui(
    admin_ui: Page, unleash: Sandbox, camera: Camera
) -> None:
    page = admin_ui
    page.set_default_timeout(15_000)  # the shared machine is slow at times
    (profile_settings, personal_tokens, new_token, description_label, expiry_label,
     *choices, create_label) = walk(PERSONAL)["labels"]  # fmt: skip
    description = f"{RUN}-ui-pat"
    with step("personal access token section (avatar menu › Profile settings)"):
        if server_major(unleash) >= 8:
            avatar = page.get_by_role("button").filter(
                has=page.get_by_test_id("HEADER_USER_AVATAR")
            )
            avatar.click()
            page.get_by_role("menuitem", name=profile_settings, exact=True).click()
        else:  # the avatar with the user's name, and another label (version_notes)
            page.get_by_role("banner").get_by_role("button", name=re.compile(r"admin$")).click()
            page.get_by_role("link", name=PROFILE_7, exact=True).click()
        page.wait_for_url("**/profile")
        page.get_by_role("button", name=personal_tokens, exact=True).click()
        page.get_by_role("button", name=new_token, exact=True).click()

    with step("personal access token section (the Create personal API token form)"):
        field = page.get_by_role("textbox", name=description_label)
        field.fill(re.search(r"such as `([^`]+)`", PERSONAL_TEXT)[1])
        expiry = select_field(page, expiry_label, server_major(unleash))
        default = next(c for c in choices if f"**{c}** (the default)" in PERSONAL_TEXT)
        expect(expiry).to_have_text(default)
        date = page.get_by_text("Token will expire on").locator("strong")
        date.evaluate("d => { d.textContent = '••/••/••••'; }")  # it changes every day
        title = page.get_by_role("heading", name="Create personal API token", exact=True)
        camera.shoot(page, "personal-api-token-form", [title, field, expiry, date])
        field.fill(description)  # the run's own name, to find and delete it
        expiry.click()
        expect(page.get_by_role("option")).to_have_text(choices)
        page.get_by_role("option", name=choices[0], exact=True).click()  # 7 days
        with page.expect_response("**/api/admin/user/tokens") as sent:
            page.get_by_role("button", name=create_label, exact=True).click()
        assert sent.value.status == 201, sent.value.text()
        secret = sent.value.json()["secret"]
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text(secret, exact=True)).to_be_visible()
        dialog.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("row", name=re.compile(description))).to_be_visible()
        assert secret not in page.content()  # not in the list, nor anywhere on the page
        columns = page.get_by_role("columnheader")
        shown = ["Description", "Expires", "Created", "Last seen", "Actions"]  # no secret column
        expect(columns).to_have_text(shown, use_inner_text=True)

    mine = page.request.get(f"{unleash.url}/api/admin/user/tokens").json()["pats"]
    made = next(p for p in mine if p["description"] == description)
    try:
        assert re.fullmatch(r"user:[0-9a-f]{56}", secret), secret
        assert "secret" not in made  # the list of tokens never holds it
        expires = datetime.fromisoformat(made["expiresAt"].replace("Z", "+00:00"))
        days = int(choices[0].split()[0])
        assert abs(expires - datetime.now(UTC) - timedelta(days=days)) < timedelta(hours=1)
        assert call(unleash, "GET", "/api/admin/api-tokens", secret).status_code == 200
    finally:
        page.request.delete(f"{unleash.url}/api/admin/user/tokens/{made['id']}")
    assert camera.taken == ["personal-api-token-form"]
    camera.compare()


@pytest.mark.claim(PERSONAL, "Through the Admin API, an expiry is required: `POST /api/admin/user/tokens` without `expiresAt` is refused with `400`.")  # fmt: skip
def test_personal_access_token_needs_an_expiry(
    unleash: Sandbox, login_as: Callable[[str], requests.Session]
) -> None:
    session = login_as("Admin")
    path = "/api/admin/user/tokens"
    refused = call(unleash, "POST", path, session=session, json={"description": f"{RUN}-no-expiry"})
    assert refused.status_code == 400, refused.text
    assert "expiresAt" in refused.text
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    made = call(unleash, "POST", path, session=session,
                json={"description": f"{RUN}-expiry", "expiresAt": later})  # fmt: skip
    assert made.status_code == 201, made.text  # the same call with an expiry is accepted
