"""How a test session starts and ends: Ctrl-C in one line, and the report of the site's blocks."""

from __future__ import annotations

import atexit
import faulthandler
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import pytest

from harness.parallel import BACKGROUND, runs_the_background_group
from unleash_sandbox import installs

faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` shows where a run hangs


_session: list[pytest.Session] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """Ctrl-C (or SIGTERM) ends the run with one line; the session still stops the sandbox.

    pytest's own report of a KeyboardInterrupt can crash while it renders the traceback of a
    frame that has no line number yet, which buries the message; an Exit is reported in one line.
    """

    def stop(signum: int, frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        retried, _state["retry pending"] = _state["retry pending"], False
        if retried and _state["tests over"]:  # stopping already: the session's end stops it all
            return
        if _unsafe_to_raise(frame):
            # Raised between two steps of pluggy's hook calls, the exit can leave a hook wrapper
            # (pytest's output capture) open until garbage collection, which then prints a
            # traceback after the run; raised in a finalizer, it is lost. Stop after this test,
            # or sooner: try again in a moment.
            session.shouldstop = f"{name}, stopping the sandbox and removing its files."
            _state["retry pending"] = True
            retry = threading.Timer(0.05, os.kill, (os.getpid(), signum))
            retry.daemon = True
            retry.start()
            return
        pytest.exit(f"Interrupted: {name}, stopping the sandbox and removing its files.", 2)

    _session.append(session)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when SIGINT is ignored
        signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


_state = {"retry pending": False, "tests over": False}


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop() -> Any:
    try:
        return (yield)
    finally:
        _state["tests over"] = True


_PYTEST_ITSELF = ("/_pytest/", "/pluggy/")
_OURS = tuple(str(Path(__file__).resolve().parents[2] / part) + os.sep
              for part in ("tests", "unleash_sandbox", "site_tools", "examples"))  # fmt: skip


def _unsafe_to_raise(frame: Any) -> bool:
    """Whether an exit raised at `frame` would be lost or leave pytest half-way: the first of our
    own frames (a test, the harness) comes after pytest's or pluggy's own, or after a finalizer
    (a `__del__`, a weakref callback), where Python only prints what it raises."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_filename.endswith(
            ("/weakref.py", "/_weakrefset.py")
        ):
            return True
        if code.co_filename.startswith(_OURS):
            return False
        if any(part in code.co_filename for part in _PYTEST_ITSELF):
            return True
        frame = frame.f_back
    return True


# --- The block report: for every fenced block on the site, did it run, and where? ---------------

_passed: set[str] = set()
READER_SERVER: list[str] = []  # what the reader path planted, and whether it was kept
_failed: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)
    elif report.failed:
        _failed.add(report.nodeid)


_items: list[pytest.Item] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    _items.extend(session.items)


def _worker(config: pytest.Config) -> bool:
    """True in a pytest-xdist worker: the controller prints the reports and checks leftovers."""
    return hasattr(config, "workerinput")


_from_workers: dict[str, list[str]] = {}
_stopped_with: list[int] = []  # stop_run's code (a worker's, on the controller)


def stop_run(session: pytest.Session, message: str, returncode: int) -> NoReturn:
    """End the run at once with one message and `returncode`, from a fixture or a hook.

    In a worker of `make test`, a bare exit looks like a crash to pytest-xdist, whose controller
    then ends in an INTERNALERROR traceback. So the worker also asks the controller to stop, with
    the message (xdist ends the run with it, once) and the code (pytest_sessionfinish)."""
    stop_after_this_test(session, message, returncode)
    pytest.exit(message, returncode=returncode)


def stop_after_this_test(session: pytest.Session, message: str, returncode: int) -> None:
    """End the run after the current test with one message and `returncode` (serial: at once)."""
    _stopped_with.append(returncode)
    if not _worker(session.config):
        pytest.exit(message, returncode=returncode)
    session.shouldstop = message
    session.config.workeroutput["stopped_with"] = returncode  # type: ignore[attr-defined]


def _claims_report() -> list[str]:
    from claims import report

    return report(_items)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker's session is over: keep what only it knows (the controller collects nothing)."""
    output = getattr(node, "workeroutput", {})
    if output.get("stopped_with") is not None:
        _stopped_with.append(output["stopped_with"])
    for key in ("claims", "reader_server", "left_out", "page_left_out"):
        if output.get(key) and not _from_workers.get(key):
            _from_workers[key] = output[key]


def from_workers(key: str) -> Any:
    """What the workers of this run reported under `key` (None in a run without workers)."""
    return _from_workers.get(key)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from blocks import site_blocks
    from harness.page import checked_page

    if _stopped_with:  # a worker stopped the run (stop_run): its one message is the report
        return
    if terminalreporter.config.option.collectonly:  # nothing ran: no block "did not pass"
        return
    terminalreporter.section("every sentence of the pages: quoted by a claim test, or not a claim")
    for line in _from_workers.get("claims") or _claims_report():
        terminalreporter.write_line(line)

    page = checked_page(terminalreporter.config)  # a page check reports that page's blocks
    blocks = [b for b in site_blocks() if page is None or str(b.page) == page]
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
    reader = "tests/test_reader_path.py::test_reader_path["
    passed = [n for n in _passed if n.startswith(reader)]
    failed = [n for n in _failed if n.startswith(reader)]
    write(
        f"reader path: {len(passed)} runs of the pages' blocks in page order, as a reader runs them (each block twice), "
        f"{len(failed)} failed"
    )
    if reader_server := _from_workers.get("reader_server") or READER_SERVER:
        write(
            "on a server with a reader's settings and tokens (harness.reader), which held before the first block:"
        )
        for line in reader_server:
            write(f"    {line}")


# --- Nothing left behind: a run's temp files live in a folder of its own, removed at the end ------
# Everything a run starts (sandboxes, Chromium, Node, the SDKs) writes its temp files under TMPDIR,
# which points at a folder made for the run. A passing run fails when that folder holds anything
# at the end but pytest's own tmp_path dirs, when the project cache gained an entry that is not one
# of its declared parts, or when the home folder gained an entry.

DECLARED_CACHE = (
    "npm-",
    "npm-cache",
    "pip-cache",
    "uv",
    "reader-",
    "versions",
    "locks",
    "templates",
    "test-durations",  # how long each test took (harness.parallel schedules by it)
)
_before: dict[str, set[str]] = {}
_RUN_TMP = pytest.StashKey[Path]()


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _watched() -> dict[str, Path]:
    home = Path.home()
    return {
        "~": home,
        "~/.cache": home / ".cache",
        "~/.config": home / ".config",
        "the project cache": installs.cache_dir(),
    }


def pytest_configure(config: pytest.Config) -> None:
    if _worker(config):  # a worker runs in the controller's folder (TMPDIR), checked by it
        atexit.register(_end_now, lambda: 0)  # registered first, so it runs last
        return
    main = sys.modules["__main__"]
    if getattr(getattr(main, "__spec__", None), "name", None) == "pytest.__main__":
        atexit.register(_end_now, lambda: int(_session[0].exitstatus) if _session else None)
    run_tmp = Path(tempfile.mkdtemp(prefix="unleash-docs-run-", dir=run_folder_parent()))
    run_tmp.chmod(0o755)  # the sandbox's PostgreSQL runs as another user and must get through
    os.environ["TMPDIR"] = str(run_tmp)
    tempfile.tempdir = None  # later calls read TMPDIR again
    config.stash[_RUN_TMP] = run_tmp
    _before.update({name: _entries(folder) for name, folder in _watched().items()})
    _before["last-failure"] = {_stamp(installs.failure_log_dir())}


# Where TMPDIR is not set, the run's folder is made in memory (/dev/shm, where it has room): each
# sandbox's database starts as a copy of its template, about 1,500 files, which took 0.95 s of
# the kernel's time on this machine's disk and 0.09 s in memory (measured with `cp -a`); the
# sandboxes, browsers and pytest's tmp_path dirs all write there.
IN_MEMORY = Path("/dev/shm")
ROOM_NEEDED = 1 << 30  # bytes free in it (measured: a run's folder held 171 MiB at its most)


def run_folder_parent() -> str | None:
    """Where the run's folder is made: TMPDIR when it is set, else IN_MEMORY when it has room,
    else the system's temp folder (None)."""
    if os.environ.get("TMPDIR") or not os.access(IN_MEMORY, os.W_OK | os.X_OK):
        return None
    room = os.statvfs(IN_MEMORY)
    return str(IN_MEMORY) if room.f_bavail * room.f_frsize >= ROOM_NEEDED else None


def _end_now(code: Callable[[], int | None]) -> None:
    """The last step of a worker, or of `python -m pytest` once its session has run: after its
    other exit handlers, the process ends at once, with `code()` (None: as Python would end it).

    Python's own clean-up of the process's modules and objects, which cleans up nothing outside
    it, took about 0.25 s at the end of each run, and of each worker, which the run waits for
    before it reports (measured)."""
    exit_code = code()
    if exit_code is None or getattr(sys, "last_value", None) is not None:
        return  # (an exception that ended the process: Python ends it as it does)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)


def _stamp(path: Path) -> str:
    return str(path.stat().st_mtime_ns) if path.exists() else "absent"


@pytest.fixture(scope="session", autouse=True)
def _basetemp_in_the_run_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fix pytest's tmp_path root now, in the run's folder, before a test moves TMPDIR (scratch)."""
    tmp_path_factory.getbasetemp()


def left_behind(run_tmp: Path) -> list[str]:
    """What the run left outside the clone and the declared caches."""
    found = [str(p) for p in run_tmp.iterdir() if not p.name.startswith("pytest-of-")]
    for name, folder in _watched().items():
        for entry in sorted(_entries(folder) - _before.get(name, set())):
            if name == "the project cache" and entry.startswith(DECLARED_CACHE):
                continue
            found.append(f"{folder / entry} (new in {name})")
    # A run stopped by a server that failed keeps that server's logs there, and says so
    if not _stopped_with and {_stamp(installs.failure_log_dir())} != _before.get("last-failure"):
        found.append(f"{installs.failure_log_dir()} (written by a deliberate failure?)")
    return found


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _worker(session.config):
        output = session.config.workeroutput  # type: ignore[attr-defined]
        output["claims"], output["reader_server"] = _claims_report(), READER_SERVER
        return
    if _stopped_with:  # xdist ended the run with the worker's message: end it with its code too
        session.exitstatus = _stopped_with[0]
    found = left_behind(session.config.stash[_RUN_TMP])
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.section("left behind")
            for line in found:
                reporter.write_line(line)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUN_TMP in config.stash:
        shutil.rmtree(config.stash[_RUN_TMP], ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """Ctrl-C ends the run with pytest's one-line note, never with pytest's own crash.

    On Python 3.11 an interrupt can land on an instruction without a line number. pytest's
    terminal reporter then fails to render the traceback (TypeError), keeps no report of the
    interrupt, and at the end asserts that it has one (AssertionError, exit 1: seen in soaks).
    So the frames without a line number are left out of the traceback it renders."""
    excinfo.traceback = excinfo.traceback.filter(_has_line_numbers)
    try:
        return (yield)
    except TypeError:  # such a frame further down the chain: report the interrupt alone
        error = excinfo.value.with_traceback(None)
        error.__cause__ = error.__context__ = None
        try:
            raise error
        except BaseException:
            plain = pytest.ExceptionInfo.from_current()
        reporter = _session[0].config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter._keyboardinterrupt_memo = plain.getrepr()  # what pytest reports at the end
        return None


def _has_line_numbers(entry: Any) -> bool:
    try:
        return entry.lineno is not None and entry.frame.lineno is not None
    except TypeError:  # `None - 1` inside pytest's TracebackEntry
        return False


def start_early(request: pytest.FixtureRequest, fixture: str, marker: str | None = None) -> None:
    """Set up the session fixture `fixture` now, at the start of the session, when a test of this
    run uses it (and carries `marker`, if one is named): what it starts in the background then
    runs while the other tests do. The background group's fixtures (harness.parallel) are set up
    only by the process that runs that group."""
    if fixture in BACKGROUND and not runs_the_background_group(request.config):
        return
    if any(
        fixture in getattr(item, "fixturenames", ())
        and (marker is None or item.get_closest_marker(marker))
        for item in request.session.items
    ):
        request.getfixturevalue(fixture)


class _AfterUse:
    """Work to start once the tests that use a fixture, `waiting`, have all run."""

    def __init__(self, waiting: set[str], work: Callable[[], None]) -> None:
        self.waiting, self.work = waiting, work


_after_use: list[_AfterUse] = []  # until their work starts


def after_its_tests(
    request: pytest.FixtureRequest, fixture: str, work: Callable[[], None]
) -> Callable[[], None]:
    """Start `work` once every test of this session that uses the session fixture `fixture`
    has run. Returns what the fixture calls at its end: it starts the work if that never came
    (a run stopped early).

    Only for the background group's fixtures (harness.parallel): all the tests that use them run
    in the process that set them up, so it sees when the last one is done."""
    assert fixture in BACKGROUND, f"{fixture}: its tests may run in another process"
    entry = _AfterUse({i.nodeid for i in request.session.items if fixture in i.fixturenames}, work)
    _after_use.append(entry)

    def at_the_end() -> None:
        if entry in _after_use:
            _start(entry)

    return at_the_end


def _start(entry: _AfterUse) -> None:
    _after_use.remove(entry)
    entry.work()


def pytest_runtest_logfinish(nodeid: str) -> None:
    for entry in list(_after_use):
        entry.waiting.discard(nodeid)
        if not entry.waiting:
            _start(entry)


@pytest.fixture(scope="session")
def clean_up_later() -> Iterator[Callable[..., None]]:
    """`clean_up_later(work, *args)` runs `work(*args)` in a thread while the tests go on: for
    clean-ups that wait on the server. The end of the session waits for each, and reports one
    that failed. (A fixture that hands work here is torn down before it, since it requests it.)"""
    handed: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield lambda work, *args: handed.append(pool.submit(work, *args))
    for done in handed:
        done.result()
