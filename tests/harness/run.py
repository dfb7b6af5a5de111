"""How a test session starts and ends: Ctrl-C in one line, and the report of the site's blocks."""

from __future__ import annotations

import faulthandler
import signal
from typing import Any

import pytest

faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` shows where a run hangs


def pytest_sessionstart(session: pytest.Session) -> None:
    """Ctrl-C (or SIGTERM) ends the run with one line; the session still stops the sandbox.

    pytest's own report of a KeyboardInterrupt can crash while it renders the traceback of a
    frame that has no line number yet, which buries the message; an Exit is reported in one line.
    """

    def stop(signum: int, frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        pytest.exit(
            f"Interrupted ({name}): stopping the sandbox and removing its files.", returncode=2
        )

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when SIGINT is ignored
        signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


# --- The block report: for every fenced block on the site, did it run, and where? ---------------

_passed: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from blocks import site_blocks

    blocks = site_blocks()
    ran = [b for b in blocks if b.runner in _passed]
    skipped = [b for b in blocks if b.skip_reason]
    other = [b for b in blocks if b not in ran and b not in skipped]
    write = terminalreporter.write_line
    terminalreporter.section("code blocks on the site")
    for b in skipped:
        write(f"skipped  {b.key}: {b.skip_reason}")
    for b in other:
        why = f"its test {b.runner} did not pass" if b.runner else "no test and no reason"
        write(f"NOT RUN  {b.key}: {why}")
    write(
        f"blocks: {len(ran)} run, {len(skipped)} skipped (reasons listed), {len(other)} unaccounted"
    )
