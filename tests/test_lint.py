"""The project's own Python is formatted, linted and type-checked (samples are linted by their tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from blocks import ROOT

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=" ".join,
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize(
    "command",
    [["actionlint"], ["zizmor", "--offline", "--no-progress", ".github/workflows"]],
    ids=lambda c: c[0],
)
def test_github_workflow_is_clean(command: list[str]) -> None:
    """The GitHub workflow cannot run here; it is checked statically (actionlint, zizmor)."""
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_github_workflow_pins_actions_by_commit_and_grants_least(workflow: Path) -> None:
    """Every action is pinned by a full commit SHA and says which tag that is; nothing is granted
    at the top, and no checkout leaves its credentials behind."""
    text = workflow.read_text()
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+(\.\d+)*", comment), f"{action}: say which tag ({comment!r})"
    parsed = yaml.safe_load(text)
    assert parsed["permissions"] == {}
    for job in parsed["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
