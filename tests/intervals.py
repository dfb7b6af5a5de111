"""The server's intervals, each once: read from the sentence of the page that states it.

A test waits on the event itself (a poll with a deadline) and gives up at the interval's
`deadline()`; a test that measures a lag holds it to `within()`. Because each value comes from
its page, a page that changes its number changes what the tests hold the server to.
"""

from __future__ import annotations

import re

from blocks import DOCS

# How the pages write an interval in words, in seconds.
WORDS = {"a few seconds": 5, "half a minute": 30, "a minute": 60}


def stated(page: str, pattern: str) -> float:
    """The interval in the one place `pattern` matches on `page` (its group: digits or WORDS)."""
    text = " ".join((DOCS / page).read_text().split())
    found = re.findall(pattern, text)
    if len(found) != 1:
        raise LookupError(f"docs/{page}: {len(found)} matches of {pattern!r}, expected one")
    return float(found[0]) if found[0].isdigit() else float(WORDS[found[0]])


REFERENCE = "reference/api-tokens-and-client-keys.md"
FRONT_END = "reference/front-end-api.md"

# The server refreshes its token cache this often: a deleted token, or a token whose expiry
# changed, keeps its old answer until then.
TOKEN_CACHE_S = stated(REFERENCE, r"can still be accepted for up to about (\d+) seconds")
# A change to a flag reaches the front-end API within this.
FRONT_END_CHANGE_S = stated(FRONT_END, r"reaches the front-end API within (a few seconds)")
# How long Get started's loop waits for the front-end API to serve the demo flag.
DEMO_FLAG_WAIT_S = stated("get-started.md", r"serves `docs-demo`, (half a minute) at most")


def within(interval: float) -> float:
    """The most a measured lag may be: the interval, plus the refresh's own timer drift and our
    half-second polls."""
    return interval * 1.25


def deadline(interval: float) -> float:
    """How long a poll waits for the event before it fails: room for a busy machine."""
    return interval * 2
