"""Where Unleash 7.x answers differently from Unleash 8 (the pin), as measured on 7.6.5
(`make test UNLEASH_VERSION=7.6.5`).

Each difference is either told on its page in a version note (an admonition titled
"Unleash 7.x") and checked per version by the claim's own test, with the values below; or the
claim's test is marked `since_unleash(8, reason=...)` and its page says the claim is Unleash 8's.
tests/test_version_notes.py checks that each page carries the notes these values belong to.
"""

from __future__ import annotations

import re
from functools import cache

from unleash_api import call
from unleash_sandbox import Sandbox

NOTE_TITLE = '!!! note "Unleash 7.x"'


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
    "expired token": (200, ""),  # at first: see EXPIRED_TOKEN_REFUSED_WITHIN_S
}

# An expired token keeps working on Unleash 7 until the server reloads its tokens: refused
# within this many seconds (about a minute measured on 7.6.5; the deadline leaves room).
EXPIRED_TOKEN_REFUSED_WITHIN_S = 90

# how-to: lines of the create-token answer the page shows that Unleash 7 leaves out.
CREATE_ANSWER_ONLY_8 = ('"secure": false',)


def shown_for(unleash: Sandbox, shown: str) -> str:
    """The output a page shows, as this server's version prints it (the how-to's version note)."""
    if server_major(unleash) < 8:
        for line in CREATE_ANSWER_ONLY_8:
            shown = re.sub(rf",\n\s*{re.escape(line)}(?=\n)", "", shown)
    return shown


# What each page's version note must name, so page and tests tell the same story.
NOTES = {
    "reference/api-tokens-and-client-keys.md": ["admin token", "personal access token", "401"],
    "reference/front-end-api.md": ["admin token", "200", "admin UI steps for CORS"],
    "troubleshooting.md": ["admin token", "expired", "200"],
    "how-to/how-to-create-api-tokens.md": ["`secure`"],
}
