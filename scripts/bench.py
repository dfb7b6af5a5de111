"""`make bench`: how fast the sandbox, the builds, the page loop and the suite are; medians.

Numbers only: nothing here asserts a time (machines are shared and noisy). Run it on an idle
machine. Each figure is the median of `--runs` runs (default 3), with its min and max.

  sandbox, new database    a sandbox whose database is made from nothing: initdb, and Unleash's
                           first start runs every migration (what each start cost before the template)
  sandbox, from template   a sandbox as the tests start it: the migrated template copied
  Unleash restart          Unleash started again on a database it has already migrated
  mkdocs / zensical build  `build --strict` of the site
  Unleash peak RSS         VmHWM of the Unleash process once it is ready and has served a few calls
  page loop                `make check PAGE=docs/reference/front-end-api.md` against a running sandbox,
                           warm (its first check is not counted)
  make test, warm          wall time of `make test`, everything installed; and its test time by
                           phase (the sum of its tests' setup, call and teardown times, on both
                           workers, from --durations): server starts, browser, site builds,
                           SDK and sample runs, claims, lagging waits
  make test, cold          `make test` in a fresh clone with no .venv and an empty project cache
                           (PyPI and npm downloads included; pip's and uv's caches stay warm)
  .ci/run                  the whole CI script (`--ci`)

`--quick` measures the sandbox, the builds and the page loop only.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import unleash_sandbox
from site_tools import builders
from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, installs, native
from unleash_sandbox._util import free_port, http
from unleash_sandbox.processes import env_without

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def sandbox_starts(runs: int, from_template: bool) -> tuple[list[float], list[float]]:
    """Seconds until a native sandbox answers, and its Unleash's peak RSS."""
    times, rss = [], []
    for _ in range(runs):
        began = time.perf_counter()
        with native.run(port=None, tokens=SANDBOX_TOKENS, login=SANDBOX_LOGIN,
                        from_template=from_template) as (url, pid, _):  # fmt: skip
            times.append(time.perf_counter() - began)
            for _ in range(5):
                http("GET", f"{url}/api/client/features", SANDBOX_TOKENS["backend"])
            rss.append(peak_rss_mib(pid))
    return times, rss


def restarts(runs: int) -> list[float]:
    """Unleash started again and again on one database (the first start, which migrates, not
    counted)."""
    times = []
    with native.run(port=None, tokens=SANDBOX_TOKENS, login=SANDBOX_LOGIN) as (_, pid, db):
        node_modules = installs.install() / "node_modules"
        with tempfile.TemporaryDirectory(prefix="unleash-bench-") as tmp:
            url = f"http://127.0.0.1:{free_port()}"
            env = native.unleash_env(db, url, SANDBOX_TOKENS, SANDBOX_LOGIN, Path(tmp))
            for _ in range(runs):
                with ExitStack() as unleash:
                    began = time.perf_counter()
                    native.start_unleash(url, node_modules, env, Path(tmp) / "u.log", unleash)
                    times.append(time.perf_counter() - began)
    return times


def build(runs: int, builder: str) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            began = time.perf_counter()
            done = builders.build(builder, Path(tmp) / f"site-{i}")
            times.append(time.perf_counter() - began)
            if done.returncode != 0:
                raise SystemExit(f"{builder} build failed:\n{done.stdout}{done.stderr}")
    return times


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return seconds, result.stdout


def page_loop(runs: int, env: dict[str, str]) -> list[float]:
    """`make check` on the front-end API page, against a sandbox started as `make serve` does,
    warm: after a first check that is not counted. A new server answers its first check about
    2 s more slowly than the next ones (measured: 11.2 s, then 8.9, 9.2 and 9.0 s); a
    contributor's sandbox has answered many."""
    port = free_port()
    with native.run(port=port, tokens=SANDBOX_TOKENS, login=SANDBOX_LOGIN):
        command = ["make", "--no-print-directory", "check", f"UNLEASH_PORT={port}",
                   "PAGE=docs/reference/front-end-api.md"]  # fmt: skip
        return [timed(command, ROOT, env)[0] for _ in range(1 + runs)][1:]


# The phases of `make test`, by what a test's time goes to (the first that matches wins).
PHASES = {
    "lagging waits": r"test_revoking__|test_expiry__a_new_expiry|test_delete_old__old_secret",
    "server starts": r"test_sandbox|test_faults|test_reader_path.py::test_reader_path\[1:get-started.md:32\]|test_what_to_check__too_many_tokens|test_a_sandbox_starts|test_claims_instances|test_make|test_versions|test_pins",
    "browser": r"test_site_browser|test_ui_|test_browser_cors|test_preview",
    "site builds": r"test_site\.py|test_secrets.py::test_no_real_secret_in_the_built_site",
    "SDK and sample runs": r"test_claims_sdk|test_examples|test_docs|test_shell|test_reader_path|test_claims_client_keys",
    "claims": r"test_claims_",
}


def phases(output: str) -> dict[str, float]:
    """Test time by phase, from a --durations=0 report (every setup, call and teardown)."""
    totals = dict.fromkeys([*PHASES, "other"], 0.0)
    for seconds, nodeid in re.findall(
        r"^(\d+\.\d+)s (?:call|setup|teardown)\s+(\S+)", output, re.M
    ):
        phase = next(
            (name for name, pattern in PHASES.items() if re.search(pattern, nodeid)), "other"
        )
        totals[phase] += float(seconds)
    return totals


def test_runs(runs: int, env: dict[str, str]) -> list[str]:
    warm, output = [], ""
    for _ in range(runs):
        seconds, output = timed(["make", "test", "PYTEST_ADDOPTS=--durations=0"], ROOT, env)
        warm.append(seconds)
    rows = [line("make test, warm", warm, "s", "<= 110 s")]
    rows.append("  its test time by phase (last run, both workers):")
    rows += [f"    {name:<22} {seconds:6.1f} s" for name, seconds in phases(output).items()]
    cold = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
            clone = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
            cache = {"UNLEASH_SANDBOX_CACHE": str(Path(tmp) / "cache")}
            cold.append(timed(["make", "test"], clone, {**env, **cache})[0])
    rows.append(line("make test, cold", cold, "s", "<= 200 s"))
    return rows


def line(name: str, values: list[float], unit: str, target: str) -> str:
    spread = f"min {min(values):.2f}, max {max(values):.2f}"
    return f"{name:<22} median {statistics.median(values):6.2f} {unit:<4} ({spread}, n={len(values)})  target {target}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the make test runs")
    parser.add_argument("--ci", action="store_true", help="also time .ci/run (once per run)")
    args = parser.parse_args()
    env = env_without("UNLEASH_", "PYTEST_")
    env["UNLEASH_SANDBOX_CACHE"] = str(installs.cache_dir())
    for key in ("UNLEASH_URL", "UNLEASH_ADMIN_TOKEN"):  # always measure our own sandbox
        os.environ.pop(key, None)
    installs.install()
    new_db, _ = sandbox_starts(args.runs, from_template=False)
    templated, rss = sandbox_starts(args.runs, from_template=True)
    rows = [
        line("sandbox, new database", new_db, "s", "(before the template)"),
        line("sandbox, from template", templated, "s", "(reported)"),
        line("Unleash restart", restarts(args.runs), "s", "(reported)"),
        line("mkdocs build --strict", build(args.runs, "mkdocs"), "s", "(reported)"),
        line("zensical build --strict", build(args.runs, "zensical"), "s", "(reported)"),
        line("Unleash peak RSS", rss, "MiB", "(reported)"),
        line("page loop (front-end)", page_loop(args.runs, env), "s", "<= 10 s"),
    ]
    if not args.quick:
        rows += test_runs(args.runs, env)
    if args.ci:
        ci = [timed([str(ROOT / ".ci" / "run")], ROOT, env)[0] for _ in range(args.runs)]
        rows.append(line(".ci/run", ci, "s", "<= 600 s"))
    print(f"bench on {os.cpu_count()} cores, Unleash {unleash_sandbox.pins.unleash_version()}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
