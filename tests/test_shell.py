"""Every shell block in a page runs with bash against the live server.

A block must exit 0 (bash -euo pipefail, so a failing `curl --fail-with-body` or pipe fails it).
When the page shows the output to expect (`<!--pytest-codeblocks:expected-output-->` and a block
after it), the block's output must match it, where `<...>` in the expected output stands for a
value that differs on every run (a secret, a time) and matches any text on one line.

On a page whose steps build on each other (it has a "**Before you start**" paragraph), a block
runs after the blocks a reader has run before it (blocks.prerequisites), in the same folder and
the same terminal (harness.demo.Shell: what a block exports stays set, and a `'<...>'` the reader
fills in gets the secret they copied last); only its own output is compared.

Tokens a block creates (by a name its code, or its prerequisites' code, mentions) are deleted
afterwards.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest

from blocks import Block, blocks_run_by, expected_pattern, prerequisites
from harness.demo import Shell
from unleash_api import tokens_named_in
from unleash_sandbox import Sandbox
from unleash_sandbox.installs import shared_lock
from unleash_sandbox.planted import PAGE_TOKEN_NAME
from version_notes import shown_for


@pytest.mark.parametrize(
    "block", blocks_run_by("tests/test_shell.py::test_shell_block"), ids=lambda b: b.key
)
@pytest.mark.claim("how-to/how-to-create-api-tokens.md", "The server answers `201 Created` with the new token (your secret and time differ; [Unleash 7](../reference/api-tokens-and-client-keys.md#unleash-7) leaves out `secure`):")  # fmt: skip
@pytest.mark.claim("reference/api-tokens-and-client-keys.md", "| the `secure` field of a token | `false` | left out |")  # fmt: skip
def test_shell_block(
    block: Block, unleash: Sandbox, demo_flag: str, sample_env: dict[str, str], tmp_path: Path
) -> None:
    earlier = prerequisites(block)  # a folder of its own, as a reader's: nothing in the clone
    code = "\n".join(b.code for b in [*earlier, block])
    turn = shared_lock(PAGE_TOKEN_NAME) if PAGE_TOKEN_NAME in code else nullcontext()
    shell = Shell(dict(sample_env), tmp_path)  # the reader's terminal: exports carry over
    with turn, tokens_named_in(unleash, code):  # runs sharing a server take turns with the name
        for before in earlier:
            done = shell.run(before)
            assert done.returncode == 0, f"{before.key}, run before {block.key}: {done.stderr}"
        result = shell.run(block)
    assert result.returncode == 0, (
        f"{block.key} exited {result.returncode}\n{block.code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    if block.expected_output is not None:
        pattern = expected_pattern(shown_for(unleash, block.expected_output))
        assert pattern.fullmatch(result.stdout.strip()), (
            f"{block.key}: the output differs from what the page shows.\n"
            f"page:\n{block.expected_output}\nactual:\n{result.stdout}"
        )
