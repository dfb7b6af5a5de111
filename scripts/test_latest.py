"""`make test-latest`: the drift watch. The suite against the newest unleash-server and SDKs.

It asks npm and PyPI for the newest unleash-server, unleash-client, unleash-proxy-client and
UnleashClient. When every pin is already the newest, it says so and runs the suite once. Otherwise
it runs the suite on the pins, then on the newest versions, and names the claims (tests) that
pass on the pins and fail on the newest: what a version bump would break. Exit 0 when none broke.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from unleash_sandbox import SandboxError, pins, versions

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
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(rf"^{name} \(([^)]+)\)", result.stdout, re.MULTILINE | re.IGNORECASE)
    if result.returncode != 0 or not found:
        raise SystemExit(f"test-latest: pip could not list {name}: {result.stderr.strip()[-300:]}")
    return found.group(1)


def run_suite(label: str, env: dict[str, str], python_sdk: str | None) -> dict[str, str]:
    """Run the whole suite; return {test id: first line of its failure} for what did not pass."""
    with tempfile.TemporaryDirectory(prefix="test-latest-") as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if python_sdk is not None:  # the project's env with the newer Python SDK laid over it
            uv = str(Path(sys.executable).parent / "uv")
            command = [uv, "run", "--frozen", "--with", f"{PYPI_PACKAGE}=={python_sdk}", "python"]
            command += ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
        print(f"\n=== the suite on {label} ===", flush=True)
        done = subprocess.run([*command, f"--junitxml={report}"], cwd=ROOT, env=env)
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
    try:
        npm = versions.npm_path()
        rows = [(name, pins.dependencies()[name], newest_npm(npm, name)) for name in NPM_PACKAGES]
    except SandboxError as error:
        print(f"test-latest: {error}", file=sys.stderr)
        return 2
    rows.append((PYPI_PACKAGE, pinned_pypi(PYPI_PACKAGE), newest_pypi(PYPI_PACKAGE)))
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
