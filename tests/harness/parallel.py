"""Which tests share a worker when `make test` runs them on two (pytest-xdist, `--dist loadgroup`).

Each worker has a session of its own: its own sandbox, browser and demo flag. Tests that share
something costly to make are kept on one worker, so that it is made once: a site build (one group
per builder), the server with a reader's settings, the second sandbox, a module's own fixtures
(a second instance, the preview, the pages opened in the browser), and the background group.

The background group is the tests that read work started at the start of the session, in the
background (harness.run.start_early): the lagging tests, which collect waits on the server's
caches, and the tests that read flags made then or SDK runs that wait out timers. It runs on
one worker named beforehand (BACKGROUND_WORKER), so that only that worker starts the work, and
as late as it can: once what is left takes the other worker no longer than the group (with the
end of that worker's session, which deletes what it made) takes this one.

The longest groups go first, by how long their tests took in the last runs on this machine
(kept in the project cache): the short ones that come last even out the two workers' ends.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from unleash_sandbox.installs import cache_dir

# Session fixtures costly enough to be made on one worker only: the tests using them share it.
SHARED = ("readers", "special_server")
# Session fixtures whose work starts in the background at the start of the session: the tests
# that use them are the background group, run last by BACKGROUND_WORKER, the only worker that
# starts that work (a run without workers starts it too).
BACKGROUND = (
    "revocation_lags",
    "rotation",
    "served_flags_making",
    "sdk_messages_making",
    "sdk_waits_making",
)
BACKGROUND_WORKER = "gw0"


def runs_the_background_group(config: pytest.Config) -> bool:
    """Whether this process runs the background group: a worker of a `--dist loadgroup` run
    only when it is BACKGROUND_WORKER; any other process (no workers, another way to share
    them out) may run any test."""
    worker = getattr(config, "workerinput", None)
    if worker is None or not config.getvalue("loadgroup"):
        return True
    return bool(worker["workerid"] == BACKGROUND_WORKER)


def needs(item: pytest.Item) -> set[str]:
    """What a test shares with others: each name here keeps all its tests on one worker."""
    found = set()
    names = getattr(item, "fixturenames", ())
    if item.get_closest_marker("lagging") or any(name in names for name in BACKGROUND):
        found.add("background")
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
    """Note the worker's shared fixtures. In a worker of a `--dist loadgroup` run: write down
    the groups for the controller, which reads and removes the file (both workers collect the
    same tests). Written before the worker reports its collection, so that no write comes after
    the controller has read the file."""
    of = groups(session.items)
    _shared.clear()
    _shared.update(shared_fixtures(session.items, of))
    _background.clear()
    _background.update(i.nodeid for i in session.items if "background" in needs(i))
    if hasattr(session.config, "workerinput") and session.config.getvalue("loadgroup"):
        last = sorted({of[nodeid] for nodeid in _background})
        _write_whole(_groups_file(), {"of": of, "last": last})


def _write_whole(file: Path, data: object) -> None:
    """`data` as JSON in `file`, written in one step: a reader (the controller, another run)
    never sees half of it, and of two writers at once the last wins whole."""
    scratch = file.with_suffix(f".{os.getpid()}")
    scratch.write_text(json.dumps(data, indent=0, sort_keys=True))
    scratch.replace(file)


class GroupScheduling(LoadScopeScheduling):
    """xdist's scheduling by scope, where a test's scope is its group (or the test alone).

    (pytest-xdist's own `xdist_group` marks do not reach the controller under pytest 9, which
    no longer lets a plugin rename a test: the groups travel in a file instead.)"""

    _of: dict[str, str] | None = None
    _last: list[str] = []  # the background group (a list: what the workers wrote)
    _took: dict[str, float] | None = None  # each test's seconds in the last run

    def _split_scope(self, nodeid: str) -> str:
        if self._of is None:
            written = json.loads(_groups_file().read_text())
            self._of, self._last = written["of"], written["last"]
            _groups_file().unlink()
        return self._of.get(nodeid, nodeid)

    def _assign_work_unit(self, node: Any) -> None:
        """Give `node` the next unit it may run. A worker left with none is told at once that
        what it has is all it runs: a worker needs to know what comes after a test before it
        runs it (pytest's `nextitem`), so it would otherwise wait, its last test not yet run,
        until the other worker was nearly done (measured: a second idle in the page check)."""
        if self._took is None:
            self._took = took_before()
        ids = {n.workerinput["workerid"] for n in self.nodes}  # (the named one may be gone)
        runs_last = (
            node.workerinput["workerid"] == BACKGROUND_WORKER or BACKGROUND_WORKER not in ids
        )
        others = [
            expected_s(self._pending(other), self._took)
            for other in self.nodes
            if other is not node and not other.shutting_down
        ]
        scope = next_unit(self.workqueue, self._took, set(self._last), runs_last, others)
        if scope is None:
            node.shutdown()
            return
        self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)

    def _pending(self, node: Any) -> list[str]:
        """The tests handed to `node` that it has not finished."""
        units = self.assigned_work.get(node, {}).values()
        return [nodeid for unit in units for nodeid, done in unit.items() if not done]

    def _reschedule(self, node: Any) -> None:
        """Give `node` its next unit when one test is left in its queue, not two as xdist does.

        A worker needs the test after the one it runs (pytest's `nextitem`), so one test left
        is the latest moment. With two, a worker in a long test takes units that the other worker
        then waits for (measured on the page check: one worker done at 6.7 s, the other at 10.8 s).
        """
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) <= 1:
            self._assign_work_unit(node)


UNKNOWN_S = 0.5  # a test with no time on record (about what the suite's tests take on average)


def expected_s(nodeids: Iterable[str], took: dict[str, float]) -> float:
    """How long these tests should take, by their times in the last run."""
    return sum(took.get(nodeid, UNKNOWN_S) for nodeid in nodeids)


def next_unit(
    queue: dict[str, dict[str, bool]],
    took: dict[str, float],
    last: set[str],
    runs_last: bool,
    others: Sequence[float] = (),
) -> str | None:
    """The unit to hand out next: the one whose tests took longest (a long unit taken late
    leaves the other worker idle while it runs), the first of equals. None: nothing left for
    this worker.

    The background group (`last`) goes only to the worker that `runs_last`, as late as it can,
    so that its background work has had the run: when nothing else is left, or when the other
    workers (`others`: the seconds of tests each still has) would end the rest no later than this
    one would end the longest unit and the group after it, with its end (BACKGROUND_END).
    Otherwise this worker would take a unit while the others ran out of work, and run the group
    alone at the end."""

    def seconds(scope: str) -> float:
        return expected_s(queue[scope], took)

    ahead = [scope for scope in queue if scope not in last]
    background = [scope for scope in queue if scope in last]
    if not runs_last or not background:
        return max(ahead, key=seconds, default=None)
    if not ahead:
        return background[0]
    longest = max(ahead, key=seconds)
    group = sum(seconds(scope) for scope in background) + took.get(BACKGROUND_END, 0.0)
    if (
        others
        and (sum(others) + sum(map(seconds, ahead))) / len(others) <= seconds(longest) + group
    ):
        return background[0]
    return longest


def _durations_file() -> Path:
    return cache_dir() / "test-durations.json"


def took_before() -> dict[str, float]:
    """Seconds each test took (setup, call and teardown) when it last ran on this machine."""
    try:
        return dict(json.loads(_durations_file().read_text()))
    except (OSError, ValueError):
        return {}  # none yet (or unreadable): every test counts the same


# A worker's own start and end: the session fixtures that tests of more than one unit use (its
# sandbox, its browser, its demo flag) are made in the setup of whichever of them comes first,
# and ended in the teardown of the worker's last test. Neither counts in a test's time: it would
# move from test to test with the order of the run, and so would the order of the next run.
# The end of the background worker's session, when the group ran last, is kept on its own:
# it waits for the clean-up of what the group read (flags deleted once the server has written
# their archived stage, about a second). The group is handed out with that time added, since
# taken early, its clean-up runs while the worker goes on, and taken last, its worker waits.
MADE_FOR_THE_WORKER = "setup seconds spent on the worker's shared fixtures"
ENDS_THE_SESSION = "its teardown ends the worker's session"
BACKGROUND_END = "(the end of a session whose last test is of the background group)"
_shared: set[str] = set()  # on a worker: the session fixtures that more than one unit uses
_background: set[str] = set()  # the tests of the background group (node ids)


class _InShared:
    """The current test's setup seconds in the worker's shared fixtures so far, and whether one
    is being made now (one made inside another is in that one's time)."""

    seconds = 0.0
    making = False


def shared_fixtures(items: list[pytest.Item], of: dict[str, str]) -> set[str]:
    """The session fixtures that tests of more than one unit use (`of`: each test's group)."""
    units: dict[str, set[str]] = {}
    for item in items:
        infos = getattr(item, "_fixtureinfo", None)
        for name, defs in infos.name2fixturedefs.items() if infos is not None else ():
            if defs[-1].scope == "session":
                units.setdefault(name, set()).add(of.get(item.nodeid, item.nodeid))
    return {name for name, used_by in units.items() if len(used_by) > 1}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Any:
    if fixturedef.argname not in _shared or _InShared.making:
        return (yield)
    began = time.perf_counter()
    _InShared.making = True
    try:
        return (yield)
    finally:
        _InShared.seconds += time.perf_counter() - began
        _InShared.making = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """A test of the background group runs only on the worker that started its work. The time
    the setup spends on the worker's shared fixtures is noted in the test's reports."""
    if item.nodeid in _background and not runs_the_background_group(item.config):
        worker = item.config.workerinput["workerid"]  # type: ignore[attr-defined]
        raise AssertionError(
            f"{item.nodeid} was given to {worker}: the background group runs on "
            f"{BACKGROUND_WORKER}, which started its work (harness/parallel.py)"
        )
    _InShared.seconds = 0.0
    try:
        return (yield)
    finally:
        if _InShared.seconds:
            item.user_properties.append((MADE_FOR_THE_WORKER, _InShared.seconds))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    if nextitem is None:
        item.user_properties.append((ENDS_THE_SESSION, item.nodeid in _background))
    return (yield)


_took_now: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _took_now[report.nodeid] = _took_now.get(report.nodeid, 0.0) + seconds_of(report)
    if report.when == "teardown" and dict(report.user_properties).get(ENDS_THE_SESSION) is True:
        _took_now[BACKGROUND_END] = report.duration


def seconds_of(report: pytest.TestReport) -> float:
    """The seconds of one stage of a test (setup, call, teardown), without the worker's start and
    end that it paid for."""
    noted = dict(report.user_properties)
    if report.when == "setup":
        return max(report.duration - float(noted.get(MADE_FOR_THE_WORKER, 0.0)), 0.0)
    if report.when == "teardown" and ENDS_THE_SESSION in noted:
        return 0.0
    return report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On the controller of a `--dist loadgroup` run: keep the times of the tests that ran."""
    controller = not hasattr(session.config, "workerinput")
    if controller and session.config.getoption("dist", "no") == "loadgroup" and _took_now:
        keep_times(_took_now)


def keep_times(took: dict[str, float]) -> None:
    """Note these tests' times, over what they took before (the other tests' stay)."""
    _durations_file().parent.mkdir(parents=True, exist_ok=True)
    _write_whole(_durations_file(), took_before() | took)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> GroupScheduling | None:
    return GroupScheduling(config, log) if config.getoption("dist") == "loadgroup" else None
