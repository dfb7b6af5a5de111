"""A run leaves nothing behind: the harness's own check (tests/harness/run.py) fails a run that does.

Every `make test` is checked by that hook at its end. These tests show that the check fails a run
which leaves a temp file, and passes one that does not, in a run of its own under a scratch TMPDIR.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from blocks import ROOT
from harness import run
from harness.reader import NETWORK
from harness.samples import PYTHON
from harness.scratch import leftovers, own_sandbox_env
from unleash_sandbox import installs

LEAVES = """
import pathlib, tempfile

def test_leaves_a_file():
    pathlib.Path(tempfile.gettempdir(), "forgotten.txt").write_text("left here by a test")
"""
TIDY = """
import pathlib, tempfile

def test_cleans_up(tmp_path):
    (tmp_path / "kept-by-pytest.txt").write_text("pytest's own tmp_path is allowed")
    made = pathlib.Path(tempfile.gettempdir(), "removed.txt")
    made.write_text("x")
    made.unlink()
"""


def run_alone(scratch: Path, folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    """pytest with only the harness's session hooks, on one test file, under `scratch`."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_sample.py").write_text(source)
    env = own_sandbox_env(scratch, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "harness.run", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(("source", "code"), [(LEAVES, 1), (TIDY, 0)], ids=["leaves", "tidy"])
def test_a_run_that_leaves_a_temp_file_fails(
    scratch: Path, tmp_path: Path, source: str, code: int
) -> None:
    result = run_alone(scratch, tmp_path, source)
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert ("forgotten.txt" in output) == (code == 1), output
    if code == 1:
        assert "left behind" in output and "1 passed" in output, output  # the test itself passed
    assert leftovers(scratch) == []  # the run's own temp folder is gone either way


def test_package_tools_leave_nothing_in_an_empty_home(tmp_path: Path) -> None:
    """npm, pip and uv, as the project calls them (the version helpers, the drift watch), with
    an empty home: their caches and logs go to the project cache, nothing to `~` (`~/.npm` once
    failed a first run of a new user)."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import sys; sys.path.insert(0, 'scripts')\n"
        "import test_latest\n"
        "from unleash_sandbox import versions\n"
        "print(test_latest.newest_npm(versions.npm_path(), 'unleash-server'))\n"
        "print(test_latest.newest_pypi(test_latest.PYPI_PACKAGE))\n"
    )
    network = {k: v for k, v in os.environ.items() if NETWORK.search(k)}  # proxies, certificates
    env = {**network, "PATH": os.environ["PATH"], "HOME": str(home),
           "UNLEASH_SANDBOX_CACHE": str(installs.cache_dir())}  # fmt: skip
    done = subprocess.run([PYTHON, "-c", script], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.split()) == 2, done.stdout  # two versions: the calls were made
    assert sorted(p.name for p in home.iterdir()) == []


@pytest.mark.serverless  # where the run's folder goes: no server asked
def test_the_run_folder_is_made_in_memory_unless_tmpdir_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert run.run_folder_parent() is None  # TMPDIR's own: as tempfile.mkdtemp reads it
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(run, "IN_MEMORY", tmp_path)
    monkeypatch.setattr(run, "ROOM_NEEDED", 1 << 20)
    assert run.run_folder_parent() == str(tmp_path)
    monkeypatch.setattr(run, "ROOM_NEEDED", 1 << 60)
    assert run.run_folder_parent() is None  # too little room: the system's temp folder
    monkeypatch.setattr(run, "IN_MEMORY", tmp_path / "absent")
    monkeypatch.setattr(run, "ROOM_NEEDED", 0)
    assert run.run_folder_parent() is None
