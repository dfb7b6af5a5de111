"""The site builds strictly, shows the pinned version, and shows every code block exactly as written."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT
from unleash_sandbox import pins

DOCS = ROOT / "docs"
FENCE = re.compile(
    r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)\s*$",
    re.M | re.S,
)
SNIPPET = re.compile(r'^--8<-- "(?P<file>[^"]+)"$')


class _CodeText(HTMLParser):
    """Collects the text of every <pre><code> block, as a reader sees (and copies) it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._in_pre = self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._in_pre = True
        elif tag == "code" and self._in_pre:
            self._in_code = True
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre = self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.blocks[-1] += data


def page_html(site: Path, md: Path) -> Path:
    rel = md.relative_to(DOCS).with_suffix("")
    return site / (
        "index.html" if rel.name == "index" and rel.parent == Path(".") else rel / "index.html"
    )


def fenced_blocks(md: Path) -> list[str]:
    """What each fence of a page should show: its body, or the file a snippet line includes."""
    blocks = []
    for match in FENCE.finditer(md.read_text()):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        snippet = SNIPPET.match(body.strip())
        blocks.append((ROOT / "examples" / snippet["file"]).read_text() if snippet else body)
    return blocks


def test_home_page_states_the_pinned_version(site: Path) -> None:
    text = html.unescape((site / "index.html").read_text())
    assert f"Verified against Unleash {pins.unleash_version()}" in text


@pytest.mark.parametrize("md", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_render_verbatim(site: Path, md: Path) -> None:
    """Macros, snippets and highlighting must not change a sample: `{{ ... }}` stays as written."""
    parser = _CodeText()
    parser.feed(page_html(site, md).read_text())
    assert [b.rstrip("\n") for b in parser.blocks] == [b.rstrip("\n") for b in fenced_blocks(md)]
