"""The native sandbox's PostgreSQL: the system's binaries, a throwaway data dir, loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path

from ._util import SandboxError, free_port, log_tail
from .processes import as_user, spawn, stop_process, wait_until_ready


def postgres_bin_dir() -> Path:
    """The folder holding `initdb` and `postgres` (override with UNLEASH_SANDBOX_PG_BIN)."""
    candidates: list[Path]
    if override := os.environ.get("UNLEASH_SANDBOX_PG_BIN"):
        candidates = [Path(override)]
    else:
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
        on_path = shutil.which("initdb")
        candidates = [*versions, *([Path(on_path).parent] if on_path else [])]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    where = os.environ.get("UNLEASH_SANDBOX_PG_BIN") or "/usr/lib/postgresql/*/bin or PATH"
    raise SandboxError(
        f"PostgreSQL server binaries (initdb, postgres) not found in {where}. "
        "Install them (Debian/Ubuntu: apt-get install postgresql) or set UNLEASH_SANDBOX_PG_BIN "
        "to the folder that holds them."
    )


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}


def initdb(bin_dir: Path, data: Path, log: Path, user: str | None) -> None:
    """A new, empty data dir (no fsync: it is thrown away or copied once it is stopped)."""
    args = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions",
            "--wal-segsize=1"]  # a small WAL: the data dir is copied for every sandbox  # fmt: skip
    with log.open("ab") as out:
        done = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, env=_env(),
                              timeout=120, **as_user(user))  # fmt: skip
    if done.returncode != 0:
        raise SandboxError(
            f"initdb failed (exit {done.returncode}). Last lines of {log}:\n{log_tail(log)}"
        )


def copy(source: Path, data: Path) -> None:
    """A copy of a stopped data dir, owners and modes kept (PostgreSQL checks them)."""
    done = subprocess.run(["cp", "-a", str(source), str(data)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SandboxError(f"Could not copy {source} to {data}: {done.stderr.strip()}")


def start(
    bin_dir: Path,
    data: Path,
    log: Path,
    user: str | None,
    stack: ExitStack,
    deadline_s: float,
    stop_with: int = signal.SIGQUIT,
) -> str:
    """Start PostgreSQL on `data`, on a free loopback port (stopped by `stack` with `stop_with`:
    SIGQUIT is quickest, SIGINT leaves a clean data dir); return its URL."""
    port = free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",  # TCP only: a socket path in a deep TMPDIR is too long
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    args = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port)]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    process = spawn(args, log, _env(), user)
    stack.callback(stop_process, process, (stop_with, signal.SIGKILL), 30)

    def accepting() -> bool:  # the last line of postmaster.pid says "ready" once it accepts
        try:
            return (data / "postmaster.pid").read_text().split()[-1] == "ready"
        except (OSError, IndexError):
            return False

    wait_until_ready("PostgreSQL", process, log, accepting, deadline_s)
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def psql(database_url: str, sql: str) -> str:
    """Run SQL on a sandbox's own throwaway database (for what no API offers); return the output."""
    done = subprocess.run(
        [str(postgres_bin_dir() / "psql"), database_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise SandboxError(f"psql failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout
