"""The link between the pages' words and the claim tests (see tests/claims.py)."""

from __future__ import annotations

import pytest
from claims import about_the_server, collected, on_page, sentences

from blocks import DOCS

PAGES = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))


def test_every_quote_is_on_its_page(request: pytest.FixtureRequest) -> None:
    """A claim test whose words were edited away from its page fails here, naming both."""
    orphans = [
        f"{item.nodeid}: {page} no longer says {quote!r}"
        for item in request.session.items
        for mark in item.iter_markers("claim")
        for page, quote in [(mark.args[0], q) for q in mark.args[1:]]
        if not on_page(page, quote)
    ]
    assert not orphans, "\n".join(orphans)


def test_the_check_sees_a_quote_that_is_not_there() -> None:
    assert on_page("index.md", "Unleash API tokens")
    assert not on_page("index.md", "a sentence this site never says")


def test_every_sentence_about_the_server_is_quoted(request: pytest.FixtureRequest) -> None:
    """A new sentence about how the server behaves needs a claim test that quotes it (or a reason
    in claims.EXEMPT). Runs only when the whole suite is collected: a partial run sees few tests."""
    items = request.session.items
    if not any(item.path.name == "test_claims_reference.py" for item in items):
        pytest.skip("only meaningful when the claim tests are collected too (run the whole suite)")
    pages = collected(items)
    unquoted = [f"{page}: {s}" for page, claims in pages.items() for s in claims.unquoted()]
    silent = [f"{md}: a page with no claim test" for md in PAGES if md not in pages
              and any(map(about_the_server, sentences(md)))]  # fmt: skip
    assert not unquoted + silent, "\n".join(unquoted + silent)
