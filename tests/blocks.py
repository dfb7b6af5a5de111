"""Every fenced block on the site, and who answers for it.

The fences are read with pytest-codeblocks' extractor: it understands blocks indented in content
tabs, `<!--pytest-codeblocks:expected-output-->` (the next block is the output a reader is told to
expect, checked against what the previous one prints) and `<!--pytest.mark.skip(reason="...")-->`
before a block that cannot run. Each block gets exactly one of:

- a runner: the test that runs it (Python blocks: test_docs.py with pytest-examples; shell blocks:
  test_shell.py; a snippet line including examples/FILE: test_examples.py::test_<FILE stem>;
  the browser section's page and setup: the browser test in test_browser_cors.py; the blocks of
  the way-in page, get-started.md: the reader path, test_reader_path.py);
- a written reason why it does not run (the skip mark).

A block with neither is unaccounted, and `make test` fails on it. Besides its runner, every block
a reader can run also runs in the reader path (test_reader_path.py): in page order, on a fresh
server, in an environment made only from what the pages say.

Why these libraries: pytest-examples (as pydantic uses it) lints Python blocks with ruff and black
and checks `#>` output. For shell blocks, pytest-codeblocks' own collector runs only fences marked
exactly `bash`/`python`, with no timeout, no environment of ours and no clean-up on the server, and
doccmd runs one command per block without a pytest item per block; so its parser is used here
(markers, expected output, fences inside tabs) and test_shell.py runs the blocks.
"""

from __future__ import annotations

import os
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
    title: str | None = None  # the file name shown above the block (`title="..."`)
    section: str | None = None  # the anchor of the `## ` heading the block is under
    before: str = ""  # the prose between the previous block (or the page's top) and this one
    after: str = ""  # the prose between this block and the next one

    @property
    def prints(self) -> str | None:
        """What the prose after the block says it prints ("It prints `…`", "it shows `…`")."""
        found = PRINTS.search(self.after)
        return found["output"] if found else None

    @property
    def key(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def snippet(self) -> Path | None:
        """The examples/ file this block shows, when it is a snippet include."""
        match = SNIPPET.match(self.code.strip())
        return EXAMPLES / match["file"] if match else None

    @property
    def source(self) -> str:
        """What the reader sees and copies: the code, or the file a snippet line includes."""
        return self.snippet.read_text() if self.snippet is not None else self.code

    @property
    def runner(self) -> str | None:
        """The test that runs this block (by pytest node id), or None."""
        if self.skip_reason:
            return None
        if self.page == WAY_IN:
            return f"tests/test_reader_path.py::test_reader_path[1:{self.key}]"
        in_browser = self.snippet is not None and self.snippet.parent.name == "browser"
        if in_browser or (self.section == "browser" and self.lang in SHELL_FENCES):
            return "tests/test_browser_cors.py::test_browser_sample"  # the page and its setup
        in_react = self.snippet is not None and self.snippet.parent.name == "react"
        if in_react or (self.section == "react" and self.lang in SHELL_FENCES):
            return "tests/test_browser_cors.py::test_react_sample"  # the app, its bundle, its page
        if self.snippet is not None:
            return f"tests/test_examples.py::test_{self.snippet.stem}"
        if self.lang in PYTHON_FENCES:
            return f"tests/test_docs.py::test_python_block[{self.key}]"
        if self.lang in SHELL_FENCES:
            return f"tests/test_shell.py::test_shell_block[{self.key}]"
        return None


WAY_IN = Path("get-started.md")  # the page that takes a reader from nothing to working samples
TITLE = re.compile(r'title="(?P<title>[^"]+)"')
PRINTS = re.compile(r"\b[Ii]t (?:prints|shows) `(?P<output>[^`]+)`")
FENCE = re.compile(r"^\s*```")


def _prose_around(lines: list[str], opening: int) -> tuple[str, str]:
    """The prose before and after the block that opens on line `opening` (1-based): the lines
    up to the previous fence, and from its closing fence up to the next one."""
    start = opening - 1
    before = []
    for line in reversed(lines[:start]):
        if FENCE.match(line):
            break
        before.insert(0, line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    index = start + 1
    while index < len(lines) and not (
        FENCE.match(lines[index]) and len(lines[index]) - len(lines[index].lstrip()) == indent
    ):
        index += 1  # the block's own lines, up to its closing fence
    after: list[str] = []
    rest = iter(lines[index + 1 :])
    for line in rest:
        if FENCE.match(line):
            if " ".join(after).strip() != OUTPUT_MARK:
                break
            for inside in rest:  # the output block the page shows: the prose goes on after it
                if FENCE.match(inside):
                    break
            after = []
            continue
        after.append(line)
    return " ".join(before), " ".join(after)


OUTPUT_MARK = "<!--pytest-codeblocks:expected-output-->"


def _fenced_text(lines: list[str], opening: int) -> str:
    """The code of the block that opens on line `opening` (1-based), as the page has it, less the
    fence's indent (a block in a content tab); blank lines kept, which pytest-codeblocks' extractor
    drops in indented blocks."""
    indent = len(lines[opening - 1]) - len(lines[opening - 1].lstrip())
    body = []
    for line in lines[opening:]:
        if FENCE.match(line) and len(line) - len(line.lstrip()) == indent:
            break
        body.append(line[indent:])
    return "\n".join(body) + "\n"


def _section(lines: list[str], opening: int) -> str | None:
    """The anchor of the nearest heading above the block (`## ` or `### `)."""
    for line in reversed(lines[: opening - 1]):
        if line.startswith(("## ", "### ")):
            anchor = re.search(r"\{#([\w-]+)\}", line)
            return anchor[1] if anchor else None
    return None


@cache
def site_blocks() -> tuple[Block, ...]:
    blocks = []
    for md in sorted(DOCS.rglob("*.md")):
        lines = md.read_text().splitlines()
        for found in extract_from_file(md):
            info = (found.syntax or "").strip()
            lang = info.split()[0].lstrip("{.").lower() if info else ""
            reasons = [m["reason"] for mark in found.marks if (m := SKIP.fullmatch(mark.strip()))]
            title = TITLE.search(info)
            before, after = _prose_around(lines, found.lineno)
            blocks.append(
                Block(
                    page=md.relative_to(DOCS),
                    line=found.lineno,
                    lang=lang,
                    code=_fenced_text(lines, found.lineno),
                    expected_output=found.expected_output,
                    skip_reason=reasons[0] if reasons else None,
                    title=title["title"] if title else None,
                    section=_section(lines, found.lineno),
                    before=before,
                    after=after,
                )
            )
    return tuple(blocks)


BEFORE = re.compile(r"^\*\*Before you start\*\*(?P<text>.+?)\n\n", re.S | re.M)
LINK = re.compile(r"\]\((?P<page>[\w./-]+\.md)#(?P<anchor>[\w-]+)\)")


def prerequisites(block: Block) -> list[Block]:
    """The shell blocks a reader has run before this one, on a page whose steps build on each
    other: those of the sections its "**Before you start**" paragraph links to, then the page's
    own shell blocks above this one. A page without that paragraph has blocks that stand alone.
    The way-in page's blocks (the variables, the installs) are the environment the tests give
    every block, not prerequisites."""
    found = BEFORE.search((DOCS / block.page).read_text())
    if found is None:
        return []
    runnable = [
        b
        for b in site_blocks()
        if b.lang in SHELL_FENCES and not b.skip_reason and b.page != WAY_IN
    ]
    linked = built_on(block.page)
    needed = [b for b in runnable if (b.page, b.section) in linked]
    return needed + [b for b in runnable if b.page == block.page and b.line < block.line]


def built_on(page: Path) -> list[tuple[Path, str]]:
    """The sections (page, anchor) a page's "**Before you start**" paragraph links to."""
    found = BEFORE.search((DOCS / page).read_text())
    if found is None:
        return []
    return [
        (Path(os.path.normpath(page.parent / link["page"])), link["anchor"])
        for link in LINK.finditer(found["text"])
    ]


def expected_pattern(expected: str) -> re.Pattern[str]:
    """The output a page shows, as a pattern: `<...>` stands for any text on one line (a secret,
    a time) that differs on every run."""
    return re.compile(re.escape(expected.strip()).replace(re.escape("<...>"), ".+?"))


def blocks_run_by(test: str) -> list[Block]:
    """The blocks whose runner is this parametrized test (`tests/test_x.py::test_y`)."""
    return [b for b in site_blocks() if b.runner == f"{test}[{b.key}]"]
