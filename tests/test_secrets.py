"""Secrets and safety: no real secret in the repository or the built site; the sandbox stays local.

Only placeholders and the sandbox's own values (explained where they appear) may show up.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from blocks import ROOT
from harness.scratch import listeners, listening
from unleash_sandbox import SANDBOX_LOGIN, Sandbox

# A secret the server made: scope, then 56 random hex characters (a PAT: "user:" and the same).
REAL_SECRET = re.compile(r"(?:[\w*\[\]-]+:[\w*-]+\.|user:)[0-9a-f]{56}")
PASSWORD = SANDBOX_LOGIN[1]
WARNING = re.compile(
    r"local sandbox only|only for (?:this|a) local sandbox|never use (?:it|them) outside", re.I
)


def repository_files() -> list[Path]:
    command = ["git", "ls-files", "-co", "--exclude-standard"]
    listed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def texts(paths: list[Path]) -> list[tuple[Path, str]]:
    found = []
    for path in paths:
        try:
            found.append((path, path.read_text()))
        except UnicodeDecodeError:
            continue  # images and other binaries
    return found


def leaks(files: list[Path], base: Path) -> list[str]:
    return [
        f"{p.relative_to(base)}: {m.group()[:24]}…"
        for p, t in texts(files)
        for m in REAL_SECRET.finditer(t)
    ]


def test_no_real_secret_in_the_repository() -> None:
    assert not leaks(repository_files(), ROOT)


def test_no_real_secret_in_the_built_site(site: Path) -> None:
    assert not leaks([p for p in site.rglob("*") if p.is_file()], site)


def test_the_sandbox_login_is_shown_only_with_a_warning(site: Path) -> None:
    """Every page or file that shows the sandbox's admin login says it is for a local sandbox."""
    shown = [
        (p, t)
        for p, t in texts(repository_files())
        if PASSWORD in t and p.suffix in (".md", ".yaml")
    ]
    shown += [(p, t) for p, t in texts(list(site.rglob("*.html"))) if PASSWORD in t]
    assert any(p.name == "README.md" for p, _ in shown)  # the check sees the README's mention
    missing = [str(p) for p, text in shown if not WARNING.search(text)]
    assert not missing, f"these show the sandbox login without saying it is local only: {missing}"


def test_the_sandbox_listens_on_loopback_only(unleash: Sandbox) -> None:
    if unleash.pid is None:
        pytest.skip("only a sandbox this run started natively has processes to look at")
    unleash_ports = listening(unleash.pid)
    assert unleash_ports and all(ip == "127.0.0.1" for ip, _ in unleash_ports), unleash_ports
    environ = Path(f"/proc/{unleash.pid}/environ").read_bytes().split(b"\0")
    database = next(v for v in environ if v.startswith(b"DATABASE_URL=")).decode()
    pg_port = int(database.rsplit(":", 1)[1].split("/")[0])
    pg_listeners = [ip for ip, port, _ in listeners() if port == pg_port]
    assert pg_listeners == ["127.0.0.1"], pg_listeners  # and nothing else


def test_the_scan_recognises_what_the_server_makes(
    make_token: Callable[..., dict[str, Any]],
) -> None:
    """The pattern above would catch a real secret: one made now matches it."""
    for kind in ("backend", "frontend"):
        assert REAL_SECRET.fullmatch(make_token(type=kind, environment="development")["secret"])
