"""Which tests share a worker when `make test` runs them on two (pytest-xdist, `--dist loadgroup`).

Each worker has a session of its own: its own sandbox, browser and demo flag. Tests that share
something costly to make are kept on one worker, so that it is made once: a site build (one group
per builder), the server with a reader's settings, the second sandbox, a module's own fixtures
(a second instance, the preview, the pages opened in the browser), and the lagging tests, which
collect the background waits of their worker's session and run after everything else.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# Session fixtures costly enough to be made on one worker only: the tests using them share it.
SHARED = ("readers", "special_server")


def needs(item: pytest.Item) -> set[str]:
    """What a test shares with others: each name here keeps all its tests on one worker."""
    found = set()
    if item.get_closest_marker("lagging"):
        found.add("lagging")
    names = getattr(item, "fixturenames", ())
    callspec = getattr(item, "callspec", None)
    builder = callspec.params.get("builder") if callspec is not None else None
    if "site" in names:
        found.add(f"site-{builder}")
    found.update(name for name in SHARED if name in names)
    infos = getattr(item, "_fixtureinfo", None)
    definitions = infos.name2fixturedefs.values() if infos is not None else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        module = item.nodeid.split("::")[0]  # (a module's fixture is made again per builder)
        found.add(f"{module}[{builder}]" if builder else module)
    return found


def groups(items: list[pytest.Item]) -> dict[str, str]:
    """The group of each test that shares something (by node id): tests that share anything,
    directly or through others, are in one group, named after the first thing they share."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    shared = {item.nodeid: sorted(needs(item)) for item in items}
    for names in shared.values():
        for other in names[1:]:
            parent[root(other)] = root(names[0])
    return {nodeid: root(names[0]) for nodeid, names in shared.items() if names}


def _groups_file() -> Path:
    """Where the workers tell the controller each test's group (in the run's own folder)."""
    return Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "xdist-groups.json"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook tells the controller "collected"
def pytest_collection_finish(session: pytest.Session) -> None:
    """In a worker of a `--dist loadgroup` run: write down the groups for the controller, which
    reads and removes the file (both workers collect the same tests). Written before the worker
    reports its collection, so that no write comes after the controller has read the file."""
    if hasattr(session.config, "workerinput") and session.config.getvalue("loadgroup"):
        scratch = _groups_file().with_suffix(f".{os.getpid()}")
        scratch.write_text(json.dumps(groups(session.items)))
        scratch.replace(_groups_file())


class GroupScheduling(LoadScopeScheduling):
    """xdist's scheduling by scope, where a test's scope is its group (or the test alone).

    (pytest-xdist's own `xdist_group` marks do not reach the controller under pytest 9, which
    no longer lets a plugin rename a test: the groups travel in a file instead.)"""

    _of: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._of is None:
            self._of = json.loads(_groups_file().read_text())
            _groups_file().unlink()
        return self._of.get(nodeid, nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> GroupScheduling | None:
    return GroupScheduling(config, log) if config.getoption("dist") == "loadgroup" else None
