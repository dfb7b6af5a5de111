"""Which sentences of the pages the tests check: the link between a page's words and its tests.

A claim test carries `@pytest.mark.claim(page, *quotes)`: the exact words (Markdown as written,
whitespace aside) of the page it checks. `tests/test_claims_link.py` fails when a quote is no
longer on its page, so an edit cannot silently orphan a test; and when a sentence about how the
server behaves is quoted by no test and not listed in EXEMPT with the reason no test can reach
it. `make test` prints the count per page (tests/harness/run.py).

A sentence is "about the server" when it names a status code or says what the server, an API,
a token or an SDK does (BEHAVIOUR); a table row counts as a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from blocks import DOCS

BEHAVIOUR = re.compile(
    r"`[1-5]\d\d`|\b[1-5]\d\d\b|\bserver\b|\banswers?\b|\baccept|\brefuse|\breject|\bignor"
    r"|\bexpir|\bopens?\b|\breturns?\b|\bnever\b|\bonly\b|\bcannot\b|\bevery\b|\bdefault\b"
    r"|\brefresh|\bcache|\bkeeps?\b|\bstill\b|\bworks?\b|\bevaluat|\bserves?\b|\bsends?\b",
    re.I,
)
# Sentences that look like statements about the server but are not (by their first words), with
# the reason. A sentence about the server that no test can reach would be listed here too.
NAVIGATION = "says where to read on: the link itself is checked by the strict build"
EXEMPT: dict[str, dict[str, str]] = {
    "index.md": {
        "Everything you need to create": "describes the site, not the server",
        "[Get started](get-started.md):": NAVIGATION,
        "[API tokens and client keys]": NAVIGATION,
        "[Troubleshooting 401 and 403]": NAVIGATION,
    },
    "get-started.md": {
        "**Your own server**": "a choice for the reader; make test-foreign runs the whole suite "
        "against a server that the run did not start",
    },
    "how-to/how-to-create-api-tokens.md": {
        "The reference has [every kind of secret]": NAVIGATION,
        "Keep tokens out of your code": "advice to the reader, not a statement about the server",
    },
    "how-to/how-to-rotate-an-api-token.md": {
        "The calls need your server's address": "what the reader needs; the page's blocks run with exactly these "
        "variables and tools (tests/test_shell.py, the reader path)",
    },
    "reference/api-tokens-and-client-keys.md": {
        "This page lists the kinds": "describes the page",
        "Two older names still meet you": "introduces the list after it, whose items are quoted",
        "These are the fields you set": "introduces the table after it, whose rows are quoted",
        "Ask the server for a token and look": "introduces the sample after it, which runs "
        "(tests/test_docs.py) and prints what the page shows",
        "A script sends a secret instead of logging in.": "introduces the table after it, "
        "whose rows are quoted",
    },
    "reference/sdks-and-tokens.md": {
        "The causes are listed in": NAVIGATION,
    },
}


def normalize(text: str) -> str:
    return " ".join(text.split())


def _bare(text: str) -> str:
    """Text without table bars, for matching a quoted table row with the row's sentence."""
    return normalize(text.replace("|", " "))


def _prose(page: str) -> list[str]:
    """The page's paragraphs and list items as a reader reads them; table rows one by one."""
    text = (DOCS / page).read_text()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
    text = re.sub(r"^(\s*)```.*?^\1```\s*$", "", text, flags=re.S | re.M)  # code blocks
    text = re.sub(r"<!--.*?-->|<figure.*?</figure>", "", text, flags=re.S)
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith(("#", "!!!", "===", "|--", "| --"))]
        if lines and lines[0].startswith("|"):
            parts += [normalize(" ".join(row.strip("|").split("|"))) for row in lines[1:]]
            continue
        items = re.split(r"\n(?=- |\d+\. )", "\n".join(lines))
        parts += [normalize(re.sub(r"^(?:- |\d+\. )", "", item)) for item in items]
    return [p for p in parts if p]


def sentences(page: str) -> list[str]:
    """The page's sentences (a table row is one)."""
    found = []
    for part in _prose(page):
        found += re.split(r"(?<=[.!?])\s+(?=[A-Z*`(\[])", part)
    return found


def about_the_server(sentence: str) -> bool:
    return BEHAVIOUR.search(sentence) is not None


@dataclass
class PageClaims:
    page: str
    quotes: set[str] = field(default_factory=set)

    def quoted(self, sentence: str) -> bool:
        bare = _bare(sentence)
        return any(q in bare or bare in q for q in map(_bare, self.quotes))

    def unquoted(self) -> list[str]:
        """Sentences about the server that no test quotes and EXEMPT does not explain."""
        exempt = EXEMPT.get(self.page, {})
        return [
            s
            for s in sentences(self.page)
            if about_the_server(s)
            and not self.quoted(s)
            and not any(s.startswith(start) for start in exempt)
        ]


def collected(items: list[pytest.Item]) -> dict[str, PageClaims]:
    """The quotes of every claim test in the run, by page."""
    pages: dict[str, PageClaims] = {}
    for item in items:
        for mark in item.iter_markers("claim"):
            page, *quotes = mark.args
            pages.setdefault(page, PageClaims(page)).quotes.update(normalize(q) for q in quotes)
    return pages


def report(items: list[pytest.Item]) -> list[str]:
    """Per page: its sentences about the server, how many claim tests quote, and the others."""
    pages = collected(items)
    lines = []
    for md in sorted(DOCS.rglob("*.md")):
        page = str(md.relative_to(DOCS))
        claims = pages.get(page, PageClaims(page))
        about = [s for s in sentences(page) if about_the_server(s)]
        unquoted = claims.unquoted()
        exempt = {s: why for s in about for start, why in EXEMPT.get(page, {}).items()
                  if s.startswith(start) and not claims.quoted(s)}  # fmt: skip
        quoted = len(about) - len(unquoted) - len(exempt)
        lines.append(f"{page}: {len(about)} sentences about the server, {quoted} quoted by claim "
                     f"tests, {len(exempt)} not about it (reasons below), {len(unquoted)} unquoted")  # fmt: skip
        lines += [f"    not about the server: {s[:60]}... ({why})" for s, why in exempt.items()]
        lines += [f"    UNQUOTED: {sentence}" for sentence in unquoted]
    return lines


def on_page(page: str, quote: str) -> bool:
    return (
        normalize(quote) in normalize((DOCS / page).read_text())
        if (DOCS / page).is_file()
        else False
    )
