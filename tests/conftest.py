"""One Unleash server for the whole test session, and the environment the samples read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

import unleash_sandbox
from unleash_sandbox import Sandbox, SandboxError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def unleash() -> Iterator[Sandbox]:
    """The live server every sample and claim is checked against (started once per session)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(unleash_sandbox.start())
        except SandboxError as error:
            pytest.exit(f"No Unleash server for the tests: {error}", returncode=3)
        yield server


@pytest.fixture
def sample_env(unleash: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the server's URL and tokens where the samples read them (also for in-process samples)."""
    for key, value in unleash.env().items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


def run_sample(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run a sample as a reader would; fail with its output if it does not exit 0; return stdout."""
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


PYTHON = sys.executable


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
