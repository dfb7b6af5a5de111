"""Which sentences of the pages the tests check: the link between a page's words and its tests.

A claim test carries `@pytest.mark.claim(page, *quotes)`: words of the page it checks, Markdown as
written (whitespace aside). A quote is one of:

- one whole sentence, or several sentences that follow each other on the page;
- one whole table row, `| cell | cell | cell |`;
- a row's key, `| first cell |`, when exactly one row of the page starts with that cell (for tests
  that read the row's other cells from the page itself, with tests/pages.py).

A quote that is only part of a sentence or row matches nothing: it would let a test "cover" a
sentence whose other half nobody checks. Every sentence and table row of every page is either
quoted by a claim test or listed in tests/not_claims.py with the reason it needs none;
`tests/test_claims_link.py` fails on anything else, and `make test` prints the count per page
(tests/harness/run.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from not_claims import NOT_CLAIMS

from blocks import DOCS


def normalize(text: str) -> str:
    return " ".join(text.split())


def _row(line: str) -> str:
    """A table row with its cells' whitespace normalized: `| a | b |`."""
    cells = [normalize(cell) for cell in line.strip().strip("|").split("|")]
    return normalize("| " + " | ".join(cells) + " |")


def _is_row(text: str) -> bool:
    return text.startswith("|") and text.endswith("|")


def _prose(text: str) -> list[str]:
    """A page's paragraphs, list items and admonition titles as a reader reads them, and its
    table rows (header rows aside) one by one."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
    text = re.sub(r"^(\s*)```.*?^\1```\s*$", "\n", text, flags=re.S | re.M)  # code blocks
    text = re.sub(r"<!--.*?-->|<figure.*?</figure>", "\n", text, flags=re.S)
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        parts += re.findall(r'^\s*[!?]{3}\+? \w+ "(.+)"', block, re.M)  # an admonition's title
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith(("#", "!!!", "===", "|--", "| --"))]
        if lines and lines[0].startswith("|"):
            parts += [_row(row) for row in lines[1:]]
            continue
        items = re.split(r"\n(?=- |\d+\. )", "\n".join(lines))
        parts += [normalize(re.sub(r"^(?:- |\d+\. )", "", item)) for item in items]
    return [p for p in parts if p]


def sentences(page: str) -> list[str]:
    """The page's sentences and table rows, in page order."""
    return list(_sentences((DOCS / page).read_text()))


@functools.cache  # by the page's text: thousands of quotes are looked up in a few pages
def _sentences(text: str) -> tuple[str, ...]:
    found = []
    for part in _prose(text):
        if _is_row(part):
            found.append(part)
        else:
            found += re.split(r"(?<=[.!?])\s+(?=[A-Z*`(\[])", part)
    return tuple(found)


def covered(page: str, quote: str, units: list[str] | None = None) -> list[int]:
    """The positions in `sentences(page)` that `quote` stands for (see the module's docstring);
    empty when it is not a whole sentence, run of sentences, row or row key of the page."""
    units = sentences(page) if units is None else units
    quote = normalize(quote)
    if _is_row(quote):
        if quote in units:
            return [i for i, unit in enumerate(units) if unit == quote]
        keyed = [i for i, unit in enumerate(units) if _is_row(unit) and unit.startswith(quote)]
        return keyed if len(keyed) == 1 and quote.count("|") == 2 else []
    found = []  # the same words twice on a page are quoted twice
    for start, unit in enumerate(units):
        if not quote.startswith(unit):
            continue
        end, joined = start + 1, unit
        while joined != quote and end < len(units) and quote.startswith(f"{joined} {units[end]}"):
            joined, end = f"{joined} {units[end]}", end + 1
        if joined == quote:
            found += range(start, end)
    return found


@dataclass
class PageClaims:
    """One page's sentences, and the claim tests' quotes of it."""

    page: str
    quotes: dict[str, list[str]] = field(default_factory=dict)  # quote -> the tests quoting it

    def accounting(self) -> tuple[list[str], dict[str, str], list[str], list[str]]:
        """(sentences quoted, sentences not claims with their reasons, sentences unaccounted,
        quotes that stand for no whole sentence or row)."""
        units = sentences(self.page)
        quoted: set[int] = set()
        loose = []
        for quote in self.quotes:
            found = covered(self.page, quote, units)
            quoted.update(found)
            if not found:
                loose.append(quote)
        reasons = NOT_CLAIMS.get(self.page, {})
        done = [units[i] for i in sorted(quoted)]
        exempt = {u: reasons[u] for u in units if u in reasons and u not in done}
        left = [u for u in units if u not in done and u not in exempt]
        return done, exempt, left, loose


def collected(items: list[pytest.Item]) -> dict[str, PageClaims]:
    """Every page, with the quotes of the claim tests in the run."""
    pages = {str(md.relative_to(DOCS)): None for md in sorted(DOCS.rglob("*.md"))}
    found = {page: PageClaims(page) for page in pages}
    for item in items:
        for mark in item.iter_markers("claim"):
            page, *quotes = mark.args
            claims = found.setdefault(page, PageClaims(page))
            for quote in quotes:
                claims.quotes.setdefault(normalize(quote), []).append(item.nodeid)
    return found


def stale_reasons() -> list[str]:
    """Entries of NOT_CLAIMS that are no longer a sentence of their page."""
    return [
        f"{page}: {sentence}"
        for page, reasons in NOT_CLAIMS.items()
        for sentence in reasons
        if not (DOCS / page).is_file() or sentence not in sentences(page)
    ]


def whole_suite(items: list[pytest.Item]) -> bool:
    """True when the run holds every claim test (a run of a few modules sees only their quotes)."""
    return {item.path.name for item in items} >= {
        path.name for path in Path(__file__).parent.glob("test_claims_*.py")
    }


def report(items: list[pytest.Item]) -> list[str]:
    """Per page: its sentences, how many claim tests quote, how many need no test and why, and
    any left unaccounted."""
    if not whole_suite(items):
        return ["(sentences are counted when the whole suite runs: this run has a part of it)"]
    lines = []
    for page, claims in collected(items).items():
        done, exempt, left, _ = claims.accounting()
        lines.append(
            f"{page}: {len(done) + len(exempt) + len(left)} sentences: {len(done)} quoted by "
            f"claim tests, {len(exempt)} not claims (reasons in tests/not_claims.py), "
            f"{len(left)} unaccounted"
        )
        lines += [f"    UNACCOUNTED: {sentence}" for sentence in left]
    return lines


def on_page(page: str, quote: str) -> bool:
    """True when `quote` stands for whole sentences or a table row of `page`."""
    return (DOCS / page).is_file() and bool(covered(page, quote))
