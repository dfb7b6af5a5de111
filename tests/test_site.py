"""The site builds strictly, shows the pinned version, and shows every code block exactly as written."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import pytest

from blocks import DOCS, site_blocks
from unleash_sandbox import pins


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
    """What each fence of a page should show: its body (or the file a snippet line includes),
    and after it the output block the page shows for it, if any."""
    shown = []
    for block in site_blocks():
        if block.page == md.relative_to(DOCS):
            shown.append(block.snippet.read_text() if block.snippet else block.code)
            if block.expected_output is not None:
                shown.append(block.expected_output)
    return shown


def test_home_page_states_the_pinned_version(site: Path) -> None:
    text = html.unescape((site / "index.html").read_text())
    assert f"Verified against Unleash {pins.unleash_version()}" in text


@pytest.mark.parametrize("md", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_render_verbatim(site: Path, md: Path) -> None:
    """Macros, snippets and highlighting must not change a sample: `{{ ... }}` stays as written."""
    parser = _CodeText()
    parser.feed(page_html(site, md).read_text())
    assert [b.rstrip("\n") for b in parser.blocks] == [b.rstrip("\n") for b in fenced_blocks(md)]
