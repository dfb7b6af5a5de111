"""Every fenced block on the site, and who answers for it.

The fences are read with pytest-codeblocks' extractor: it understands blocks indented in content
tabs, `<!--pytest-codeblocks:expected-output-->` (the next block is the output a reader is told to
expect, checked against what the previous one prints) and `<!--pytest.mark.skip(reason="...")-->`
before a block that cannot run. Each block gets exactly one of:

- a runner: the test that runs it (Python blocks: test_docs.py with pytest-examples; shell blocks:
  test_shell.py; a snippet line including examples/FILE: test_examples.py::test_<FILE stem>,
  or, for a page in examples/browser/, the browser test in test_browser_cors.py);
- a written reason why it does not run (the skip mark).

A block with neither is unaccounted, and `make test` fails on it.

Why these libraries: pytest-examples (as pydantic uses it) lints Python blocks with ruff and black
and checks `#>` output. For shell blocks, pytest-codeblocks' own collector runs only fences marked
exactly `bash`/`python`, with no timeout, no environment of ours and no clean-up on the server, and
doccmd runs one command per block without a pytest item per block; so its parser is used here
(markers, expected output, fences inside tabs) and test_shell.py runs the blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pytest_codeblocks import extract_from_file

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

SNIPPET = re.compile(r'^--8<-- "(?P<file>[^"]+)"\s*$')
SKIP = re.compile(r"""pytest\.mark\.skip\(reason=(?P<q>["'])(?P<reason>.+)(?P=q)\)""")
PYTHON_FENCES = {"python", "py"}
SHELL_FENCES = {"bash", "sh", "shell"}


@dataclass(frozen=True)
class Block:
    page: Path  # relative to docs/
    line: int  # of the opening fence
    lang: str
    code: str
    expected_output: str | None
    skip_reason: str | None

    @property
    def key(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def snippet(self) -> Path | None:
        """The examples/ file this block shows, when it is a snippet include."""
        match = SNIPPET.match(self.code.strip())
        return EXAMPLES / match["file"] if match else None

    @property
    def runner(self) -> str | None:
        """The test that runs this block (by pytest node id), or None."""
        if self.skip_reason:
            return None
        if self.snippet is not None and self.snippet.parent.name == "browser":
            return "tests/test_browser_cors.py::test_browser_sample"  # a page, run in Chromium
        if self.snippet is not None:
            return f"tests/test_examples.py::test_{self.snippet.stem}"
        if self.lang in PYTHON_FENCES:
            return f"tests/test_docs.py::test_python_block[{self.key}]"
        if self.lang in SHELL_FENCES:
            return f"tests/test_shell.py::test_shell_block[{self.key}]"
        return None


@cache
def site_blocks() -> tuple[Block, ...]:
    blocks = []
    for md in sorted(DOCS.rglob("*.md")):
        for found in extract_from_file(md):
            info = (found.syntax or "").strip()
            lang = info.split()[0].lstrip("{.").lower() if info else ""
            reasons = [m["reason"] for mark in found.marks if (m := SKIP.fullmatch(mark.strip()))]
            blocks.append(
                Block(
                    page=md.relative_to(DOCS),
                    line=found.lineno,
                    lang=lang,
                    code=found.code,
                    expected_output=found.expected_output,
                    skip_reason=reasons[0] if reasons else None,
                )
            )
    return tuple(blocks)


def blocks_for(langs: set[str]) -> list[Block]:
    """The blocks of these languages that run in the page itself (not snippets, not skipped)."""
    return [b for b in site_blocks() if b.lang in langs and b.snippet is None and not b.skip_reason]


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


def guide_steps(
    page: str = "how-to/how-to-create-api-tokens.md",
) -> dict[str, dict[str, list[str]]]:
    """What each numbered step of the guide names: its **bold** UI labels and `/path` URLs, in order.

    The UI walk reads the labels from here, so the page and the test name the same things.
    """
    steps: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in (DOCS / page).read_text().splitlines():
        if line.startswith("## "):
            anchor = re.search(r"\{#(step-\d+)\}", line)
            current = steps.setdefault(anchor[1], {"labels": [], "urls": []}) if anchor else None
        elif current is not None:
            current["labels"] += re.findall(r"\*\*(.+?)\*\*", line)
            current["urls"] += re.findall(r"`(/[^`\s]*)`", line)
    return steps
