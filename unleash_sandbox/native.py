"""The native sandbox: PostgreSQL from the system's binaries and Unleash from npm, on Node from npm.

Nothing here needs Docker. Every sandbox's database starts as a copy of a template: a data dir on
which the installed Unleash has run its migrations once, with a reader's settings and before any
token existed (built once per Unleash install, PostgreSQL and user; kept in the project cache).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from . import database
from ._util import SandboxError, free_port, healthy
from .installs import cache_dir, failure_log_dir, install, node, put_in_place
from .processes import spawn, stop_process, wait_until_ready

START_DEADLINE_S = float(os.environ.get("UNLEASH_SANDBOX_START_TIMEOUT", "90"))


def reader_env(database_url: str, port: int, home: Path) -> dict[str, str]:
    """What a reader's own server runs with: the official image's settings (`NODE_ENV`), a
    database, a port; nothing is inherited but PATH. Two settings are forced by this machine, not
    chosen: it may not phone home, and it must not listen beyond loopback (as compose.yaml
    publishes the port on loopback only)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TZ": "UTC",
        "NODE_ENV": "production",  # as the official image sets it
        "DATABASE_URL": database_url,
        "DATABASE_SSL": "false",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "SEND_TELEMETRY": "false",  # no phoning home
        "CHECK_VERSION": "false",
    }


def sandbox_additions(url: str, tokens: dict[str, str], login: tuple[str, str]) -> dict[str, str]:
    """What a sandbox adds to a reader's settings, each for a reason of its own
    (tests/test_sandbox_settings.py lists what each changes of the pages' claims)."""
    return {
        "UNLEASH_URL": url,  # the address the admin UI shows under API URLs
        "LOG_LEVEL": "warn",  # a quiet log: only what went wrong
        "GRACEFUL_SHUTDOWN_TIMEOUT": "0",  # a throwaway server stops at once
        "INIT_ADMIN_API_TOKENS": tokens["admin"],  # tokens known before the server starts
        "INIT_BACKEND_API_TOKENS": tokens["backend"],
        "INIT_FRONTEND_API_TOKENS": tokens["frontend"],
        "UNLEASH_DEFAULT_ADMIN_USERNAME": login[0],  # the defaults, written out
        "UNLEASH_DEFAULT_ADMIN_PASSWORD": login[1],
        # The tests log in and create users far more often than people do.
        "SIMPLE_LOGIN_LIMIT_PER_MINUTE": "1000",
        "CREATE_USER_RATE_LIMIT_PER_MINUTE": "1000",
        "MAX_PARALLEL_SESSIONS": "1000",  # a sandbox's admin logs in from many browsers
    }


def unleash_env(
    database_url: str, url: str, tokens: dict[str, str], login: tuple[str, str], home: Path
) -> dict[str, str]:
    """The whole environment a sandbox's Unleash runs with: a reader's settings and its own."""
    port = int(url.rsplit(":", 1)[1])
    return {**reader_env(database_url, port, home), **sandbox_additions(url, tokens, login)}


def start_unleash(
    url: str, node_modules: Path, env: dict[str, str], log: Path, stack: ExitStack
) -> subprocess.Popen[bytes]:
    """Run the installed Unleash on its Node (stopped by `stack`); return once /health answers."""
    server = node_modules / "unleash-server" / "dist" / "server.js"
    process = spawn([str(node(node_modules)), str(server)], log, env, None)
    stack.callback(stop_process, process, (signal.SIGTERM, signal.SIGKILL))
    wait_until_ready("Unleash", process, log, lambda: healthy(url, timeout=1.0), START_DEADLINE_S)
    return process


def _user() -> str | None:
    return "nobody" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root


def _workdir(prefix: str, user: str | None, parent: Path | None = None) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    if user is not None:
        os.chown(tmp, pwd.getpwnam(user).pw_uid, -1)
    return tmp


def template(node_modules: Path) -> Path:
    """The migrated data dir every sandbox's database is copied from (built on first use).

    Unleash ran on it once with a reader's settings only: its migrations, its default admin
    user, and no token (start-up tokens are created only while a server has none).
    """
    pg_bin, user = database.postgres_bin_dir(), _user()
    ident = f"{node_modules.resolve()}|{pg_bin.resolve()}|{user}|{os.geteuid()}"
    target = cache_dir() / "templates" / hashlib.sha256(ident.encode()).hexdigest()[:16]
    if (target / ".complete").exists():
        (target / ".complete").touch()
        return target / "pgdata"
    target.parent.mkdir(parents=True, exist_ok=True)
    _prune_templates(target.parent)
    work = _workdir("unleash-template-", user)  # in TMPDIR: PostgreSQL's user may not enter ~
    stage = Path(tempfile.mkdtemp(prefix=".template-", dir=target.parent))
    try:
        with ExitStack() as stack:
            database.initdb(pg_bin, work / "pgdata", work / "postgres.log", user)
            db_url = database.start(pg_bin, work / "pgdata", work / "postgres.log", user, stack,
                                    START_DEADLINE_S, stop_with=signal.SIGINT)  # fmt: skip
            url = f"http://127.0.0.1:{free_port()}"
            env = reader_env(db_url, int(url.rsplit(":", 1)[1]), work)
            try:
                start_unleash(url, node_modules, env, work / "unleash.log", stack)
            except SandboxError as error:
                keep = keep_logs([work / "postgres.log", work / "unleash.log"])
                raise SandboxError(f"{error}\nFull logs: {keep}") from None
        database.copy(work / "pgdata", stage / "pgdata")  # stopped cleanly (SIGINT): consistent
        (stage / "install").write_text(f"{node_modules}\n")
        put_in_place(stage, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)
    return target / "pgdata"


def _prune_templates(folder: Path) -> None:
    """Templates of installs that are gone (pruned or cleaned) go with them."""
    for old in folder.iterdir():
        install_file = old / "install"
        if install_file.exists() and not Path(install_file.read_text().strip()).exists():
            shutil.rmtree(old, ignore_errors=True)


def log_files(pid: int) -> list[Path]:
    """The logs of the running native sandbox whose Unleash is `pid` (its folder is the
    process's working directory): [unleash.log, postgres.log]; [] once it is gone."""
    try:
        folder = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return []
    return [folder / "unleash.log", folder / "postgres.log"]


def keep_logs(logs: list[Path]) -> Path:
    """Copy `logs` into the failure-log folder (replacing its last contents); return that folder."""
    keep = failure_log_dir()
    shutil.rmtree(keep, ignore_errors=True)
    keep.mkdir(parents=True, exist_ok=True)
    for log in logs:
        if log.exists():
            shutil.copy(log, keep / log.name)
    return keep


@contextmanager
def run(
    *,
    port: int | None,
    tokens: dict[str, str],
    login: tuple[str, str],
    extra_env: dict[str, str] | None = None,
    readers: bool = False,
    from_template: bool = True,
) -> Iterator[tuple[str, int, str]]:
    """Start PostgreSQL and Unleash; yield (base URL, Unleash PID, database URL); stop both and
    clean up on exit. `extra_env` adds to Unleash's environment; a key set to "" is left out.
    `readers`: Unleash runs with a reader's settings only (`reader_env`): no tokens, the
    default admin login, and none of the sandbox's additions. `from_template=False`: a new
    database from initdb, as a reader's first start has (slower: Unleash migrates it)."""
    pg_bin = database.postgres_bin_dir()
    node_modules = install() / "node_modules"
    user = _user()
    tmp = _workdir("unleash-sandbox-", user)
    logs = [tmp / "postgres.log", tmp / "unleash.log"]
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        try:
            if from_template:
                database.copy(template(node_modules), tmp / "pgdata")
            else:
                database.initdb(pg_bin, tmp / "pgdata", logs[0], user)
            database_url = database.start(pg_bin, tmp / "pgdata", logs[0], user, stack,
                                          START_DEADLINE_S)  # fmt: skip
            url = f"http://127.0.0.1:{port if port is not None else free_port()}"
            env = (
                reader_env(database_url, int(url.rsplit(":", 1)[1]), tmp)
                if readers
                else unleash_env(database_url, url, tokens, login, tmp)
            )
            process = start_unleash(url, node_modules, _with(env, extra_env), logs[1], stack)
        except SandboxError as error:
            keep = keep_logs(logs)
            raise SandboxError(f"{error}\nFull logs: {keep}") from None
        yield url, process.pid, database_url


def _with(env: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    merged = {**env, **(extra or {})}
    return {key: value for key, value in merged.items() if value != ""}


@contextmanager
def another_unleash(
    database_url: str,
    tokens: dict[str, str],
    login: tuple[str, str],
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A second Unleash on the database of a running sandbox (as in a setup with several
    instances); yield its base URL; stop it on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="unleash-instance-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        url = f"http://127.0.0.1:{free_port()}"
        env = _with(unleash_env(database_url, url, tokens, login, tmp), extra_env)
        try:
            start_unleash(url, install() / "node_modules", env, tmp / "unleash.log", stack)
        except SandboxError as error:
            raise SandboxError(f"{error}\nFull logs: {keep_logs([tmp / 'unleash.log'])}") from None
        yield url
