"""Screenshots of the live admin UI: taken by the UI walks, compared with the committed ones.

`make screenshots` (pytest --update-screenshots) writes them to docs/images/ui/; a normal run
shoots them again and compares them with the committed ones.

Comparison: both images in greyscale, a pixel differs when its value moves by more than 48 (of
255); an image has changed when its size differs or more than 1 % of its pixels do. That
tolerance absorbs anti-aliasing and a changed digit (such as the token count in a heading), and
catches a moved, renamed or restyled control.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from blocks import DOCS
from version_notes import server_major

IMAGES = DOCS / "images" / "ui"
DIFFS = DOCS.parent / "screenshots-diff"  # where a changed screenshot is left to look at
PIXEL_DIFF, TOLERANCE, MAX_BYTES = 48, 0.01, 150_000


class Camera:
    """Takes a walk's screenshots: writes them (update mode) or keeps them to compare."""

    def __init__(self, update: bool, out: Path) -> None:
        self.update, self.out, self.taken = update, out, []
        self.compares = True

    def shoot(self, page: Page, name: str, around: list[Locator], pad: int = 12) -> None:
        page.evaluate("document.fonts.ready")  # text in the UI's own fonts, not a fallback
        # Every shot is of the page as it opens: nothing scrolled (a focused field may scroll it).
        page.evaluate(
            "() => { window.scrollTo(0, 0);"
            " document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; }); }"
        )
        boxes = [box for locator in around if (box := locator.bounding_box())]
        left = max(min(b["x"] for b in boxes) - pad, 0)
        top = max(min(b["y"] for b in boxes) - pad, 0)
        right = max(b["x"] + b["width"] for b in boxes) + pad
        bottom = max(b["y"] + b["height"] for b in boxes) + pad
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        png = page.screenshot(clip=clip, animations="disabled")
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
        target = (IMAGES if self.update else self.out) / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, optimize=True)
        self.taken.append(name)

    def compare(self) -> None:
        """Fail, naming them, when shots differ from the committed images (not in update mode)."""
        if self.update or not self.compares:
            return
        changed = []
        for name in self.taken:
            committed = IMAGES / f"{name}.png"
            assert committed.exists(), f"{committed} is missing: run make screenshots"
            fraction = changed_fraction(committed, self.out / f"{name}.png")
            if fraction > TOLERANCE:
                changed.append(f"{name}.png ({fraction:.1%} of its pixels)")
                DIFFS.mkdir(exist_ok=True)
                shutil.copy(self.out / f"{name}.png", DIFFS / f"{name}.png")
        assert not changed, (
            f"screenshots differ from the admin UI (the new ones are in {DIFFS}; "
            "`make screenshots` takes them all again): " + ", ".join(changed)
        )


def changed_fraction(committed: Path, fresh: Path) -> float:
    old, new = Image.open(committed).convert("L"), Image.open(fresh).convert("L")
    if old.size != new.size:
        return 1.0
    diff = ImageChops.difference(old, new).point(lambda value: 255 if value > PIXEL_DIFF else 0)
    return sum(diff.histogram()[255:]) / (old.size[0] * old.size[1])


@contextmanager
def step(name: str) -> Iterator[None]:
    """Turn a failure inside a step into one line that names the guide's step."""
    try:
        yield
    except (PlaywrightError, AssertionError) as error:
        lines = str(error).strip().splitlines()
        first = lines[0] + next(
            (f" ({line.strip()})" for line in lines if "waiting for" in line), ""
        )
        raise AssertionError(
            f"The guide's {name} no longer matches the admin UI: {first}"
        ) from None


@pytest.fixture
def camera(request: pytest.FixtureRequest, tmp_path: Path) -> Camera:
    """The walk's camera. The pages show Unleash 8: on an older server the shots are taken (the
    elements they frame must be there) but not compared."""
    camera = Camera(bool(request.config.getoption("--update-screenshots")), tmp_path)
    camera.compares = server_major(request.getfixturevalue("unleash")) >= 8
    return camera
