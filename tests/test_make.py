"""The contributor's make targets: `make serve` with busy ports, and `make clean`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from blocks import ROOT
from harness.scratch import busy_port, own_sandbox_env
from unleash_sandbox import Sandbox
from unleash_sandbox._util import free_port


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
        "./tests/__pycache__": project / "tests" / "__pycache__" / "x.pyc",
    }
    for file in made.values():
        file.parent.mkdir(parents=True)
        file.write_bytes(b"x" * (3_000_000 if file.suffix != ".pyc" else 1_000))
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


def make_check(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make check ARGS` as a contributor runs it, in a shell of their own with TMPDIR=`tmp`."""
    return subprocess.run(
        ["make", "--no-print-directory", "check", *args],
        cwd=ROOT, env=own_sandbox_env(tmp), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


ROTATION_PAGE = "docs/how-to/how-to-rotate-an-api-token.md"


def test_check_runs_one_pages_checks_and_names_what_it_leaves_out(unleash: Sandbox) -> None:
    """Against a running sandbox of ours (the session's, as `make serve`'s): the page's tests
    pass, and the one that waits for the token cache is named, with its claim, as left out."""
    if unleash.mode == "existing":
        pytest.skip("the page check attaches to a sandbox of ours: its tokens and login")
    port = urlsplit(unleash.url).port
    # A TMPDIR as short as a contributor's: under `scratch`, the run's own folder is three levels
    # deep, and the socket path of Chromium's profile would pass the 107 characters Linux allows.
    short = Path(tempfile.mkdtemp(prefix="check-", dir="/tmp"))
    try:
        result = make_check(short, f"PAGE={ROTATION_PAGE}", f"UNLEASH_PORT={port}")
        left = list(short.iterdir())
    finally:
        shutil.rmtree(short)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert left == [], output[-3000:]
    assert re.fullmatch(r"\d+ passed in [\d.]+s( \(.*\))?", output.splitlines()[-1]), output[-3000:]
    left_out = output.split("left out of this check (make test runs them)")[1]
    assert "test_claims_rotate.py::test_delete_old__old_secret_accepted_for_a_while_then_refused: waits for the server's cache" in left_out, left_out  # fmt: skip
    assert '    claim: "' in left_out, left_out
    assert "Traceback" not in output


def test_check_without_a_sandbox_or_a_page_says_what_to_do(scratch: Path) -> None:
    nothing = free_port()  # where no sandbox runs
    result = make_check(scratch, f"PAGE={ROTATION_PAGE}", f"UNLEASH_PORT={nothing}")
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "check] Error 3" in result.stderr, output[-3000:]  # make: 2
    assert output.count(f"The sandbox of `make serve` at http://127.0.0.1:{nothing}") == 1, output
    assert "Start `make serve` in another shell first" in output and "Traceback" not in output
    no_page = make_check(scratch)
    assert no_page.returncode == 2
    assert "Name the page: make check PAGE=docs/" in no_page.stdout + no_page.stderr
    wrong = make_check(scratch, "PAGE=docs/no-such-page.md")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr, wrong.stderr
    assert "check] Error 4" in wrong.stderr, wrong.stderr  # pytest's usage error
    assert "PAGE=docs/no-such-page.md is not a page of the site" in wrong.stderr, wrong.stderr
    assert f"  {ROTATION_PAGE}\n" in wrong.stderr, wrong.stderr  # the pages it could be
