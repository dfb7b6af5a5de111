"""What the pages say, read for the tests: their tables, the guide's steps, the navigation, and
the links of the built pages.

Claim tests and UI walks read the words a reader sees, so a page and its test cannot drift apart.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from blocks import DOCS, ROOT


def nav_pages() -> list[Path]:
    """The pages in the order of the site's navigation (mkdocs.yml `nav`), relative to docs/."""
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:\n", 1)[1]
    return [Path(m[1]) for m in re.finditer(r"^\s+- [^:]+: (\S+\.md)$", nav, re.M)]


def page_tables(page: str) -> list[list[dict[str, str]]]:
    """The Markdown tables of a page (path relative to docs/), each as a list of rows by header.

    Claim tests read the tables a reader sees, so a page and its test cannot drift apart.
    """
    tables: list[list[dict[str, str]]] = []
    header: list[str] | None = None
    for line in (DOCS / page).read_text().splitlines() + [""]:
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            tables.append([])
        elif not set("".join(cells)) <= set("-: "):
            tables[-1].append(dict(zip(header, cells, strict=True)))
    return tables


def row_quote(row: dict[str, str]) -> str:
    """A row of `page_tables`, written as a claim test quotes a whole row."""
    return "| " + " | ".join(row.values()) + " |"


def guide_steps(
    page: str = "how-to/how-to-create-api-tokens.md",
) -> dict[str, dict[str, list[str]]]:
    """What each section of the guide with an anchor (`{#step-1}`, `{#project-token}`) names: its
    **bold** UI labels and `/path` URLs, in order.

    The UI walk reads the labels from here, so the page and the test name the same things.
    """
    steps: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in (DOCS / page).read_text().splitlines():
        if line.startswith("## "):
            anchor = re.search(r"\{#([\w-]+)\}", line)
            current = steps.setdefault(anchor[1], {"labels": [], "urls": []}) if anchor else None
        elif current is not None:
            current["labels"] += re.findall(r"\*\*(.+?)\*\*", line)
            current["urls"] += re.findall(r"`(/[^`\s]*)`", line)
    return steps


def walk(page: str) -> dict[str, list[str]]:
    """A how-to's steps (`{#step-1}`, `{#step-2}`, ...) as one walk: their labels and URLs, in
    order."""
    steps = guide_steps(page)
    return {
        kind: [
            item
            for anchor, found in steps.items()
            if anchor.startswith("step-")
            for item in found[kind]
        ]  # fmt: skip
        for kind in ("labels", "urls")
    }


class Links(HTMLParser):
    """The ids of a page and the addresses it refers to (links, images, scripts, styles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("name"):
            self.ids.add(str(found["name"]))
        for key in ("href", "src"):
            if (value := found.get(key)) and tag in ("a", "img", "script", "link", "source"):
                self.refs.append(value)
