"""Running sample files as a reader runs them: their own interpreter, environment and folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blocks import EXAMPLES, ROOT
from unleash_sandbox import installs

PYTHON = sys.executable


def run_sample(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run a sample as a reader would; fail with its output if it does not exit 0; return stdout."""
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture
def reader_env(sample_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The samples' variables, with a fresh HOME and TMPDIR for whatever the SDKs cache."""
    return in_folder(sample_env, tmp_path)


def in_folder(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` with a fresh HOME and TMPDIR under `folder` (made here)."""
    for name in ("home", "tmp"):
        (folder / name).mkdir()
    return {**env, "HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp")}


def run_node(sample: str, env: dict[str, str], tmp_path: Path) -> str:
    """Run a Node sample as `node sample.mjs` next to an npm-installed node_modules."""
    installed = installs.install() / "node_modules"
    workdir = tmp_path / "node-app"
    workdir.mkdir()
    shutil.copy(EXAMPLES / sample, workdir / sample)
    (workdir / "node_modules").symlink_to(installed)
    node = str(installs.node(installed))
    return run_sample([node, str(workdir / sample)], env)
