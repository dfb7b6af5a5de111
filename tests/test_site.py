"""The site builds strictly, shows the pinned version, and shows every code block exactly as written."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from blocks import DOCS, site_blocks
from pages import Links
from site_tools.builders import build
from unleash_sandbox import pins

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)


class _CodeText(HTMLParser):
    """Collects the text of every <pre><code> block, as a reader sees (and copies) it, and the
    language its highlight wrapper names (`<div class="language-bash highlight">`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.languages: list[str | None] = []
        self._language: str | None = None
        self._in_pre = self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "highlight" in classes:
            named = [c.removeprefix("language-") for c in classes if c.startswith("language-")]
            self._language = named[0] if named else None
        elif tag == "pre":
            self.languages.append(self._language)
            self._language = None
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


def fenced_blocks(md: Path) -> list[tuple[str, str | None]]:
    """What each fence of a page should show, with its language: its body (or the file a snippet
    line includes), and after it the output block the page shows for it, if any (its language is
    not known to the parser: None)."""
    shown: list[tuple[str, str | None]] = []
    for block in site_blocks():
        if block.page == md.relative_to(DOCS):
            shown.append((block.snippet.read_text() if block.snippet else block.code, block.lang))
            if block.expected_output is not None:
                shown.append((block.expected_output, None))
    return shown


def rendered_blocks(site: Path, md: Path) -> _CodeText:
    parser = _CodeText()
    parser.feed(page_html(site, md).read_text())
    return parser


MARKDOWN = sorted(DOCS.rglob("*.md"))


@pytest.mark.claim('index.md', 'Verified against Unleash {{ unleash_version }}')  # fmt: skip
def test_home_page_states_the_pinned_version(site: Path) -> None:
    text = html.unescape((site / "index.html").read_text())
    assert f"Verified against Unleash {pins.unleash_version()}" in text


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_render_verbatim(site: Path, md: Path) -> None:
    """Macros, snippets and highlighting must not change a sample: `{{ ... }}` stays as written."""
    parser = rendered_blocks(site, md)
    expected = [code.rstrip("\n") for code, _ in fenced_blocks(md)]
    assert [b.rstrip("\n") for b in parser.blocks] == expected


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_name_their_language(site: Path, md: Path) -> None:
    """Each code block's HTML carries its fence's language (Pygments' `language-...` class), so the
    theme and readers' tools can tell a shell block from Python."""
    rendered = rendered_blocks(site, md).languages
    fences = [lang for _, lang in fenced_blocks(md)]
    assert len(rendered) == len(fences) and all(rendered), rendered
    for shown, fence in zip(rendered, fences, strict=True):
        assert fence is None or shown == fence, (shown, fence)


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    """Checked here, not by a plugin: a builder may skip plugins it does not know (Zensical does)."""
    root, pages = site.resolve(), {}
    for file in root.rglob("*.html"):
        parser = Links()
        parser.feed(file.read_text())
        pages[file.resolve()] = parser
    broken = []
    for file, parser in pages.items():
        for ref in parser.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith(("mailto:", "data:")):
                continue
            path = unquote(parts.path)
            if path.startswith("/"):
                target = root / path.lstrip("/")
            else:
                target = (file.parent / path) if path else file
            if target.is_dir() or path.endswith("/"):
                target = target / "index.html"
            target = target.resolve()
            if not target.is_file():
                broken.append(f"{file.relative_to(root)}: {ref} (no file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{file.relative_to(root)}: {ref} (no such anchor)")
    assert pages and not broken, "\n".join(broken)


@pytest.mark.claim(
    "get-started.md",
    "**A sandbox from this site's repository** (linked at the top of each page): clone it and run `make serve`.",
)
def test_deployed_site_names_its_own_address(
    site: Path, builder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Canonical links and the sitemap carry the address the workflow deploys to (SITE_URL), and
    each page links the repository (REPO_URL); a local build names none, and no build names a
    loopback address there."""
    assert 'rel="canonical"' not in (site / "index.html").read_text()
    deployed, repository = "https://docs.example.org/unleash/", "https://github.com/example/docs"
    monkeypatch.setenv("SITE_URL", deployed)
    monkeypatch.setenv("REPO_URL", repository)
    out = tmp_path / "site"
    assert build(builder, out).returncode == 0
    index = (out / "index.html").read_text()
    assert f'<link rel="canonical" href="{deployed}"' in index
    assert f'href="{repository}"' in index  # "linked at the top of each page" (Get started)
    sitemap = out / "sitemap.xml"
    if sitemap.exists():  # MkDocs writes one
        assert f"<loc>{deployed}</loc>" in sitemap.read_text()
    for built in (out / "index.html", sitemap):
        if built.exists():
            assert "127.0.0.1" not in built.read_text().split("<body", 1)[0], built


@pytest.mark.claim("get-started.md", "**Docker**: save [`compose.yaml`](compose.yaml) and run `docker compose up -d` next to it.")  # fmt: skip
def test_the_site_serves_compose_yaml(site: Path) -> None:
    """The link on Get started downloads the very file the sandbox's Docker mode runs."""
    assert (site / "compose.yaml").read_text() == pins.COMPOSE_FILE.read_text()
