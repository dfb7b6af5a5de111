"""The sandbox's faults: each ends in one clear message and a non-zero exit, with nothing left behind.

And two faults of the tests' own: a flag deleted while Unleash still writes its lifecycle stage
brings the server down on any server (tests/unleash_api.delete_flags waits for that stage), and
a call from a background thread that reads the proxy variables can break while pytest changes
the environment (tests/unleash_api.call reads none for a server on loopback).
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import unleash_api
import unleash_sandbox
from blocks import ROOT
from harness.samples import PYTHON
from harness.scratch import (
    assert_nothing_left,
    assert_one_clear_error,
    busy_port,
    cli,
    leftovers,
    own_sandbox_env,
)
from unleash_api import FEATURES, RUN, call
from unleash_sandbox import Sandbox, SandboxError
from unleash_sandbox._util import free_port, healthy

pytestmark = pytest.mark.timeout(120)


def test_existing_server_unreachable(scratch: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli(["up"], scratch, UNLEASH_URL=url, UNLEASH_ADMIN_TOKEN="*:*.placeholder")
    assert_one_clear_error(result, f"UNLEASH_URL={url} does not answer", "unset UNLEASH_URL")


def test_existing_server_rejects_admin_token(unleash: Sandbox, scratch: Path) -> None:
    result = cli(["up"], scratch, UNLEASH_URL=unleash.url, UNLEASH_ADMIN_TOKEN="*:*.not-a-token")
    assert_one_clear_error(result, "rejected the token in UNLEASH_ADMIN_TOKEN", "HTTP 401")


def test_port_busy(scratch: Path) -> None:
    with busy_port() as port:
        result = cli(["up", "--port", str(port)], scratch)
    assert_one_clear_error(result, f"Port {port} on 127.0.0.1 is already in use", "--port")
    assert leftovers(scratch) == []


def test_postgres_binaries_missing(scratch: Path) -> None:
    result = cli(["up"], scratch, UNLEASH_SANDBOX_PG_BIN=str(scratch / "nowhere"))
    assert_one_clear_error(
        result,
        "PostgreSQL server binaries (initdb, postgres) not found",
        "apt-get install postgresql",
    )
    assert leftovers(scratch) == []


def test_unleash_exits_during_startup(scratch: Path) -> None:
    # An unparsable DATABASE_SSL makes Unleash throw while it reads its configuration.
    with pytest.raises(SandboxError) as caught:
        with unleash_sandbox.start(extra_env={"DATABASE_SSL": "{not json"}):
            pytest.fail("the sandbox should not have started")
    message = str(caught.value)
    assert "Unleash exited during start-up" in message
    assert "JSON" in message  # the log's last lines name the cause
    kept = Path(message.rsplit("Full logs: ", 1)[1].strip())
    assert (kept / "unleash.log").is_file()
    assert leftovers(scratch) == []


@pytest.mark.claim("get-started.md", "It starts Unleash on `http://127.0.0.1:4242` (and this site on port 8000), and stops both on Ctrl-C.")  # fmt: skip
def test_ctrl_c_stops_everything(scratch: Path) -> None:
    proc = subprocess.Popen(
        [PYTHON, "-m", "unleash_sandbox", "up"],
        cwd=ROOT,
        env=own_sandbox_env(scratch),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # started as `... &` from a script is: with SIGINT ignored. Ctrl-C must still work.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the sandbox is up (or the command failed)
        assert "sandbox (native) is up" in first, first + proc.stderr.read()
        url = proc.stdout.readline().split()[-1]
        assert healthy(url)
        assert any("pid" in found for found in leftovers(scratch))  # the check below can see it
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert_nothing_left(scratch)
    assert not healthy(url)


STAND_IN = "import tempfile; tempfile.mkdtemp(); print('made a temp dir', flush=True); input()"


def test_sigterm_to_the_terminal_leaves_no_temp_files(scratch: Path) -> None:
    """`up -- CMD` (as make serve runs mkdocs serve): a SIGTERM to the whole process group (a
    closed terminal) stops CMD before it can remove its temp files; `up` removes them."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "unleash_sandbox", "up", "--", PYTHON, "-c", STAND_IN],
        cwd=ROOT, env=own_sandbox_env(scratch), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(10)]  # the sandbox's 9, the command's
        assert lines[-1].strip() == "made a temp dir", "".join(lines)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert_nothing_left(scratch)


def test_a_flag_is_deleted_only_once_unleash_wrote_its_archived_stage(
    unleash: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """unleash_api.delete_flags: by the time it deletes a flag from the archive, Unleash has
    written the flag's `archived` stage (a write that, racing the deletion, brings the server
    down); afterwards the flag is gone, archive included, and the server still answers."""
    name = f"{RUN}-deleted"
    call(unleash, "POST", FEATURES, unleash.admin_token, json={"name": name}).raise_for_status()
    stages_at_deletion = []

    def noting(server: Sandbox, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "DELETE" and path == f"/api/admin/archive/{name}":
            lifecycle = call(server, "GET", f"{FEATURES}/{name}/lifecycle", server.admin_token)
            stages_at_deletion.append([s["stage"] for s in lifecycle.json()])
        return call(server, method, path, *args, **kwargs)

    monkeypatch.setattr(unleash_api, "call", noting)
    unleash_api.delete_flags(unleash, [name])
    assert stages_at_deletion == [["initial", "archived"]]
    found = call(unleash, "GET", f"/api/admin/search/features?query={name}&archived=IS:true",
                 unleash.admin_token).json()["features"]  # fmt: skip
    assert found == [] and healthy(unleash.url)


def test_a_call_to_a_loopback_server_reads_no_proxy_variable(unleash: Sandbox) -> None:
    """Reading them iterates os.environ, which raised `KeyError: 'PYTEST_CURRENT_TEST'` in a
    background wait once (pytest sets and removes that variable around every test). A proxy
    that nothing answers shows whether they were read: set in a process of its own, so that this
    worker's background threads, whose commands inherit its environment, never see it."""
    if urlsplit(unleash.url).hostname not in unleash_api.LOOPBACK:
        pytest.skip("a server beyond loopback may need the proxy: its calls read the variables")
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    code = ("import sys; from unleash_api import call; from unleash_sandbox import Sandbox; "
            f"print(call(Sandbox({unleash.url!r}, '', '', '', 'existing'), 'GET', '/health')"
            ".status_code)")  # fmt: skip
    done = subprocess.run([PYTHON, "-c", code], cwd=ROOT / "tests", capture_output=True, text=True,
                          env={**env, "HTTP_PROXY": f"http://127.0.0.1:{free_port()}",
                               "PYTHONPATH": str(ROOT)}, timeout=30)  # fmt: skip
    assert done.stdout.strip() == "200", done.stderr[-2000:]
