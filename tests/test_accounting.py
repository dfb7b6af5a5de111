"""Every fenced block on the site either runs in a named test or says why it does not."""

from __future__ import annotations

import importlib

import pytest

from blocks import site_blocks

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)


@pytest.mark.claim("index.md", 'Every code sample on this site is run against a live Unleash {{ unleash_version }} server before the site is published, and every statement about how the server behaves is checked by a test.')  # fmt: skip
def test_every_block_has_a_runner_or_a_reason() -> None:
    problems = []
    for block in site_blocks():
        if block.skip_reason:
            continue
        if block.runner is None:
            problems.append(f"{block.key} ({block.lang or 'no language'}): no runner, no reason")
            continue
        path, name = block.runner.split("::")
        module = importlib.import_module(path.removeprefix("tests/").removesuffix(".py"))
        if not hasattr(module, name.split("[")[0]):
            problems.append(f"{block.key}: its runner {block.runner} does not exist")
    assert not problems, "\n".join(problems)
