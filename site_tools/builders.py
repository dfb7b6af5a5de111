"""The site's two builds from the one mkdocs.yml: MkDocs + Material (primary) and Zensical.

Used by the tests (the built-site checks run on both outputs) and by `make bench` (build times).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from unleash_sandbox.installs import shared_lock
from unleash_sandbox.pins import ROOT

BUILDERS = ("mkdocs", "zensical")
# Plugins of mkdocs.yml the Zensical build leaves out, and why (the README's migration gap).
ZENSICAL_LEAVES_OUT = {
    "glightbox": "Zensical's own lightbox loads GLightbox from a CDN at run time: offline it fails",
}
_BIN = Path(sys.executable).parent


def build(builder: str, out: Path) -> subprocess.CompletedProcess[str]:
    """Build the site strictly into `out` (which must not exist yet); the caller checks the exit."""
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    if builder == "mkdocs":
        args = [str(_BIN / "mkdocs"), "build", "--strict", "-q", "-d", str(out)]
        return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if builder != "zensical":
        raise ValueError(f"unknown builder {builder!r}: one of {BUILDERS}")
    # Zensical writes only inside the project: build into a hidden folder there, then move it out.
    run_id = uuid.uuid4().hex[:8]
    inside, config = ROOT / f".site-zensical-{run_id}", ROOT / f".site-zensical-{run_id}.yml"
    config.write_text(zensical_config())
    args = [str(_BIN / "zensical"), "build", "--strict", "-f", str(config)]
    try:
        with shared_lock("zensical"):  # one build at a time shares the project's .cache/
            result = subprocess.run(
                args,
                cwd=ROOT,
                env={**env, "SITE_DIR": inside.name},
                capture_output=True,
                text=True,
                timeout=120,
            )
        if result.returncode == 0:
            shutil.move(inside, out)
    finally:
        shutil.rmtree(inside, ignore_errors=True)
        config.unlink()
    return result


def zensical_config() -> str:
    """mkdocs.yml as it is, less the plugins in ZENSICAL_LEAVES_OUT."""
    lines = (ROOT / "mkdocs.yml").read_text().splitlines(keepends=True)
    dropped = {f"  - {name}" for name in ZENSICAL_LEAVES_OUT}
    kept = [line for line in lines if line.rstrip() not in dropped]
    if len(lines) - len(kept) != len(dropped):
        raise RuntimeError(f"mkdocs.yml no longer lists the plugins {sorted(dropped)} as lines")
    return "".join(kept)


if __name__ == "__main__":  # `make build-zensical`: python -m site_tools.builders zensical OUT
    name, target = sys.argv[1], Path(sys.argv[2])
    shutil.rmtree(target, ignore_errors=True)
    done = build(name, target)
    print(done.stdout + done.stderr, end="", file=sys.stderr)
    sys.exit(done.returncode)
