"""The contributor's make targets: `make serve` with busy ports, and `make clean`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from blocks import ROOT
from harness.scratch import busy_port


@pytest.fixture
def busy_ports() -> Iterator[tuple[int, int]]:
    """Two ports on 127.0.0.1 that something listens on."""
    with busy_port() as first, busy_port() as second:
        yield first, second


def test_serve_names_each_busy_port_before_starting_anything(busy_ports: tuple[int, int]) -> None:
    unleash_port, site_port = busy_ports
    result = subprocess.run(
        ["make", "--no-print-directory", "serve",
         f"UNLEASH_PORT={unleash_port}", f"SITE_PORT={site_port}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("unleash_sandbox:")]
    assert len(errors) == 2, result.stderr
    for (name, port), line in zip(
        (("UNLEASH_PORT", unleash_port), ("SITE_PORT", site_port)), errors, strict=True
    ):
        assert f"Port {port} on 127.0.0.1 is already in use" in line, line
        assert f"make serve {name}=" in line, line
    assert "is up" not in result.stdout and "Traceback" not in result.stderr


def test_clean_removes_what_the_project_installed(tmp_path: Path) -> None:
    """In a copy of the project with a stand-in install and cache: each is removed and reported."""
    project, cache = tmp_path / "project", tmp_path / "cache"
    (project / "scripts").mkdir(parents=True)
    for name in ("Makefile", "uv.lock", "scripts/clean.sh"):
        shutil.copy(ROOT / name, project / name)
    made = {
        ".venv": project / ".venv" / "lib" / "site.py",
        "site": project / "site" / "index.html",
        str(cache): cache / "npm-0123456789abcdef" / "node_modules" / "x.js",
    }
    for file in made.values():
        file.parent.mkdir(parents=True)
        file.write_bytes(b"x" * 3_000_000)
    keep = project / "docs" / "index.md"
    keep.parent.mkdir()
    keep.write_text("# kept\n")
    result = subprocess.run(
        ["make", "--no-print-directory", "clean", f"UNLEASH_SANDBOX_CACHE={cache}"],
        cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in made:
        assert not Path(project / name).exists(), name
        assert any(line.startswith(f"removed {name}") for line in result.stdout.splitlines())
    assert keep.exists()
    assert result.stdout.splitlines()[-1] == "make clean: freed 8 MB"
