"""Child processes of the sandbox and its tools: started so that they die with us, waited for
with a deadline, and stopped one signal at a time."""

from __future__ import annotations

import ctypes
import os
import pwd
import signal
import subprocess
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from ._util import SandboxError, log_tail, poll

_PR_SET_PDEATHSIG = 1
# Gentle first: Ctrl-C (a command such as mkdocs serve then removes its temp files), then
# SIGTERM, then SIGKILL.
GENTLY = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


def env_without(*prefixes: str, keep: Collection[str] = ()) -> dict[str, str]:
    """This process's environment less the variables named with these prefixes (`UNLEASH_`: the
    ones the sandbox and the samples read), but for those in `keep`: for a child that must not
    inherit a server of ours."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes) or k in keep}


def _die_with_parent() -> None:
    """Runs in the child before exec: if the process that started us dies, so do we."""
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def default_sigint() -> None:
    """For `preexec_fn`: Ctrl-C works in the child even when the parent was started with SIGINT
    ignored (as `cmd &` in a script is), so that it can be stopped gently."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def as_user(user: str | None) -> dict[str, Any]:
    """Popen arguments that run a child as `user` (None: as we are)."""
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def spawn(
    args: list[str], log: Path, env: dict[str, str], user: str | None
) -> subprocess.Popen[bytes]:
    """Start a server process writing to `log` (its folder is its working directory)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            preexec_fn=_die_with_parent,
            **as_user(user),
        )


def stop_process(
    child: subprocess.Popen[Any], signals: Sequence[int] = GENTLY, grace_s: float = 5.0
) -> None:
    """Send each signal in turn, the next one after `grace_s` without an exit."""
    for sig in signals:
        if child.poll() is not None:
            return
        child.send_signal(sig)
        try:
            child.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            continue
    if child.poll() is None:
        child.kill()
        child.wait()


def wait_until_ready(
    name: str,
    process: subprocess.Popen[bytes],
    log: Path,
    check: Callable[[], bool],
    deadline_s: float,
) -> None:
    """Poll `check` until it holds; fail at once, with the log's tail, if the process exits."""

    def ready() -> bool | None:
        if process.poll() is not None:
            raise SandboxError(
                f"{name} exited during start-up (exit {process.returncode}). "
                f"Last lines of its log:\n{log_tail(log)}"
            )
        return True if check() else None

    poll(
        f"{name} to get ready",
        ready,
        deadline_s,
        on_timeout=lambda: f" Last lines of its log:\n{log_tail(log)}",
    )
