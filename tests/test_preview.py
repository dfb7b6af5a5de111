"""The contributor's preview: `mkdocs serve` rebuilds when anything a page shows is edited.

The site's sources are copied to a temp folder and served from there, so the edits this test makes
never touch the repository. Each edit is made to a file that is not under docs/ (a sample, the
page variables, a theme override); the served page must show it within the deadline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from blocks import ROOT
from unleash_api import poll_until
from unleash_sandbox._util import free_port
from unleash_sandbox.processes import default_sigint, stop_process

pytestmark = pytest.mark.serverless  # no server: the same answer on any (harness/scope.py)

SOURCES = ["docs", "examples", "overrides", "mkdocs.yml", "macros.py", "package.json"]


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`mkdocs serve` on a copy of the site's sources: (the copy, the preview's URL)."""
    copy = tmp_path_factory.mktemp("preview")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            shutil.copy(source, copy / name)
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    with subprocess.Popen(
        [mkdocs, "serve", "-a", url.removeprefix("http://")],
        cwd=copy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    ) as server:

        def serving() -> str | None:
            if server.poll() is not None:
                assert server.stderr is not None
                pytest.fail(f"mkdocs serve exited {server.returncode}:\n{server.stderr.read()}")
            return page(url, "/")

        try:
            poll_until("the preview to serve the home page", serving, 60)
            yield copy, url
        finally:
            stop_process(server, grace_s=15)  # Ctrl-C first: mkdocs removes its temp build dir


def page(url: str, path: str) -> str | None:
    try:
        answer = requests.get(url + path, timeout=5)
    except requests.ConnectionError:
        return None
    return answer.text if answer.status_code == 200 else None


EDITS: dict[str, tuple[str, Callable[[str], str], str, str]] = {
    # file: (page path, how the file is edited, what the page must then show, its page)
    "examples/sdk_python.py": (
        "/reference/sdks-and-tokens/",
        lambda text: text + "# preview-check: a sample edit\n",
        "preview-check: a sample edit",
        "a sample included with a snippet",
    ),
    "macros.py": (
        "/",
        lambda text: text.replace("pins.unleash_version()", '"preview-check"'),
        "Verified against Unleash preview-check",
        "a page variable",
    ),
    "overrides/main.html": (
        "/",
        lambda text: text + "{% block footer %}{{ super() }}<!-- preview-check -->{% endblock %}\n",
        "<!-- preview-check -->",
        "a theme override",
    ),
}


@pytest.mark.parametrize("edited", EDITS)
def test_preview_shows_an_edit(preview: tuple[Path, str], edited: str) -> None:
    copy, url = preview
    path, edit, shown, what = EDITS[edited]
    assert shown not in (page(url, path) or "")
    target = copy / edited
    target.write_text(edit(target.read_text()))
    poll_until(
        f"the preview to show an edit of {what} ({edited})",
        lambda: True if shown in (page(url, path) or "") else None,
        deadline_s=30,
    )
