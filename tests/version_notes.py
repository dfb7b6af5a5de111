"""Where Unleash 7.x answers differently from Unleash 8 (the pin), as measured on 7.6.5
(`make test UNLEASH_VERSION=7.6.5`).

Each difference is a row of one table, *On Unleash 7* on the reference page (other pages link
to it), and is checked per version by the claim's own test, with the values below (the admin UI
walks too, with the labels of each version). tests/test_version_notes.py checks that the table's
rows are these values.
"""

from __future__ import annotations

import re
from functools import cache

from unleash_api import call
from unleash_sandbox import Sandbox

REFERENCE = "reference/api-tokens-and-client-keys.md"


@cache
def server_major(unleash: Sandbox) -> int:
    """The major version of the server the run talks to, as the server itself reports it."""
    config = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()
    return int(config["versionInfo"]["current"]["oss"].split(".")[0])


# reference/api-tokens-and-client-keys.md, the table of what each secret opens: the cells
# where Unleash 7 answers otherwise (an admin token and a PAT also open the client API).
TOKEN_TABLE_7 = {
    ("admin token", "/api/client/features"): 200,
    ("admin token", "/api/frontend"): 200,
    ("personal access token (of an admin)", "/api/client/features"): 200,
    ("personal access token (of an admin)", "/api/frontend"): 401,
}

# troubleshooting.md: rows whose answer on Unleash 7 is (status, message) instead.
TROUBLESHOOTING_7 = {
    "admin token on the client API": (200, ""),
    "expired token": (200, ""),  # at first: refused once the server refreshes its token cache
}

# The admin UI of Unleash 7 can open a dialog *Welcome to Unleash* right after login (at a user's
# first login, and at some later ones: measured), closed with this button
# (harness.browser.logged_in closes it; on Unleash 8 it fails if one shows).
WELCOME_7_CLOSE = "Got it, let's get started!"
# The avatar menu's item that opens your profile, on Unleash 7 (a link, where 8 has a menu item).
PROFILE_7 = "View profile settings"

# how-to: lines of the create-token answer the page shows that Unleash 7 leaves out.
CREATE_ANSWER_ONLY_8 = ('"secure": false',)


def shown_for(unleash: Sandbox, shown: str) -> str:
    """The output a page shows, as this server's version prints it (the how-to's version note)."""
    if server_major(unleash) < 8:
        for line in CREATE_ANSWER_ONLY_8:
            shown = re.sub(rf",\n\s*{re.escape(line)}(?=\n)", "", shown)
    return shown


# The reference's "On Unleash 7" table: each row's case, and what its Unleash 7 cell starts with,
# from the values above (Unleash 8's cell is what the rest of the site says).
ROWS_7 = {
    "an admin token on the client API, `GET /api/client/features`":
        f"`{TOKEN_TABLE_7[('admin token', '/api/client/features')]}`",
    "an admin token on the front-end API, `GET /api/frontend`":
        f"`{TOKEN_TABLE_7[('admin token', '/api/frontend')]}`",
    "an admin's personal access token on the client API":
        f"`{TOKEN_TABLE_7[('personal access token (of an admin)', '/api/client/features')]}`",
    "an admin's personal access token on the front-end API":
        f"`{TOKEN_TABLE_7[('personal access token (of an admin)', '/api/frontend')]}`",
    "a token past its `expiresAt`": f"`{TROUBLESHOOTING_7['expired token'][0]}` until",
    "the `secure` field of a token": "left out" if CREATE_ANSWER_ONLY_8 else "",
    "admin tokens marked deprecated in Unleash's code": "no",
    "the admin UI right after you log in": f"a dialog *Welcome to Unleash* can open first: "
                                           f"**{WELCOME_7_CLOSE}** closes it",
    "the avatar menu's item for your profile": f"**{PROFILE_7}**",
}  # fmt: skip
