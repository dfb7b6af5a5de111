"""Command line for contributors.

python -m unleash_sandbox up [--port N]              start a sandbox, keep it up until Ctrl-C
python -m unleash_sandbox up [--port N] -- CMD ...   ... and run CMD with the sandbox's variables
python -m unleash_sandbox install                    install the pinned Node + Unleash (cached;
                                                     UNLEASH_VERSION=X.Y.Z: another Unleash)
python -m unleash_sandbox ports NAME=PORT ...        check ports are free before anything starts
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from types import FrameType

from . import SandboxError, installs, pins, start
from ._util import check_port_free
from .processes import default_sigint, stop_process


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    # A shell starts `cmd &` with SIGINT ignored; Ctrl-C / kill -INT must still stop the sandbox.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def up(port: int | None, command: list[str]) -> int:
    with start(port=port) as server:
        lines = [
            f"Unleash {pins.server_version()} sandbox ({server.mode}) is up.",
            f"  URL:        {server.url}",
        ]
        if server.login:
            lines.append(
                f"  UI login:   {server.login[0]} / {server.login[1]}  (local sandbox only)"
            )
        lines += [
            "  Paste these into a shell to run the docs' samples against it:",
            *(f"    export {key}={shlex.quote(value)}" for key, value in server.env().items()),
            "Stop it with Ctrl-C.",
        ]
        print("\n".join(lines), flush=True)
        if not command:
            threading.Event().wait()  # until Ctrl-C / SIGTERM
            return 0
        # The command's temp files live in a folder removed when it ends, however it ends: a
        # signal to the whole terminal (SIGTERM, SIGHUP) stops mkdocs serve before it cleans up.
        with tempfile.TemporaryDirectory(prefix="unleash-serve-") as scratch:
            env = {**os.environ, **server.env(), "TMPDIR": scratch}
            with subprocess.Popen(command, env=env, preexec_fn=default_sigint) as child:
                try:
                    return child.wait()
                except KeyboardInterrupt:
                    stop_process(child)
                    raise


def ports(wanted: list[str], change: str) -> int:
    """One line for each NAME=PORT that is taken, saying how to choose another; 2 if any is."""
    busy = 0
    for item in wanted:
        name, _, port = item.partition("=")
        if not port.isdigit():
            raise SandboxError(f"{item!r}: give each port as NAME=PORT, such as SITE_PORT=8000.")
        try:
            check_port_free(int(port), change.replace("{name}", name))
        except SandboxError as error:
            print(f"unleash_sandbox: {error}", file=sys.stderr)
            busy += 1
    return 2 if busy else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unleash_sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="action", required=True)
    up_parser = commands.add_parser("up", help="start a sandbox and keep it up until Ctrl-C")
    up_parser.add_argument(
        "--port", type=int, default=None, help="Unleash port (default: a free one)"
    )
    up_parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD to run while it is up")
    commands.add_parser("install", help="install the pinned Node and Unleash into the cache")
    ports_parser = commands.add_parser("ports", help="check that ports on 127.0.0.1 are free")
    ports_parser.add_argument("ports", nargs="+", metavar="NAME=PORT")
    ports_parser.add_argument(
        "--change",
        default="{name}={port}",
        help="how to choose another port, with {name} and {port} filled in",
    )
    args = parser.parse_args(argv)
    _stop_on_sigterm()
    try:
        if args.action == "install":
            print(installs.install())
        elif args.action == "ports":
            return ports(args.ports, args.change)
        else:
            command = args.command[1:] if args.command[:1] == ["--"] else args.command
            return up(args.port, command)
    except SandboxError as error:
        print(f"unleash_sandbox: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Sandbox stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
