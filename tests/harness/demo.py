"""The demo flag the samples read, made by the way-in page's own blocks (get-started.md).

The fixture runs the page's `#demo-flag` blocks as a reader does; what it adds is only what a
shared server needs: a lock, so two runs do not create the flag at once, and tags, so the run
that lets go last deletes the flag, and only if a test run created it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from blocks import WAY_IN, Block, built_on, expected_pattern, site_blocks
from harness.run import start_early
from unleash_api import FEATURES, RUN, call, delete_flags
from unleash_sandbox import Sandbox
from unleash_sandbox.installs import shared_lock
from unleash_sandbox.processes import env_without

DEMO_FLAG = "docs-demo"
CREATED_BY_DOCS = "docs-created"  # tag on a demo flag that a test run made (not the reader's own)


def demo_flag_blocks() -> list[Block]:
    """The way-in page's blocks that create the demo flag, in page order."""
    found = [b for b in site_blocks() if b.page == WAY_IN and b.section == "demo-flag"]
    assert found, f"{WAY_IN} has no blocks under its demo-flag section"
    return found


def run_bash(
    block: Block, env: dict[str, str], cwd: Path, timeout: float = 60, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """A block as a reader runs it: bash, stopping at the first failing command."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code if code is None else code],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


PLACEHOLDER = re.compile(r"'<[^'<>]+>'")  # export OLD_SECRET='<the secret your service ...>'
SECRET = re.compile(r"(?<![\w.])[\w*\[\]]+:[\w*]+\.[0-9a-f]{56}\b")
EXPORT = re.compile(r"^export (\w+)=(.*)$")


def exported(code: str) -> dict[str, str]:
    """The variables a block's `export NAME=value` lines set."""
    found = {}
    for line in code.splitlines():
        if match := EXPORT.match(line.strip()):
            found[match[1]] = shlex.split(match[2])[0]
    return found


class Shell:
    """A reader's terminal, where a page's blocks run one after another.

    What a block exports stays set for the blocks after it. Where a block asks the reader to
    paste a value of their own (`'<...>'`), the reader pastes the token secret they copied: the
    last one printed by a block of the sections the page's "**Before you start**" builds on.
    """

    def __init__(self, env: dict[str, str], cwd: Path, rewrites: dict[str, str] | None = None):
        self.env, self.cwd = env, cwd
        self.rewrites = rewrites or {}  # what the reader changes in every block, such as a port
        self.printed: list[tuple[Block, str]] = []  # the secrets each block printed, in order

    def pasted(self, block: Block) -> str:
        code = block.code
        for old, new in self.rewrites.items():
            code = code.replace(old, new)
        if not PLACEHOLDER.search(code):
            return code
        sources = built_on(block.page)
        copied = [secret for b, secret in self.printed if (b.page, b.section) in sources]
        assert copied, f"{block.key} asks for a secret that no block of {sources} printed"
        return PLACEHOLDER.sub(lambda _: shlex.quote(copied[-1]), code)

    def remember(self, block: Block, printed: str) -> None:
        self.printed += [(block, secret) for secret in SECRET.findall(printed)]

    @property
    def last_secret(self) -> str:
        return self.printed[-1][1]

    def run(self, block: Block, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        code = self.pasted(block)
        done = run_bash(block, self.env, self.cwd, timeout, code)
        if done.returncode == 0:
            self.env.update(exported(code))
            self.remember(block, done.stdout)
        return done


TAGS = f"/api/admin/features/{DEMO_FLAG}/tags"


def make_ready(unleash: Sandbox, cwd: Path) -> None:
    """Run the way-in page's blocks that make the flag, in `cwd`, and tag the flag as this run's
    (and as made by a test run, when it was not there before)."""
    admin = unleash.admin_token
    with shared_lock("demo-flag"):  # one run at a time makes the flag on a shared server
        existed = call(unleash, "GET", f"{FEATURES}/{DEMO_FLAG}", admin).status_code == 200
        create, *rest = demo_flag_blocks()
        for block in (create, *rest):
            done = run_bash(block, {**env_without("UNLEASH_"), **unleash.env()}, cwd)
            assert done.returncode == 0, f"{block.key} failed:\n{done.stdout}{done.stderr}"
            shown = block.expected_output  # the creation's status depends on what was there
            if (
                block is not create
                and shown
                and not expected_pattern(shown).fullmatch(done.stdout.strip())
            ):
                raise AssertionError(
                    f"{block.key} printed {done.stdout!r}; the page shows {shown!r}"
                )
        for value in [RUN] + ([] if existed else [CREATED_BY_DOCS]):
            body = {"type": "simple", "value": value}
            call(unleash, "POST", TAGS, admin, json=body).raise_for_status()


@pytest.fixture(scope="session")
def demo_flag_making(
    unleash: Sandbox,
    tmp_path_factory: pytest.TempPathFactory,
    clean_up_later: Callable[..., None],
) -> Iterator[Future[None]]:
    """The demo flag, being made in a thread of its own (make_ready). The page's last block waits
    until the front-end API serves the new flag, about a second (measured): started at the
    beginning of the session (_start_making_the_demo_flag), that wait runs while tests do."""
    cwd = tmp_path_factory.mktemp("demo-flag")
    with ThreadPoolExecutor(max_workers=1) as pool:
        making = pool.submit(make_ready, unleash, cwd)
        yield making
    if making.exception() is None:  # else made by no one, or not tagged as this run's
        clean_up_later(let_go, unleash)


def let_go(unleash: Sandbox) -> None:
    """Take this run's tag off the flag; the run that lets go last deletes the flag, if a test
    run made it."""
    admin = unleash.admin_token
    # Under the lock too: another run (or worker) that is making the flag ready, and has not
    # tagged it yet, must not see it deleted under its feet (measured: a 404 on its tag).
    with shared_lock("demo-flag"):
        call(unleash, "DELETE", f"{TAGS}/simple/{RUN}", admin)
        call(unleash, "DELETE", f"/api/admin/tags/simple/{RUN}", admin)
        left = {t["value"] for t in call(unleash, "GET", TAGS, admin).json()["tags"]}
        if left == {CREATED_BY_DOCS}:
            delete_flags(unleash, [DEMO_FLAG])
            call(unleash, "DELETE", f"/api/admin/tags/simple/{CREATED_BY_DOCS}", admin)


@pytest.fixture(scope="session")
def demo_flag(demo_flag_making: Future[None]) -> str:
    """The flag the samples read, as the way-in page makes it: on in development."""
    demo_flag_making.result()  # a failure to make it fails each test that reads it
    return DEMO_FLAG


@pytest.fixture(scope="session", autouse=True)
def _start_making_the_demo_flag(request: pytest.FixtureRequest) -> None:
    start_early(request, "demo_flag_making")
