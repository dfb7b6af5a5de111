"""Every fenced block on the site either runs in a named test or says why it does not."""

from __future__ import annotations

import pytest
from blocks import site_blocks


def test_every_block_has_a_runner_or_a_reason(request: pytest.FixtureRequest) -> None:
    collected = {item.nodeid for item in request.session.items}
    problems = []
    for block in site_blocks():
        if block.skip_reason:
            continue
        if block.runner is None:
            problems.append(
                f"{block.key} ({block.lang or 'no language'}): no test runs it and no skip reason"
            )
        elif block.runner not in collected:
            problems.append(f"{block.key}: its runner {block.runner} does not exist")
    assert not problems, "\n".join(problems)
