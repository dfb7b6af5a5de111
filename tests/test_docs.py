"""Every Python block written in a page is linted (ruff, black) and run against the live server.

pytest-examples does the work, as in pydantic's docs tests: `#>` lines are the output the block
must print (`pytest tests/test_docs.py --update-examples` rewrites them). Blocks that include a
file from examples/ are run by tests/test_examples.py instead.
"""

from __future__ import annotations

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from blocks import DOCS, Block, blocks_run_by
from unleash_api import tokens_named_in
from unleash_sandbox import Sandbox

EXAMPLES = {(ex.path.relative_to(DOCS), ex.start_line): ex for ex in find_examples(DOCS)}


@pytest.mark.parametrize(
    "block", blocks_run_by("tests/test_docs.py::test_python_block"), ids=lambda b: b.key
)
def test_python_block(
    block: Block,
    eval_example: EvalExample,
    unleash: Sandbox,
    demo_flag: str,
    sample_env: dict[str, str],
) -> None:
    example: CodeExample = EXAMPLES[(block.page, block.line)]
    eval_example.set_config(
        line_length=100, target_version="py311", ruff_select=["E", "F", "I", "B", "UP"]
    )
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        with tokens_named_in(unleash, block.code):
            eval_example.run_print_check(example)
