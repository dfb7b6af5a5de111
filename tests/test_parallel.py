"""How `make test`'s two workers share the tests (tests/harness/parallel.py): the order of units."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.parallel import UNKNOWN_S, keep_times, next_unit, took_before

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


def test_times_are_kept_for_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNLEASH_SANDBOX_CACHE", str(tmp_path))
    assert took_before() == {}  # a first run: nothing on record
    keep_times({"t1": 1.5, "t2": 0.2})
    keep_times({"t2": 0.4})  # a later run of some tests: theirs replace, the others stay
    assert took_before() == {"t1": 1.5, "t2": 0.4}
    assert [p.name for p in tmp_path.iterdir()] == ["test-durations.json"]
    (tmp_path / "test-durations.json").write_text("{not json")
    assert took_before() == {}  # a damaged file is a first run, not a failed one
