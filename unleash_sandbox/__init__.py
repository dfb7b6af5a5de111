"""A throwaway Unleash server for the docs' samples and tests.

    with unleash_sandbox.start() as server:
        print(server.url, server.admin_token)

Where the server comes from, in this order:

1. an existing server: UNLEASH_URL and UNLEASH_ADMIN_TOKEN are set; nothing is started;
2. Docker: `compose.yaml` with the official images, when a Docker engine answers;
3. native: PostgreSQL from the system and Unleash from npm (the default without Docker, and in CI).

UNLEASH_SANDBOX_MODE=native|docker forces 2 or 3; UNLEASH_SANDBOX_PORT fixes the port of 2 or 3.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import native, pins, versions
from ._util import SandboxError, check_port_free, free_port, healthy, http, poll

__all__ = ["Sandbox", "SandboxError", "start", "attach", "SANDBOX_TOKENS", "SANDBOX_LOGIN"]

# The tokens a sandbox starts with. They are sandbox values, valid only on a throwaway local server.
SANDBOX_TOKENS = {
    "admin": "*:*.unleash-sandbox-admin",
    "backend": "default:development.unleash-sandbox-backend",
    "frontend": "default:development.unleash-sandbox-frontend",
}
# The admin UI login of a sandbox. Never use it on a server anyone else can reach.
SANDBOX_LOGIN = ("admin", "unleash4all")


@dataclass(frozen=True)
class Sandbox:
    """A running Unleash server and the credentials to use it."""

    url: str
    admin_token: str
    backend_token: str
    frontend_token: str
    mode: str  # "existing", "docker" or "native"
    login: tuple[str, str] | None = None  # admin UI user and password, when we set them
    pid: int | None = None  # the Unleash process, when we run it natively
    database_url: str | None = None  # its own throwaway database, when we run it natively

    def env(self) -> dict[str, str]:
        """The environment variables the docs' samples read."""
        return {
            "UNLEASH_URL": self.url,
            "UNLEASH_ADMIN_TOKEN": self.admin_token,
            "UNLEASH_BACKEND_TOKEN": self.backend_token,
            "UNLEASH_FRONTEND_TOKEN": self.frontend_token,
        }


@contextmanager
def start(*, port: int | None = None, extra_env: dict[str, str] | None = None) -> Iterator[Sandbox]:
    """Give a running Unleash server for the duration of the `with` block."""
    url = os.environ.get("UNLEASH_URL")
    admin_token = os.environ.get("UNLEASH_ADMIN_TOKEN")
    if url or admin_token:
        if not (url and admin_token):
            raise SandboxError(
                "Set both UNLEASH_URL and UNLEASH_ADMIN_TOKEN to use an existing server, "
                "or neither to start a sandbox."
            )
        with _existing(url.rstrip("/"), admin_token) as server:
            yield server
        return
    change = "--port {port}"
    if port is None and (fixed := os.environ.get("UNLEASH_SANDBOX_PORT")):
        port, change = int(fixed), "UNLEASH_SANDBOX_PORT={port}"
    if port is not None:
        check_port_free(port, change)
    mode = os.environ.get("UNLEASH_SANDBOX_MODE") or ("docker" if _docker_engine() else "native")
    if mode == "docker":
        if versions.requested():
            raise SandboxError(
                "UNLEASH_VERSION / UNLEASH_NPM_OVERRIDES work with the native sandbox only "
                "(compose.yaml runs the pinned image): set UNLEASH_SANDBOX_MODE=native."
            )
        with _docker(port) as url:
            yield _ours(url, "docker", None)
    elif mode == "native":
        with native.run(
            port=port, tokens=SANDBOX_TOKENS, login=SANDBOX_LOGIN, extra_env=extra_env
        ) as (url, pid, database_url):
            yield _ours(url, "native", pid, database_url)
    else:
        raise SandboxError(f"UNLEASH_SANDBOX_MODE={mode!r}: use 'native' or 'docker'.")


def _ours(url: str, mode: str, pid: int | None, database_url: str | None = None) -> Sandbox:
    """A sandbox we started: it has the sandbox tokens and login."""
    tokens = SANDBOX_TOKENS
    return Sandbox(
        url,
        tokens["admin"],
        tokens["backend"],
        tokens["frontend"],
        mode,
        SANDBOX_LOGIN,
        pid,
        database_url,
    )


def _message(body: object) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("details") or body)
    return str(body)[:200]


def _check_existing(url: str, admin_token: str, what: str, start_it: str, token: str) -> None:
    """One readable error when the server at `url` does not answer or refuses `admin_token`."""
    try:
        status, body = http("GET", f"{url}/health", timeout=5)
    except OSError as error:
        reason = getattr(error, "reason", None) or error
        raise SandboxError(f"{what} does not answer ({reason}). {start_it}") from None
    if status != 200:
        raise SandboxError(f"{url}/health answered HTTP {status}: is it an Unleash server?")
    status, body = http("GET", f"{url}/api/admin/api-tokens", admin_token)
    if status != 200:
        raise SandboxError(
            f"{url} rejected the token in {token} (HTTP {status}: {_message(body)}). "
            "Set it to an admin token of that server."
        )


@contextmanager
def attach(url: str) -> Iterator[Sandbox]:
    """The sandbox that `make serve` (`python -m unleash_sandbox up`) runs at `url`: its tokens
    and login are the sandbox's own. Nothing is started or stopped. It counts as a server this
    run did not start (mode "existing"): it may hold what its user made in it."""
    _check_existing(url, SANDBOX_TOKENS["admin"], f"The sandbox of `make serve` at {url}", "Start `make serve` "
                    "in another shell first (or give its port: UNLEASH_PORT=N).",
                    "the sandbox's admin token")  # fmt: skip
    tokens = SANDBOX_TOKENS
    yield Sandbox(url, tokens["admin"], tokens["backend"], tokens["frontend"], "existing",
                  SANDBOX_LOGIN)  # fmt: skip


@contextmanager
def _existing(url: str, admin_token: str) -> Iterator[Sandbox]:
    _check_existing(url, admin_token, f"UNLEASH_URL={url}", "Start that server, or unset "
                    "UNLEASH_URL and UNLEASH_ADMIN_TOKEN to let a sandbox be started.",
                    "UNLEASH_ADMIN_TOKEN")  # fmt: skip
    made: list[str] = []
    tokens = {}
    for kind in ("backend", "frontend"):
        given = os.environ.get(f"UNLEASH_{kind.upper()}_TOKEN")
        if given:
            tokens[kind] = given
            continue
        name = f"docs-sandbox-{kind}-{uuid.uuid4().hex[:8]}"
        status, body = http(
            "POST",
            f"{url}/api/admin/api-tokens",
            admin_token,
            {
                "tokenName": name,
                "type": kind,
                "environment": "development",
                "projects": ["default"],
            },
        )
        if status != 201:
            raise SandboxError(
                f"Could not create a {kind} token on {url} (HTTP {status}: {_message(body)})."
            )
        tokens[kind] = body["secret"]
        made.append(body["secret"])
    try:
        yield Sandbox(url, admin_token, tokens["backend"], tokens["frontend"], mode="existing")
    finally:
        for secret in made:
            http("DELETE", f"{url}/api/admin/api-tokens/{secret}", admin_token)


def _docker_engine() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@contextmanager
def _docker(port: int | None) -> Iterator[str]:
    """`docker compose up` the compose file on a free port; `down -v` afterwards."""
    if port is None:
        port = free_port()
    project = f"unleash-sandbox-{os.getpid()}"
    compose = ["docker", "compose", "-f", str(pins.COMPOSE_FILE), "-p", project]
    env = {**os.environ, "UNLEASH_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    try:
        up = subprocess.run(
            [*compose, "up", "-d"], env=env, capture_output=True, text=True, timeout=600
        )
        if up.returncode != 0:
            raise SandboxError(f"docker compose up failed:\n{up.stderr.strip()[-2000:]}")

        def ready() -> bool | None:
            return True if healthy(url) else None

        def logs() -> str:
            out = subprocess.run([*compose, "logs", "--tail", "15"], capture_output=True, text=True)
            return f" Last lines of the containers' logs:\n{out.stdout}"

        poll(f"Unleash to answer on {url}/health", ready, native.START_DEADLINE_S, on_timeout=logs)
        yield url
    finally:
        subprocess.run([*compose, "down", "-v", "--timeout", "5"], env=env, capture_output=True)
