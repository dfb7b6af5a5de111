"""Every shell block in a page runs with bash against the live server.

A block must exit 0 (bash -euo pipefail, so a failing curl -f or a pipe fails it). When the page
shows the output to expect (`<!--pytest-codeblocks:expected-output-->` and a block after it),
the block's output must equal it.
"""

from __future__ import annotations

import subprocess

import pytest
from blocks import ROOT, SHELL, Block, blocks_for


@pytest.mark.parametrize("block", blocks_for(SHELL), ids=lambda b: b.key)
def test_shell_block(block: Block, sample_env: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=ROOT,
        env=sample_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, (
        f"{block.key} exited {result.returncode}\n{block.code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    if block.expected_output is not None:
        assert result.stdout.strip() == block.expected_output.strip()
