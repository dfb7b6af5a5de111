"""`make check PAGE=docs/…md`: one page's checks against the running `make serve` sandbox.

With `--page`, the session keeps only what checks that page: its claim tests, the tests that run
its code blocks, and the MkDocs build's checks of it (built strictly, links and anchors of the
whole site). It starts no server: it uses the sandbox `make serve` runs (port `--serve-port`).
What needs more than that sandbox is left out, and the run names it with its claims:

- the tests that wait for a server's cache to catch up (marked `lagging`: up to a minute);
- the tests that need a server started for them (a reader's new server, a second sandbox with
  settings of its own): `make test` starts those.

The serve sandbox is a contributor's playground, so it counts as a server this run did not start
(`mode == "existing"`): the claims that hold only on a new server skip, with their reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import unleash_sandbox
from blocks import DOCS, site_blocks
from unleash_sandbox import SandboxError

# The fixtures that start a server of their own, and why the page check leaves their tests out.
STARTS_A_SERVER = {
    "readers": "runs on a new server with a reader's settings",
    "special_server": "runs on a second sandbox started with settings of its own",
}
LAGGING = "waits for the server's cache to catch up (up to a minute)"
NO_SERVER = "No Unleash server for the tests"  # how a run without its server ends (exit 3)
LEFT_OUT = pytest.StashKey[list[tuple[str, str, list[str]]]]()
PAGE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("page check")
    group.addoption("--page", help="check one page (docs/…md) against the `make serve` sandbox")
    group.addoption("--serve-port", default="4242", help="the port of `make serve`'s sandbox")


def checked_page(config: pytest.Config) -> str | None:
    """The page this run checks (relative to docs/), or None in a whole run."""
    return config.stash.get(PAGE, None)


def serve_url(config: pytest.Config) -> str:
    return f"http://127.0.0.1:{config.getoption('--serve-port')}"


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--page")
    if not given:
        return
    path = Path(given).resolve()
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    if path.suffix != ".md" or not path.is_relative_to(DOCS) or not path.is_file():
        raise pytest.UsageError(
            f"PAGE={given} is not a page of the site. Give its file under docs/, one of:\n  "
            + "\n  ".join(f"docs/{p}" for p in pages)
        )
    config.stash[PAGE] = str(path.relative_to(DOCS))
    config.stash[LEFT_OUT] = []
    if not hasattr(config, "workerinput"):  # before any worker starts: no sandbox, one line
        try:
            with unleash_sandbox.attach(serve_url(config)):
                pass
        except SandboxError as error:
            pytest.exit(f"{NO_SERVER}: {error}", returncode=3)


def _of_page(item: pytest.Item, page: str, runners: set[str]) -> bool:
    if item.nodeid in runners:
        return True
    if any(str(mark.args[0]) == page for mark in item.iter_markers("claim") if mark.args):
        return True
    params = getattr(item, "callspec", None)
    if params is None or params.params.get("builder") != "mkdocs":
        return False  # the site's checks: on the MkDocs build (Zensical's is make test's)
    shown = [str(value) for name, value in params.params.items() if name != "builder"]
    if not shown:  # a check of the whole site (links and anchors): the page's links are in it
        return item.name.startswith("test_every_internal_link")
    names = (page, page.removesuffix(".md"), str(DOCS / page))  # as a file, a URL path, a path
    return any(value in names for value in shown)


def _why_left_out(item: pytest.Item) -> str | None:
    if item.get_closest_marker("lagging"):
        return LAGGING
    for fixture, why in STARTS_A_SERVER.items():
        if fixture in getattr(item, "fixturenames", ()):
            return why
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    page = checked_page(config)
    if page is None:
        return
    runners = {b.runner for b in site_blocks() if str(b.page) == page and b.runner}
    kept, dropped = [], []
    for item in items:
        why = _why_left_out(item) if _of_page(item, page, runners) else "another page's"
        if why is None:
            kept.append(item)
            continue
        dropped.append(item)
        if why != "another page's":
            quotes = [str(q) for m in item.iter_markers("claim") if str(m.args[0]) == page
                      for q in m.args[1:]]  # fmt: skip
            config.stash[LEFT_OUT].append((item.nodeid, why, quotes))
    if not kept:
        raise pytest.UsageError(
            f"No test checks docs/{page} yet: quote its sentences in claim tests (tests/claims.py)."
        )
    if hasattr(config, "workeroutput"):  # a worker: the controller prints it (harness.run)
        config.workeroutput["page_left_out"] = config.stash[LEFT_OUT]
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    page = checked_page(config)
    if page is None:
        return
    grouped: dict[tuple[str, str], list[str]] = {}  # a parametrized test once, with its runs
    runs: dict[tuple[str, str], int] = {}
    from harness.run import from_workers

    for nodeid, why, quotes in config.stash[LEFT_OUT] or from_workers("page_left_out") or []:
        key = (nodeid.split("[")[0], why)
        grouped.setdefault(key, [])
        grouped[key] += [q for q in quotes if q not in grouped[key]]
        runs[key] = runs.get(key, 0) + 1
    terminalreporter.section(f"docs/{page}: left out of this check (make test runs them)")
    if not grouped:
        terminalreporter.write_line("nothing: every check of the page ran")
    for (test, why), quotes in grouped.items():
        times = f" ({runs[test, why]} runs)" if runs[test, why] > 1 else ""
        terminalreporter.write_line(f"{test}{times}: {why}")
        for quote in quotes:
            short = quote if len(quote) <= 100 else quote[:99] + "…"
            terminalreporter.write_line(f'    claim: "{short}"')
