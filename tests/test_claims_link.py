"""The link between the pages' words and the claim tests (see tests/claims.py)."""

from __future__ import annotations

import pytest
from claims import on_page


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
