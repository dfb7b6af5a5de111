"""The link between the pages' words and the claim tests (see tests/claims.py)."""

from __future__ import annotations

import pytest
from claims import collected, covered, on_page, sentences, stale_reasons, whole_suite

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)

REFERENCE = "reference/api-tokens-and-client-keys.md"


def test_every_quote_is_on_its_page(request: pytest.FixtureRequest) -> None:
    """A claim test whose words were edited away from its page, or that quotes only part of a
    sentence or row, fails here, naming both."""
    orphans = [
        f"{item.nodeid}: {page} has no whole sentence or row {quote!r}"
        for item in request.session.items
        for mark in item.iter_markers("claim")
        for page, quote in [(mark.args[0], q) for q in mark.args[1:]]
        if not on_page(page, quote)
    ]
    assert not orphans, "\n".join(orphans)


def test_a_quote_stands_for_whole_sentences_and_rows_only() -> None:
    first, second = sentences(REFERENCE)[:2]
    assert covered(REFERENCE, first) == [0]
    assert covered(REFERENCE, f"{first} {second}") == [0, 1]  # sentences that follow each other
    assert not covered(REFERENCE, first[: len(first) // 2])  # half a sentence
    assert not covered(REFERENCE, f"{first[len(first) // 2 :]} {second}")  # one and a half
    assert not on_page("index.md", "a sentence this site never says")
    row = "| front-end token | 403 | 200 | 403 |"
    assert covered(REFERENCE, row) and covered(REFERENCE, "| `tokenName` |")  # a row, a key
    assert not covered(REFERENCE, "| front-end token |")  # a key two tables share
    assert not covered(REFERENCE, "| front-end token | 403 |")  # part of a row


def test_every_sentence_is_quoted_or_needs_no_test(request: pytest.FixtureRequest) -> None:
    """A new sentence needs a claim test that quotes it, or an entry in tests/not_claims.py with
    the reason it needs none. Runs only when the whole suite is collected: a partial run sees
    few tests."""
    items = request.session.items
    if not whole_suite(items):
        pytest.skip("only meaningful when the claim tests are collected too (run the whole suite)")
    left = [
        f"{page}: {sentence}"
        for page, claims in collected(items).items()
        for sentence in claims.accounting()[2]
    ]
    assert not left, f"{len(left)} sentences neither quoted nor listed:\n" + "\n".join(left)


def test_every_reason_names_a_sentence_of_its_page() -> None:
    stale = stale_reasons()
    assert not stale, "not_claims.py lists sentences no page has now:\n" + "\n".join(stale)
