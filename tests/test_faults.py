"""Faults, through the real entry point: pytest in a subprocess, as `make test` runs it.

Each fault must end within seconds in one clear message and a non-zero exit, and leave no
Unleash, PostgreSQL or browser process and no temp dir behind (the run gets a TMPDIR of its own).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from blocks import ROOT
from harness.samples import PYTHON
from harness.scratch import (
    assert_nothing_left,
    busy_port,
    child_pytest,
    listening,
    own_sandbox_env,
)
from unleash_api import poll_until
from unleash_sandbox import Sandbox
from unleash_sandbox._util import free_port, healthy
from unleash_sandbox.processes import default_sigint

pytestmark = pytest.mark.timeout(180)
TARGET = "tests/test_claims_how_to.py"  # a few quick tests that need the server
TWO_WORKERS = ("-n", "2", "--dist", "loadgroup")  # as `make test` runs the suite (Makefile)


def assert_clear_failure(result: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-3000:]
    assert output.count(message) == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def wait_for_sandbox(scratch: Path, deadline_s: float = 60) -> tuple[int, str]:
    """The pid and URL of the Unleash a run under `scratch` started, once it answers."""

    def answering() -> tuple[int, str] | None:
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                is_unleash = b"unleash-server" in (proc / "cmdline").read_bytes()
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue
            if is_unleash and cwd.startswith(str(scratch)):
                ports = [port for ip, port in listening(int(proc.name)) if ip == "127.0.0.1"]
                if ports and healthy(f"http://127.0.0.1:{ports[0]}"):
                    return int(proc.name), f"http://127.0.0.1:{ports[0]}"
        return None

    return poll_until("the run's sandbox to come up", answering, deadline_s, every_s=0.1)[0]


def test_unleash_url_points_at_nothing(scratch: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result, seconds = child_pytest(scratch, TARGET, UNLEASH_URL=url, UNLEASH_ADMIN_TOKEN="*:*.x")
    assert_clear_failure(result, 3, f"UNLEASH_URL={url} does not answer")
    assert seconds < 30
    assert_nothing_left(scratch)


def test_admin_token_rejected(unleash: Sandbox, scratch: Path) -> None:
    result, _ = child_pytest(
        scratch, TARGET, UNLEASH_URL=unleash.url, UNLEASH_ADMIN_TOKEN="*:*.wrong"
    )
    assert_clear_failure(result, 3, "rejected the token in UNLEASH_ADMIN_TOKEN (HTTP 401")


def test_sandbox_port_taken(scratch: Path) -> None:
    with busy_port() as port:
        result, _ = child_pytest(scratch, TARGET, UNLEASH_SANDBOX_PORT=str(port))
    assert_clear_failure(result, 3, f"Port {port} on 127.0.0.1 is already in use")
    assert_nothing_left(scratch)


def test_postgres_binaries_missing(scratch: Path) -> None:
    """On `make test`'s two workers: each worker's sandbox fails, and the run says so once."""
    result, _ = child_pytest(
        scratch, *TWO_WORKERS, TARGET, UNLEASH_SANDBOX_PG_BIN=str(scratch / "nowhere")
    )
    assert_clear_failure(result, 3, "PostgreSQL server binaries (initdb, postgres) not found")
    assert_nothing_left(scratch)


@pytest.mark.serverless  # the child runs a check of the built site: no server in it
@pytest.mark.parametrize("how", ["CHROMIUM_PATH wrong", "not on PATH"])
def test_chromium_missing_in_ci(scratch: Path, how: str) -> None:
    browser_test = "tests/test_site_browser.py::test_old_frontend_api_address_redirects"
    if how == "CHROMIUM_PATH wrong":
        extra = {"CHROMIUM_PATH": str(scratch / "chromium"), "CI": "true"}
        expected = f"CHROMIUM_PATH={scratch / 'chromium'} does not exist"
    else:
        extra = {"PATH": str(scratch), "CI": "true"}
        expected = "Chromium not found: the browser tests need it"
    workers = TWO_WORKERS if how == "not on PATH" else ()  # one of them as `make test` runs
    result, seconds = child_pytest(scratch, *workers, browser_test, **extra)
    assert_clear_failure(result, 4, expected)
    assert seconds < 60
    assert_nothing_left(scratch)


MID_RUN = "tests/faults/mid_run.py"  # background waits, then tests that pass one by one


def run_until_first_pass(scratch: Path) -> tuple[subprocess.Popen[str], int, str, str]:
    """Start a run with lagging probes in the background; return once a first test has passed.

    Gives the run, its Unleash pid and URL, and the output read so far.
    """
    run = subprocess.Popen(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", MID_RUN],
        cwd=ROOT, env=own_sandbox_env(scratch, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint,
    )  # fmt: skip
    pid, url = wait_for_sandbox(scratch)
    assert run.stdout is not None
    seen = ""
    while not seen.endswith(".") and run.poll() is None:  # a first test has passed: mid-run
        seen += run.stdout.read(1)
    return run, pid, url, seen


def test_unleash_killed_in_the_middle_of_the_run(scratch: Path) -> None:
    run, pid, _, seen = run_until_first_pass(scratch)
    try:
        os.kill(pid, signal.SIGKILL)
        rest, _ = run.communicate(timeout=90)
    finally:
        run.kill()
    output = seen + rest
    assert run.returncode == 3, output[-3000:]
    assert output.count("stopped answering during") == 1, output[-3000:]
    kept = scratch / "last-failure"  # its logs outlive the run's folder, and the message says where
    assert output.count(f"Its logs: {kept}.") == 1, output[-3000:]
    assert (kept / "unleash.log").is_file() and (kept / "postgres.log").is_file()
    assert "left behind" not in output, output[-3000:]  # named in the message: not a leftover
    assert_nothing_left(scratch)


def test_ctrl_c_in_the_middle_of_the_run(scratch: Path) -> None:
    run, _, url, seen = run_until_first_pass(scratch)
    began = time.monotonic()
    run.send_signal(signal.SIGINT)
    try:
        rest, _ = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGUSR1)  # the stacks of a run that does not stop
        try:
            rest, _ = run.communicate(timeout=2)  # read them while it writes them
        except subprocess.TimeoutExpired:
            run.kill()
            rest, _ = run.communicate()
        raise AssertionError(
            f"the run did not stop within 60 s of Ctrl-C:\n{(seen + rest)[-6000:]}"
        ) from None
    seconds = time.monotonic() - began
    output = seen + rest
    assert run.returncode == 2, output[-8000:]  # all of the end: what stopped it otherwise
    assert output.count("Interrupted: Ctrl-C, stopping the sandbox and removing its files") == 1, (
        output[-3000:]
    )
    assert "Traceback" not in output, output[-3000:]
    print(f"the run stopped {seconds:.1f} s after Ctrl-C")  # a number, not a timed assertion:
    # that it stops at all, without a hang, is the 60 s deadline above
    assert_nothing_left(scratch)
    assert not healthy(url)
