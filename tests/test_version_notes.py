"""Each page whose claims differ on Unleash 7.x says so in a version note (see version_notes.py)."""

from __future__ import annotations

import re

import pytest

from blocks import DOCS
from unleash_sandbox import pins
from version_notes import NOTE_TITLE, NOTES


def version_notes(page: str) -> list[str]:
    """The text of each "Unleash 7.x" note on a page (the admonition's indented body)."""
    notes: list[str] = []
    body: list[str] | None = None
    for line in (DOCS / page).read_text().splitlines():
        if line.strip() == NOTE_TITLE:
            body = []
            notes.append("")
        elif body is not None and (line.startswith("    ") or not line.strip()):
            notes[-1] += line.strip() + " "
        else:
            body = None
    return [" ".join(note.split()) for note in notes]


@pytest.mark.parametrize("page", NOTES)
def test_page_has_its_unleash_7_note(page: str) -> None:
    notes = version_notes(page)
    assert notes, f"{page} has no {NOTE_TITLE} admonition"
    text = " ".join(notes)
    missing = [phrase for phrase in NOTES[page] if phrase not in text]
    assert not missing, f"{page}: its Unleash 7.x note does not mention {missing}"


@pytest.mark.parametrize("page", NOTES)
def test_notes_name_the_version_ci_runs(page: str) -> None:
    """A note's "tested on X" is a version package.json lists in `unleashAlsoTested`."""
    named = re.findall(r"tested on (\d+\.\d+\.\d+)", " ".join(version_notes(page)))
    assert named and set(named) <= set(pins.also_tested()), (named, pins.also_tested())
