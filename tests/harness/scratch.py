"""Tests that start sandboxes of their own: a scratch TMPDIR each, and checks that nothing is left."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from blocks import ROOT
from harness.samples import PYTHON
from unleash_api import poll_until
from unleash_sandbox import versions
from unleash_sandbox.processes import default_sigint, env_without


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of the test's own (traversable by the PostgreSQL user), so leftovers can be seen.

    Tests that use it start sandboxes of their own: UNLEASH_URL of the run is hidden from them.
    """
    for key in ("UNLEASH_URL", "UNLEASH_ADMIN_TOKEN", "UNLEASH_SANDBOX_PORT"):
        monkeypatch.delenv(key, raising=False)
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    monkeypatch.setenv("UNLEASH_SANDBOX_FAILURE_LOGS", str(path / "last-failure"))
    yield path
    for own in [*path.glob("pytest-of-*"), *path.glob("last-failure")]:  # expected, removed
        shutil.rmtree(own)
    path.rmdir()  # fails the test if anything else was left inside


def own_sandbox_env(scratch: Path, **extra: str) -> dict[str, str]:
    """The environment of a child that starts a sandbox of its own under `scratch`."""
    same = ("UNLEASH_SANDBOX_CACHE", *versions.VARIABLES)  # the same install, the same server
    clean = env_without("UNLEASH_", "PYTEST_", keep=same)
    logs = str(scratch / "last-failure")
    return {**clean, "TMPDIR": str(scratch), "UNLEASH_SANDBOX_FAILURE_LOGS": logs, **extra}


@contextmanager
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something listens on, while the block runs."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


def cli(args: list[str], scratch: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m unleash_sandbox ARGS` in a child that starts a sandbox of its own."""
    return subprocess.run(
        [PYTHON, "-m", "unleash_sandbox", *args],
        cwd=ROOT,
        env=own_sandbox_env(scratch, **env),
        capture_output=True,
        text=True,
        timeout=90,
    )


def assert_one_clear_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """The command failed with one message (exit 2, no traceback) that says each of `expected`."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("unleash_sandbox: "), result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def assert_nothing_left(scratch: Path) -> None:
    """No process or temp dir of the sandboxes under `scratch` (children exit just after parents)."""
    try:
        poll_until(
            "the sandbox's processes and dirs to go",
            lambda: leftovers(scratch) == [] or None,
            10,
            0.1,
        )
    except AssertionError:
        pass  # the assertion below names what is left
    assert leftovers(scratch) == []


def leftovers(scratch: Path) -> list[str]:
    """Temp dirs and live processes that belong to sandboxes started under `scratch`."""
    found = [
        str(p)
        for p in scratch.iterdir()
        if not p.name.startswith("pytest-of-") and p.name != "last-failure"
    ]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(scratch) in cmdline or cwd.startswith(str(scratch)):
            found.append(f"pid {proc.name}: {cmdline}")
    return found


def listening(pid: int) -> list[tuple[str, int]]:
    """The TCP (v4 and v6) addresses a process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return [(ip, port) for ip, port, inode in listeners(pid) if inode in inodes]


def listeners(pid: int | str = "self") -> list[tuple[str, int, str]]:
    """Every TCP (v4 and v6) socket that listens in a process's network namespace, read from
    /proc/<pid>/net: (address, port, socket inode)."""
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A":  # 0A: LISTEN
                address, port = local.split(":")
                raw = bytes.fromhex(address)
                if table == "tcp":
                    ip = ".".join(str(b) for b in reversed(raw))
                else:
                    words = [raw[i : i + 4][::-1].hex() for i in range(0, 16, 4)]
                    ip = ":".join(words)
                found.append((ip, int(port, 16), inode))
    return found


def child_pytest(
    scratch: Path, *args: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The suite (`args`) in a child pytest that starts a sandbox of its own under `scratch`, as
    `make test` runs it (Ctrl-C reaches it): (what it did, how long it took)."""
    began = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=own_sandbox_env(scratch, **extra),
        preexec_fn=default_sigint,
        capture_output=True,
        text=True,
        timeout=150,
    )
    return result, time.monotonic() - began
