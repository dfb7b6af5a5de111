"""What a run against another server leaves out: what only repeats the pinned run.

`make test` checks everything against a sandbox of the pinned Unleash. Two runs check the pages
again on another server, and leave out the tests whose outcome that server cannot change:

- another Unleash or SDK version (`UNLEASH_VERSION`, `UNLEASH_NPM_OVERRIDES`; CI runs each
  version of `unleashAlsoTested`): the tests marked `serverless`. They start no Unleash and use
  none (the built site, the repository's files, the harness without a server), so they answer the
  same whatever the version.
- a server that is not ours (`UNLEASH_URL` and `UNLEASH_ADMIN_TOKEN`; `make test-foreign`): every
  test that does not use that server (the `unleash` fixture). Those start sandboxes of the pinned
  Unleash of their own, or use none, exactly as in the pinned run.

Such a run ends by saying how many tests it left out, of which modules, and why.
"""

from __future__ import annotations

import os

import pytest

from harness.page import checked_page
from harness.run import from_workers
from unleash_sandbox import SandboxError, versions

SERVERLESS = "serverless"
# The fixtures that are (or start) an Unleash server: a `serverless` test uses none of them.
SERVERS = ("unleash", "special_server", "readers")
LEFT_OUT = pytest.StashKey[tuple[str, dict[str, int]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SERVERLESS}: starts no Unleash and uses none (left out of runs against another "
        "Unleash version: harness/scope.py)",
    )


def _why(config: pytest.Config) -> str | None:
    """Why this run leaves tests out, or None when it runs them all."""
    if checked_page(config) is not None:
        return None  # a page check chooses its tests itself (harness/page.py)
    if os.environ.get("UNLEASH_URL"):
        return (
            "they do not use the server under test (UNLEASH_URL): they start sandboxes of the "
            "pinned Unleash, or use none, as in `make test`, which runs them"
        )
    try:
        other_version = bool(versions.requested())
    except SandboxError as error:  # a version that cannot be: one line, before anything starts
        raise pytest.UsageError(str(error)) from None
    if other_version:
        return (
            "they start no Unleash and use none (the built site, the repository's files, the "
            "harness without a server), so every version answers them alike: `make test` runs them"
        )
    return None


def repeats(item: pytest.Item, foreign: bool) -> bool:
    """True when `item` would only repeat the pinned run: in a run against a server that is not
    ours (`foreign`), a test that does not use it; against another version, a `serverless` one."""
    if foreign:
        return "unleash" not in getattr(item, "fixturenames", ())
    return item.get_closest_marker(SERVERLESS) is not None


def wrong_marks(items: list[pytest.Item]) -> list[str]:
    """The tests marked `serverless` that use a server after all."""
    wrong = []
    for item in items:
        used = [f for f in SERVERS if f in getattr(item, "fixturenames", ())]
        if item.get_closest_marker(SERVERLESS) and used:
            wrong.append(f"{item.nodeid} (uses {', '.join(used)})")
    return wrong


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if wrong := wrong_marks(items):
        raise pytest.UsageError(
            f"Marked {SERVERLESS} but using a server (drop the mark: harness/scope.py):\n  "
            + "\n  ".join(wrong)
        )
    why = _why(config)
    if why is None:
        return
    foreign = bool(os.environ.get("UNLEASH_URL"))
    kept = [item for item in items if not repeats(item, foreign)]
    dropped = [item for item in items if repeats(item, foreign)]
    modules: dict[str, int] = {}
    for item in dropped:
        module = item.nodeid.split("::")[0]
        modules[module] = modules.get(module, 0) + 1
    config.stash[LEFT_OUT] = (why, modules)
    if hasattr(config, "workeroutput"):  # a worker: the controller prints it (harness.run)
        config.workeroutput["left_out"] = (why, modules)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    why, modules = (
        terminalreporter.config.stash.get(LEFT_OUT, None) or from_workers("left_out") or ("", {})
    )
    if not modules:
        return
    terminalreporter.section("left out of this run")
    terminalreporter.write_line(f"{sum(modules.values())} tests, because {why}:")
    for module, count in sorted(modules.items()):
        terminalreporter.write_line(f"    {module}: {count}")
