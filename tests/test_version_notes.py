"""The reference's table of what Unleash 7 answers otherwise is what the tests measure on it."""

from __future__ import annotations

import re

import pytest

from blocks import DOCS
from pages import page_tables
from unleash_sandbox import pins
from version_notes import REFERENCE, ROWS_7

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)


def unleash_7_table() -> dict[str, dict[str, str]]:
    table = next(t for t in page_tables(REFERENCE) if t and "Unleash 7" in t[0])
    return {row["Case"]: row for row in table}


@pytest.mark.claim(REFERENCE, "This site is verified on Unleash 8.", "Unleash 7 (tested on 7.6.5) answers otherwise in these cases; the steps of the how-tos are walked in the admin UI of both, which differ only in the last two rows:")  # fmt: skip
def test_unleash_7_table_is_what_the_tests_measure() -> None:
    table = unleash_7_table()
    assert list(table) == list(ROWS_7), "the table's cases are not those version_notes.py measures"
    wrong = [f"{case}: {row['Unleash 7']!r} (measured: {ROWS_7[case]!r}...)"
             for case, row in table.items() if not row["Unleash 7"].startswith(ROWS_7[case])]  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_unleash_7_table_names_the_version_ci_runs() -> None:
    """Its "tested on X" is a version package.json lists in `unleashAlsoTested`."""
    text = (DOCS / REFERENCE).read_text().split("{#unleash-7}", 1)[1]
    named = re.findall(r"tested on (\d+\.\d+\.\d+)", text)
    assert named and set(named) <= set(pins.also_tested()), (named, pins.also_tested())
