"""Runs against another server leave out exactly the tests that would only repeat the pinned run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.scope import SERVERLESS, SERVERS, repeats, wrong_marks
from harness.scratch import child_pytest

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)


@pytest.fixture
def items(request: pytest.FixtureRequest) -> list[pytest.Item]:
    """This session's tests: the rules are checked on the suite as it is."""
    found = request.session.items
    if not any("unleash" in item.fixturenames for item in found):
        pytest.skip("only meaningful with the tests that use the server (run the whole suite)")
    return found


def test_another_version_leaves_out_only_the_tests_that_use_no_server(
    items: list[pytest.Item],
) -> None:
    left = [item for item in items if repeats(item, foreign=False)]
    assert left, "no test is marked serverless: the built site's checks are"
    assert not wrong_marks(items)
    for item in left:
        assert not set(SERVERS) & set(item.fixturenames), item.nodeid
    kept = {item.nodeid.split("::")[0] for item in items if not repeats(item, foreign=False)}
    present = {item.nodeid.split("::")[0] for item in items}
    # the sandbox's own tests start the version under test, so they stay
    starts = {"tests/test_sandbox.py", "tests/test_faults.py", "tests/test_reader_path.py"}
    assert starts & present <= kept


def test_a_foreign_server_keeps_exactly_the_tests_that_use_it(items: list[pytest.Item]) -> None:
    by_module: dict[str, set[bool]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], set()).add(repeats(item, foreign=True))
    expected = {
        "tests/test_claims_reference.py": {False},  # the server's answers: kept
        "tests/test_site.py": {True},  # the built site: the same anywhere
        "tests/test_sandbox.py": {True, False},  # its own sandboxes left out, the rest kept
    }
    for module, outcome in expected.items():
        assert by_module.get(module, outcome) == outcome, module
    for item in items:
        assert repeats(item, foreign=True) == ("unleash" not in item.fixturenames), item.nodeid


def test_a_serverless_mark_on_a_test_that_uses_a_server_is_refused(
    items: list[pytest.Item],
) -> None:
    users = [i for i in items if "unleash" in i.fixturenames]
    marked = users[0]
    marked.add_marker(SERVERLESS)
    try:
        assert wrong_marks([marked]) == [f"{marked.nodeid} (uses unleash)"]
    finally:
        marked.own_markers.pop()


def child_run(scratch: Path, version: str, *tests: str) -> tuple[int, str]:
    """The suite's `tests` in a child run with UNLEASH_VERSION=`version`: (exit code, output)."""
    run, _ = child_pytest(scratch, *tests, UNLEASH_VERSION=version)
    return run.returncode, run.stdout + run.stderr


def test_another_version_names_what_it_leaves_out(scratch: Path) -> None:
    code, output = child_run(scratch, "7.6.5", "tests/test_scope.py", "tests/test_lint.py")
    assert code == 5, output  # nothing left to run, and the run says why
    section = output.split("left out of this run")[1]
    total = re.search(r"(\d+) tests, because they start no Unleash and use none", section)
    counts = dict(re.findall(r"^    (tests/\S+): (\d+)$", section, re.M))
    assert total and set(counts) == {"tests/test_scope.py", "tests/test_lint.py"}, section
    assert int(total[1]) == sum(map(int, counts.values())), section


def test_a_version_that_cannot_be_is_one_clear_line(scratch: Path) -> None:
    code, output = child_run(scratch, "8.x", "tests/test_scope.py")
    assert code == 4, output  # pytest's usage error: nothing started
    assert "UNLEASH_VERSION: '8.x' is not a version of unleash-server" in output, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
