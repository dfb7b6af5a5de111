"""The reader's side: a fresh server, and an environment made only from what the pages say.

The way-in page (get-started.md) names the tools a reader needs ("**You need** ..."), the
variables to export and the install lines. The reader's PATH holds those tools and a shell's
everyday commands, nothing else; the install blocks run in a folder of their own, cached under
the project cache by the hash of their text (a warm run installs nothing).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests

from blocks import DOCS, WAY_IN, Block, site_blocks
from harness.demo import Shell, run_bash
from harness.run import stop_run
from harness.server import personal_access_token
from unleash_api import call, create_token
from unleash_sandbox import Sandbox, SandboxError, installs, native
from unleash_sandbox.database import psql

# A shell's everyday commands: no page needs to name them.
BASICS = ("basename", "cat", "cp", "dirname", "echo", "env", "grep", "head", "ls", "mkdir",
          "mktemp", "mv", "printf", "readlink", "rm", "sed", "seq", "sh", "sleep", "sort", "tail",
          "tee", "test", "tr", "true", "false", "uname", "wc")  # fmt: skip
INSTALL = re.compile(r"^\s*(?:pip install |npm install |npm init|python3 -m venv |\. \S+activate)")


def way_in_text() -> str:
    return (DOCS / WAY_IN).read_text()


def named_tools() -> list[str]:
    """The tools the way-in page's "You need" sentence names, as code spans."""
    found = re.search(r"\*\*You need\*\*(.+?)\.\n\n", way_in_text(), re.S)
    assert found, f"{WAY_IN} has no '**You need**' sentence naming the tools"
    return re.findall(r"`([\w.-]+)`", found[1])


def node_major() -> int:
    """The Node the pages name: 'Node NN or newer' (the reader path runs the oldest one named)."""
    found = re.search(r"Node (\d+) or newer", way_in_text())
    assert found, f"{WAY_IN} does not say which Node the samples need"
    return int(found[1])


def tool(name: str) -> str:
    """Where the reader's `name` comes from: the pinned Node the page names, this run's Python."""
    if name == "node":
        node = installs.install() / "node_modules" / f"node-{node_major()}" / "bin" / "node"
        assert node.is_file(), f"package.json pins no node-{node_major()}: the Node the page names"
        return str(node)
    if name == "python3":
        return str(Path(sys.base_exec_prefix) / "bin" / "python3")
    found = shutil.which(name)
    assert found, f"the pages name `{name}`, which this machine lacks (make test installs it)"
    return found


def tools_folder(folder: Path) -> Path:
    """A bin folder with the named tools and the everyday commands, as the reader's PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in [*BASICS, *named_tools()]:
        (folder / name).symlink_to(tool(name))
    return folder


# Unleash's own first admin user, on a server started without UNLEASH_DEFAULT_ADMIN_* (what a
# reader's new server has until they change its password).
DEFAULT_LOGIN = ("admin", "unleash4all")


@dataclass(frozen=True)
class ReadersServer:
    """A server with a reader's settings, and what it held when the reader first looked."""

    sandbox: Sandbox
    tokens_at_start: list[dict[str, object]]  # the API tokens it listed before the reader's own
    rows_at_start: dict[str, int]  # the rows of each table of its database, before anybody came


def table_rows(database_url: str) -> dict[str, int]:
    """How many rows each table of an Unleash database holds."""
    tables = psql(database_url, "select tablename from pg_tables where schemaname = 'public'")
    counts = " union all ".join(f"select '{t}', count(*) from \"{t}\"" for t in tables.split())
    return {
        name: int(n) for name, n in (line.split("|") for line in psql(database_url, counts).split())
    }


@contextmanager
def readers_server() -> Iterator[ReadersServer]:
    """A new server as a reader has one: a reader's settings (`native.reader_env`: no tokens,
    Unleash's default admin login, none of the sandbox's additions), and the tokens Get started
    asks for, made as the how-tos make them: a personal access token of that admin, then a
    backend and a front-end token for `development`."""
    with native.run(port=None, tokens={}, login=DEFAULT_LOGIN, readers=True) as (url, pid, db):
        server = Sandbox(url, "", "", "", "native", DEFAULT_LOGIN, pid, db)
        rows = table_rows(db)
        session = requests.Session()
        username, password = DEFAULT_LOGIN
        login = call(server, "POST", "/auth/simple/login", session=session,
                     json={"username": username, "password": password})  # fmt: skip
        assert login.status_code == 200, f"the default admin login failed: {login.text}"
        admin = personal_access_token(server, session)
        at_start = call(server, "GET", "/api/admin/api-tokens", admin).json()["tokens"]
        server = replace(server, admin_token=admin)
        made = {kind: create_token(server, name=f"reader-{kind}", type=kind,
                                   environment="development")["secret"]
                for kind in ("backend", "frontend")}  # fmt: skip
        sandbox = replace(server, backend_token=made["backend"], frontend_token=made["frontend"])
        yield ReadersServer(sandbox, at_start, rows)


@pytest.fixture(scope="session")
def readers(request: pytest.FixtureRequest) -> Iterator[ReadersServer]:
    """The session's server with a reader's settings (the reader path runs on it)."""
    try:
        with readers_server() as server:
            yield server
    except SandboxError as error:
        stop_run(request.session, f"No server with a reader's settings: {error}", 3)


def install_blocks() -> list[Block]:
    return [b for b in site_blocks() if b.page == WAY_IN and INSTALL.search(b.code)]


NETWORK = re.compile(r"PROXY|CERT|CA_BUNDLE|CAINFO|^SSL_|^PIP_|^npm_config_", re.I)


def machine_env(home: Path) -> dict[str, str]:
    """What the reader's machine has whatever the pages say: its network settings (proxies,
    certificates, package indexes, from the environment and from pip's and npm's own config
    files), a home folder, a locale; and what only the tests add: downloads kept in the project
    cache."""
    env = {k: v for k, v in os.environ.items() if NETWORK.search(k)}
    for variable, config in (("PIP_CONFIG_FILE", Path.home() / ".config" / "pip" / "pip.conf"),
                             ("npm_config_userconfig", Path.home() / ".npmrc")):  # fmt: skip
        if config.is_file():
            env.setdefault(variable, str(config))
    cache = installs.cache_dir()
    return {**env, "HOME": str(home), "LANG": "C.UTF-8",
            "PIP_CACHE_DIR": str(cache / "pip-cache"), "npm_config_cache": str(cache / "npm-cache"),
            "npm_config_update_notifier": "false", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip


def installed(home: Path) -> Path:
    """The install blocks, run as a reader runs them, once per text of those blocks.

    The folder also holds the reader's tools (`tools/`): the venv refers to the `python3` it
    was made with by its path, so that path must last as long as the venv.
    """
    blocks = install_blocks()
    assert blocks, f"{WAY_IN} has no install blocks"
    text = "\n".join(b.code for b in blocks) + tool("node") + sys.version
    target = installs.cache_dir() / f"reader-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    with installs.shared_lock(target.name):  # another run may be installing the same
        if (target / ".complete").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)  # the venv's paths are absolute: no rename
        tools = tools_folder(target / "tools")
        env = {"PATH": str(tools), **machine_env(home)}
        for block in blocks:
            done = run_bash(block, env, target, timeout=600)
            assert done.returncode == 0, missing(block, done) or (
                f"{block.key} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
            )
        (target / ".complete").touch()
    return target


def missing(block: Block, done: subprocess.CompletedProcess[str]) -> str | None:
    """A message naming the command a block needed that the reader does not have."""
    found = re.search(r"(\S+): command not found", done.stderr)
    if not found:
        return None
    return (
        f"{block.key} needs `{found[1]}`, which the pages do not tell the reader to have: name it "
        f"in {WAY_IN}'s 'You need' sentence (or install it there)."
    )


@dataclass
class Reader:
    """A reader's folder, environment (the page's variables, an active venv) and tools; their
    terminal, and the port their web server gets in place of the page's 8080 (a busy machine)."""

    folder: Path
    env: dict[str, str]
    shell: Shell
    port: int


PAGE_PORT = "127.0.0.1:8080"  # the address the pages serve the browser sample on


def reader_folder(folder: Path, install: Path, variables: dict[str, str], port: int) -> Reader:
    """A folder like the reader's after the way-in page: its installs, linked from the cache."""
    folder.mkdir(parents=True)
    for name in (".venv", "node_modules"):
        (folder / name).symlink_to(install / name)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(install / name, folder / name)
    home, tmp = folder.parent / "home", folder.parent / "tmp"
    tmp.mkdir()
    home.mkdir(exist_ok=True)
    venv = folder / ".venv"
    env = {**machine_env(home), "TMPDIR": str(tmp), "VIRTUAL_ENV": str(venv),
           "PATH": f"{venv / 'bin'}:{install / 'tools'}", **variables}  # fmt: skip
    shell = Shell(env, folder, {PAGE_PORT: f"127.0.0.1:{port}"})
    return Reader(folder, env, shell, port)
