"""A headless Chromium for the UI tests and screenshots, and the admin UI served as if online.

The admin UI loads two web fonts from Google Fonts and user avatars from Gravatar. Our machines
cannot reach either, so the requests are answered locally: the fonts from npm packages (pinned
in package.json), the avatar with a plain circle. Every other request that leaves the machine is
refused, so nothing is fetched from outside.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from unleash_sandbox import SandboxError, installs

# Chromium asks Google's services for updates, sync and more at start; our network refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",
    "--hide-scrollbars",  # screenshots keep one width whether or not a page scrolls
]
# The tests drive Chromium's headless shell (Debian: chromium-headless-shell) where it is
# installed: on the same checks it spends about a third less CPU than the full browser run
# headless (measured: 12.8 against 19.8 s of Chromium's CPU for one page's checks), and Chromium
# is the suite's largest cost. The full browser serves too; Lighthouse wants it.
FULL_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CANDIDATES = ("chromium-headless-shell", *FULL_BROWSERS)


def chromium_path(full: bool = False) -> str | None:
    """The browser to drive: CHROMIUM_PATH, else one on PATH (`full`: not the headless shell);
    None lets Playwright use its own.

    In CI (CI=true) a missing browser is an error, never a silent skip.
    """
    if override := os.environ.get("CHROMIUM_PATH"):
        if not Path(override).is_file():
            raise SandboxError(f"CHROMIUM_PATH={override} does not exist.")
        return override
    for name in FULL_BROWSERS if full else CANDIDATES:
        if found := shutil.which(name):
            return found
    if os.environ.get("CI"):
        raise SandboxError(
            "Chromium not found: the browser tests need it. Install it (Debian: apt-get install "
            "chromium-headless-shell; `make test` does this as root) or set CHROMIUM_PATH to a Chrome/Chromium."
        )
    return None


def launch_options() -> dict[str, Any]:
    options: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS}
    if path := chromium_path():
        options["executable_path"] = path
    return options


def _fonts() -> Path:
    return installs.install() / "node_modules"


# The admin UI asks Google Fonts for one instance of Material Symbols: optical size 24, weight
# 400, not filled, grade 0, which Google serves as a static font. It is answered with the same
# static instance (about 320 KB) rather than the variable font (4 MB): a screenshot shows no
# pixel of difference, and each admin-UI page parsed 4 MB less (measured: about 0.3 s of
# Chromium's CPU per browser context).
SYMBOLS_ASKED = "Material+Symbols+Outlined:opsz,wght,FILL,GRAD@24,400,0,0"
SEN_WEIGHTS = (400, 500, 600, 700, 800)  # the UI's text font, in the weights it asks for


def _font_css() -> str:
    faces = [
        f"@font-face{{font-family:'Sen';font-style:normal;font-weight:{weight};font-display:block;"
        f"src:url(https://fonts.gstatic.com/local/sen-{weight}.woff2) format('woff2')}}"
        for weight in SEN_WEIGHTS
    ]
    faces.append(
        "@font-face{font-family:'Material Symbols Outlined';font-style:normal;font-weight:400;"
        "font-display:block;src:url(https://fonts.gstatic.com/local/symbols.woff2) format('woff2')}"
        ".material-symbols-outlined{font-family:'Material Symbols Outlined';font-weight:normal;"
        "font-style:normal;font-size:24px;line-height:1;letter-spacing:normal;"
        "text-transform:none;display:inline-block;white-space:nowrap;word-wrap:normal;"
        "direction:ltr;-webkit-font-feature-settings:'liga';-webkit-font-smoothing:antialiased}"
    )
    return "\n".join(faces)


AVATAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="42" height="42">'
    '<circle cx="21" cy="21" r="21" fill="#6c65e5"/></svg>'
)


def go_offline(context: Any, allowed_hosts: set[str]) -> None:
    """Send `context`'s requests for other hosts through offline_route. Those for
    `allowed_hosts` are let through inside Playwright, with no round trip to Python (measured:
    about 0.3 s less CPU for the driver and the test per load of the admin UI)."""
    hosts = "|".join(re.escape(host) for host in sorted(allowed_hosts))
    context.route(re.compile(rf"^(?!https?://({hosts})[:/])"), offline_route(allowed_hosts))


def offline_route(allowed_hosts: set[str]) -> Callable[[Any], None]:
    """A Playwright route handler: local hosts pass, fonts and avatars are served, the rest refused."""

    def handle(route: Any) -> None:
        url = urlparse(route.request.url)
        if url.hostname in allowed_hosts or url.scheme in ("data", "blob"):
            route.continue_()
        elif url.hostname == "fonts.googleapis.com":
            route.fulfill(status=200, content_type="text/css", body=_font_css())
        elif url.hostname == "fonts.gstatic.com":
            name = url.path.rsplit("/", 1)[-1]
            if name == "symbols.woff2":  # the one instance the UI asks for (SYMBOLS_ASKED)
                folder = _fonts() / "@fontsource" / "material-symbols-outlined" / "files"
                file = folder / "material-symbols-outlined-latin-400-normal.woff2"
            else:
                weight = name.removeprefix("sen-").removesuffix(".woff2")
                file = (
                    _fonts() / "@fontsource" / "sen" / "files" / f"sen-latin-{weight}-normal.woff2"
                )
            route.fulfill(status=200, content_type="font/woff2", body=file.read_bytes())
        elif url.hostname and url.hostname.endswith("gravatar.com"):
            route.fulfill(status=200, content_type="image/svg+xml", body=AVATAR)
        else:
            route.abort("blockedbyclient")

    return handle
