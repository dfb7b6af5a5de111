"""`make lighthouse`: Lighthouse (npm, pinned) on the built guide page, desktop and mobile.

Prints the four category scores for each, and what the page weighs as transferred, against the
targets. Reports are written to lighthouse/ (not committed). Numbers, not a test: scores move
with the machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from site_tools.browser import CHROMIUM_ARGS, chromium_path
from site_tools.static import serve_folder
from unleash_sandbox import installs

ROOT = Path(__file__).resolve().parent.parent

PAGE = "/how-to/how-to-create-api-tokens/"
TARGETS = {
    "desktop": {"performance": 100, "accessibility": 95, "best-practices": 100, "seo": 100},
    "mobile": {"performance": 95, "accessibility": 95, "best-practices": 100, "seo": 100},
}
MAX_BYTES = 600_000


def build(out: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    subprocess.run(
        [mkdocs, "build", "--strict", "-q", "-d", str(out)], cwd=ROOT, env=env, check=True
    )


def lighthouse(url: str, form: str, report: Path) -> dict[str, object]:
    modules = installs.install() / "node_modules"
    node = installs.node(modules)
    cli = modules / "lighthouse" / "cli" / "index.js"
    chrome = chromium_path(full=True)
    if chrome is None:
        raise SystemExit(
            "Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH"
        )
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    args = [str(node), str(cli), url, f"--chrome-flags={flags}", "--output=json", "--output=html",
            f"--output-path={report}", "--quiet", "--only-categories=performance,accessibility,best-practices,seo"]  # fmt: skip
    if form == "desktop":
        args.append("--preset=desktop")
    subprocess.run(args, env={**os.environ, "CHROME_PATH": chrome}, check=True, timeout=300)
    result: dict[str, object] = json.loads(report.with_suffix(".report.json").read_text())
    return result


def main() -> int:
    reports = ROOT / "lighthouse"
    reports.mkdir(exist_ok=True)
    ok = True
    with tempfile.TemporaryDirectory() as out:
        build(Path(out))
        with serve_folder(Path(out), "127.0.0.1", compress=True) as server:  # as hosts serve
            url = f"http://127.0.0.1:{server.server_address[1]}{PAGE}"
            print(f"Lighthouse on {PAGE}")
            for form, targets in TARGETS.items():
                result = lighthouse(url, form, reports / form)
                categories = result["categories"]  # type: ignore[index]
                scores = {key: round(categories[key]["score"] * 100) for key in targets}  # type: ignore[index]
                weight = result["audits"]["total-byte-weight"]["numericValue"]  # type: ignore[index]
                line = ", ".join(f"{k} {v} (target {targets[k]})" for k, v in scores.items())
                print(
                    f"  {form:<8} {line}; transferred {weight / 1000:.0f} KB (target <= {MAX_BYTES // 1000} KB)"
                )
                ok = ok and all(scores[k] >= targets[k] for k in targets) and weight <= MAX_BYTES
    print(f"reports: {reports}/desktop.report.html, {reports}/mobile.report.html")
    print("all targets met" if ok else "some targets are not met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
