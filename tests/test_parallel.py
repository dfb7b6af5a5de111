"""How `make test`'s two workers share the tests (tests/harness/parallel.py): the order of units."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.parallel import (
    BACKGROUND_END,
    BACKGROUND_WORKER,
    ENDS_THE_SESSION,
    MADE_FOR_THE_WORKER,
    UNKNOWN_S,
    GroupScheduling,
    keep_times,
    next_unit,
    seconds_of,
    shared_fixtures,
    took_before,
)
from harness.run import after_its_tests, pytest_runtest_logfinish

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)


def queue(**units: list[str]) -> dict[str, dict[str, bool]]:
    return {scope: dict.fromkeys(tests, False) for scope, tests in units.items()}


def test_the_unit_that_took_longest_goes_first() -> None:
    units = queue(a=["a1", "a2", "a3"], ui=["ui1"], b=["b1"])
    took = {"a1": 1.0, "a2": 1.0, "a3": 1.0, "ui1": 9.0, "b1": 0.1}
    assert next_unit(units, took, set(), True) == "ui"  # one long test outweighs three short ones
    del units["ui"]
    assert next_unit(units, took, set(), True) == "a"


def test_a_test_never_timed_counts_the_same_as_any_other() -> None:
    units = queue(small=["s1"], new=["n1", "n2"], old=["o1"])
    took = {"s1": 0.1, "o1": 2 * UNKNOWN_S}  # two new tests weigh as much as `old`: first wins
    assert next_unit(units, took, set(), True) == "new"
    assert next_unit(queue(x=["x1"], y=["y1"]), {}, set(), True) == "x"  # nothing timed: in order


def test_the_background_group_goes_last_however_long_and_to_its_worker_only() -> None:
    units = queue(background=["l1"], quick=["q1"])
    took = {"l1": 60.0, "q1": 0.1}
    assert next_unit(units, took, {"background"}, True) == "quick"
    assert next_unit(units, took, {"background"}, False) == "quick"
    del units["quick"]
    assert next_unit(units, took, {"background"}, True) == "background"
    assert next_unit(units, took, {"background"}, False) is None  # the other worker: nothing


def test_the_background_group_goes_early_when_the_other_worker_can_end_the_rest() -> None:
    """The page check's end, measured: the background worker asks while the other is nearly
    done. Taking the last unit (1.1 s) and then the group (0.1 s, and 1.1 s for the session's
    end, which deletes the flags the group read) it would end 2.3 s later; taking the group now,
    1.2 s later, while the other worker ends the unit in about as long."""
    units = queue(background=["b1", "b2"], refresh=["r1"])
    took = {"b1": 0.05, "b2": 0.05, "r1": 1.1, BACKGROUND_END: 1.1}
    assert next_unit(units, took, {"background"}, True, [0.5]) == "background"
    del took[BACKGROUND_END]  # without the end that the group waits for, the unit goes first
    assert next_unit(units, took, {"background"}, True, [0.5]) == "refresh"
    took[BACKGROUND_END] = 1.1
    assert next_unit(units, took, {"background"}, True, [2.0]) == "refresh"  # the other: busy
    assert next_unit(units, took, {"background"}, True, []) == "refresh"  # no other worker
    assert next_unit(units, took, {"background"}, False, [0.1]) == "refresh"


def test_times_are_kept_for_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNLEASH_SANDBOX_CACHE", str(tmp_path))
    assert took_before() == {}  # a first run: nothing on record
    keep_times({"t1": 1.5, "t2": 0.2})
    keep_times({"t2": 0.4})  # a later run of some tests: theirs replace, the others stay
    assert took_before() == {"t1": 1.5, "t2": 0.4}
    assert [p.name for p in tmp_path.iterdir()] == ["test-durations.json"]
    (tmp_path / "test-durations.json").write_text("{not json")
    assert took_before() == {}  # a damaged file is a first run, not a failed one


class Worker:
    """What the scheduler sees of a worker: its name, the tests sent to it, its shutdown."""

    def __init__(self, name: str) -> None:
        self.workerinput = {"workerid": name}
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent += indices

    def shutdown(self) -> None:
        self.shutting_down = True


def test_a_worker_with_nothing_left_to_take_is_told_while_its_last_test_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other worker, holding one test, with only the background group left in the queue,
    is told at once that this is its last test: a worker runs a test only once it knows what
    comes after it, so untold it would wait with that test until the background group ends."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where the workers write the groups
    monkeypatch.setenv("UNLEASH_SANDBOX_CACHE", str(tmp_path))  # the times of the last run
    other = "gw1" if BACKGROUND_WORKER == "gw0" else "gw0"
    tests = ["ui1", "ui2", "short", "bg1", "bg2"]
    groups = {"ui1": "ui", "ui2": "ui", "bg1": "background", "bg2": "background"}
    (tmp_path / "xdist-groups.json").write_text(json.dumps({"of": groups, "last": ["background"]}))
    keep_times({"ui1": 3.0, "ui2": 2.0, "short": 1.0, "bg1": 0.1, "bg2": 0.1})
    config = SimpleNamespace(
        getvalue=lambda name: ["2*popen"], option=SimpleNamespace(loadscopereorder=False)
    )
    scheduler = GroupScheduling(config)  # type: ignore[arg-type]
    background, another = Worker(BACKGROUND_WORKER), Worker(other)
    for worker in (background, another):
        scheduler.add_node(worker)  # type: ignore[arg-type]
        scheduler.add_node_collection(worker, tests)  # type: ignore[arg-type]
    scheduler.schedule()
    assert [tests[i] for i in background.sent] == ["ui1", "ui2"]  # the background group: later
    assert [tests[i] for i in another.sent] == ["short"]
    assert another.shutting_down  # told, with "short" still to run
    assert not background.shutting_down
    scheduler.mark_test_complete(background, tests.index("ui1"))  # type: ignore[arg-type]
    assert [tests[i] for i in background.sent] == ["ui1", "ui2", "bg1", "bg2"]


def test_work_after_the_last_test_of_a_background_fixture_starts_once() -> None:
    """The served flags are deleted once the last test that reads them has run (harness/flags.py),
    while the tests after it go on; the end of the session starts it only if that never came."""
    started: list[str] = []
    tests = [("t1", ["served_flags_making"]), ("t2", []), ("t3", ["served_flags_making"])]
    items = [SimpleNamespace(nodeid=nodeid, fixturenames=names) for nodeid, names in tests]
    request: Any = SimpleNamespace(session=SimpleNamespace(items=items))
    at_the_end = after_its_tests(request, "served_flags_making", lambda: started.append("done"))
    for nodeid in ("t1", "t2"):
        pytest_runtest_logfinish(nodeid)
    assert started == []  # t3 reads them still
    pytest_runtest_logfinish("t3")
    assert started == ["done"]
    at_the_end()  # the fixture's end: nothing more to start
    assert started == ["done"]
    at_the_end = after_its_tests(request, "served_flags_making", lambda: started.append("end"))
    pytest_runtest_logfinish("t1")  # a run stopped before t3
    at_the_end()
    assert started == ["done", "end"]
    with pytest.raises(AssertionError, match="may run in another process"):
        after_its_tests(request, "browser", lambda: None)


def test_a_test_time_leaves_out_the_workers_start_and_end() -> None:
    """The first test of a worker makes its sandbox and browser, its last ends them: neither is
    that test's time, or the order of the next run would follow the order of this one."""

    def report(when: str, duration: float, *noted: tuple[str, Any]) -> Any:
        return SimpleNamespace(when=when, duration=duration, user_properties=list(noted))

    assert seconds_of(report("setup", 4.0, (MADE_FOR_THE_WORKER, 3.5))) == 0.5
    assert seconds_of(report("call", 1.0, (MADE_FOR_THE_WORKER, 3.5))) == 1.0
    assert seconds_of(report("teardown", 0.2, (MADE_FOR_THE_WORKER, 3.5))) == 0.2
    assert seconds_of(report("teardown", 1.3, (ENDS_THE_SESSION, False))) == 0.0
    assert seconds_of(report("teardown", 1.3, (ENDS_THE_SESSION, True))) == 0.0  # (kept apart)
    assert seconds_of(report("setup", 0.3)) == 0.3


def test_a_fixture_is_the_workers_when_tests_of_two_units_use_it() -> None:
    def item(nodeid: str, **scopes: str) -> Any:
        defs = {name: [SimpleNamespace(scope=scope)] for name, scope in scopes.items()}
        return SimpleNamespace(nodeid=nodeid, _fixtureinfo=SimpleNamespace(name2fixturedefs=defs))

    items = [
        item("site1", browser="session", site="session"),
        item("site2", site="session", page="module"),
        item("ui", browser="session", tmp_path="function"),
    ]
    groups = {"site1": "site-mkdocs", "site2": "site-mkdocs"}
    assert shared_fixtures(items, groups) == {"browser"}  # the site build: its group's
