"""Every Python block written in a page is linted and run against the live server (pytest-examples).

Blocks that only include a file from examples/ (`--8<--`) are run by tests/test_examples.py instead:
the page shows exactly the file that test runs.
"""

from __future__ import annotations

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from conftest import ROOT

SNIPPET = "--8<--"
EXAMPLES = [ex for ex in find_examples(ROOT / "docs") if not ex.source.lstrip().startswith(SNIPPET)]


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_python_block(
    example: CodeExample, eval_example: EvalExample, sample_env: dict[str, str]
) -> None:
    eval_example.set_config(
        line_length=100, target_version="py311", ruff_select=["E", "F", "I", "B", "UP"]
    )
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        eval_example.run_print_check(example)
