"""`make test-latest`: the drift watch. The suite against the newest unleash-server and SDKs.

It asks npm and PyPI for the newest unleash-server, unleash-client, unleash-proxy-client and
UnleashClient. When every pin is already the newest, it says so and runs the suite once. Otherwise
it runs the suite on the pins, then on the newest versions, and names the claims (tests) that
pass on the pins and fail on the newest: what a version bump would break. Exit 0 when none broke.

`--as-newest NAME=VERSION` takes VERSION as the newest NAME instead of asking (to try the
comparison on a known version, e.g. unleash-server=7.6.5).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from unleash_sandbox import SandboxError, installs, pins, versions

ROOT = Path(__file__).resolve().parent.parent
NPM_PACKAGES = ("unleash-server", "unleash-client", "unleash-proxy-client")
PYPI_PACKAGE = "UnleashClient"


def newest_npm(npm: str, name: str) -> str:
    return str(versions.npm_view(npm, f"{name}@latest", "version"))


def pinned_pypi(name: str) -> str:
    found = re.search(rf'"{name}==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    if not found:
        raise SystemExit(f"test-latest: pyproject.toml pins no {name}")
    return found.group(1)


def newest_pypi(name: str) -> str:
    """The newest release of `name` the package index offers, as uv resolves it (pip would run
    `rustc --version` for its user agent, and rustup writes to the home folder)."""
    uv = str(Path(sys.executable).parent / "uv")
    result = subprocess.run(
        [uv, "pip", "compile", "-", "--no-header", "--no-annotate", "--quiet",
         "--python", sys.executable],
        input=f"{name}\n", capture_output=True, text=True, timeout=120, env=installs.npm_env(),
    )  # fmt: skip
    found = re.search(rf"^{re.escape(name)}==(\S+)$", result.stdout, re.MULTILINE | re.IGNORECASE)
    if result.returncode != 0 or not found:
        raise SystemExit(
            f"test-latest: uv could not resolve {name}: {result.stderr.strip()[-300:]}"
        )
    return found.group(1)


def python_with(sdk: str, folder: Path) -> str:
    """A venv like the project's (uv.lock) but with another Python SDK; returns its python."""
    uv = str(Path(sys.executable).parent / "uv")
    venv = folder / "venv"

    def run(*args: str) -> str:
        done = subprocess.run([uv, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env=installs.npm_env())  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"test-latest: uv {args[0]} failed:\n{done.stderr.strip()[-1500:]}")
        return done.stdout

    run("venv", "-q", "--python", sys.executable, str(venv))
    locked = run("export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project", "-q")
    wanted = re.sub(rf"(?im)^{PYPI_PACKAGE}==\S+", f"{PYPI_PACKAGE}=={sdk}", locked)
    (folder / "requirements.txt").write_text(wanted)
    python = str(venv / "bin" / "python")
    run("pip", "install", "-q", "--python", python, "-r", str(folder / "requirements.txt"))
    run("pip", "install", "-q", "--python", python, "--no-deps", "-e", str(ROOT))
    return python


def run_suite(label: str, env: dict[str, str], python_sdk: str | None) -> dict[str, str]:
    """Run the whole suite; return {test id: first line of its failure} for what did not pass."""
    with tempfile.TemporaryDirectory(prefix="test-latest-") as tmp:
        report = Path(tmp) / "junit.xml"
        python = sys.executable if python_sdk is None else python_with(python_sdk, Path(tmp))
        print(f"\n=== the suite on {label} ===", flush=True)
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
        done = subprocess.run(command, cwd=ROOT, env=env)
        if not report.exists():
            raise SystemExit(f"test-latest: the run on {label} ended without a report ({done})")
        return failures(report)


def failures(report: Path) -> dict[str, str]:
    failed = {}
    for case in ET.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
            failed[name] = (problem.get("message") or "").strip().splitlines()[0][:160]
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-newest", action="append", default=[], metavar="NAME=VERSION")
    given = dict(item.partition("=")[::2] for item in parser.parse_args().as_newest)
    if unknown := set(given) - {*NPM_PACKAGES, PYPI_PACKAGE}:
        parser.error(f"--as-newest: not one of the watched packages: {', '.join(sorted(unknown))}")
    try:
        npm = versions.npm_path()
        rows = [
            (name, pins.dependencies()[name], given.get(name) or newest_npm(npm, name))
            for name in NPM_PACKAGES
        ]
    except SandboxError as error:
        print(f"test-latest: {error}", file=sys.stderr)
        return 2
    python_sdk = given.get(PYPI_PACKAGE) or newest_pypi(PYPI_PACKAGE)
    rows.append((PYPI_PACKAGE, pinned_pypi(PYPI_PACKAGE), python_sdk))
    print("package                pinned     newest")
    for name, pinned, newest in rows:
        print(f"{name:<22} {pinned:<10} {newest}{'' if newest == pinned else '   <- newer'}")
    base = {k: v for k, v in os.environ.items() if k not in versions.VARIABLES}
    newer = {name: newest for name, pinned, newest in rows if newest != pinned}
    if not newer:
        print("Every pin is already the newest: one run, on the pins.")
        failed = run_suite("the pins (= the newest)", base, None)
        report("on the newest versions (the pins)", failed)
        return 1 if failed else 0
    on_pins = run_suite("the pins", base, None)
    latest = dict(base)
    if "unleash-server" in newer:
        latest["UNLEASH_VERSION"] = newer["unleash-server"]
    npm_sdks = [f"{n}={v}" for n, v in newer.items() if n not in ("unleash-server", PYPI_PACKAGE)]
    if npm_sdks:
        latest["UNLEASH_NPM_OVERRIDES"] = " ".join(npm_sdks)
    on_latest = run_suite("the newest versions", latest, newer.get(PYPI_PACKAGE))
    broke = {name: why for name, why in on_latest.items() if name not in on_pins}
    report("with the newest versions (they pass on the pins)", broke)
    if both := sorted(set(on_latest) & set(on_pins)):
        print(f"Failing on the pins too (not drift): {', '.join(both)}")
    return 1 if broke else 0


def report(where: str, broke: dict[str, str]) -> None:
    print(f"\n=== claims that broke {where}: {len(broke)} ===")
    for name, why in sorted(broke.items()):
        print(f"BROKE  {name}\n       {why}")
    if not broke:
        print("none: every claim holds.")


if __name__ == "__main__":
    sys.exit(main())
