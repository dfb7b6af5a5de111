"""`make bench`: how fast the sandbox and the site build are, as medians of several runs.

Numbers only: nothing here asserts a time (machines are shared and noisy).

  sandbox ready, cold  a fresh sandbox: new PostgreSQL data dir, migrations from scratch
                       (npm installs cached) - what every test session pays
  sandbox ready, warm  Unleash restarted against a database it has already migrated
  mkdocs build         `mkdocs build --strict`
  zensical build       `zensical build --strict` of the same mkdocs.yml (make build-zensical)
  Unleash peak RSS     VmHWM of the Unleash process once it is ready and has served a few calls
  make test, warm      wall time of `make test` here, everything installed (run once)
  make test, cold      wall time of `make test` in a fresh clone with an empty npm cache and no
                       .venv (PyPI and npm downloads included; pip's and uv's caches stay warm)
  slowest tests        the ten slowest test phases of the warm run

`--quick` skips the two `make test` runs.
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
from unleash_sandbox import SANDBOX_LOGIN, SANDBOX_TOKENS, database, installs, native
from unleash_sandbox._util import free_port, http

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def cold(runs: int) -> tuple[list[float], list[float]]:
    times, rss = [], []
    for _ in range(runs):
        began = time.perf_counter()
        with unleash_sandbox.start() as server:
            times.append(time.perf_counter() - began)
            for _ in range(5):
                http("GET", f"{server.url}/api/client/features", server.backend_token)
            assert server.pid is not None
            rss.append(peak_rss_mib(server.pid))
    return times, rss


def warm(runs: int) -> list[float]:
    node_modules = installs.install() / "node_modules"
    user = "nobody" if os.geteuid() == 0 else None
    times = []
    with tempfile.TemporaryDirectory(prefix="unleash-bench-") as tmp, ExitStack() as pg:
        if user is not None:
            os.chmod(tmp, 0o777)
        database_url = native.postgres(database.postgres_bin_dir(), Path(tmp), user, pg)
        url = f"http://127.0.0.1:{free_port()}"
        env = native.unleash_env(database_url, url, SANDBOX_TOKENS, SANDBOX_LOGIN, Path(tmp))
        for attempt in range(runs + 1):  # the first start migrates: not counted
            with ExitStack() as unleash:
                began = time.perf_counter()
                native.start_unleash(url, node_modules, env, Path(tmp) / "unleash.log", unleash)
                if attempt:
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


def make_test(cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(["make", "test", "PYTEST_ADDOPTS=--durations=10"], cwd=cwd, env=env,
                            capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(
            f"make test failed in {cwd}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return seconds, result.stdout


def slowest(output: str) -> list[str]:
    lines = output.split("slowest 10 durations", 1)[-1].splitlines()
    return [line for line in lines if re.match(r"\s*\d+\.\d+s (call|setup|teardown)", line)][:10]


def test_runs() -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNLEASH_")}
    warm, output = make_test(ROOT, env)
    rows = [line("make test, warm", [warm], "s", "<= 60 s")]
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        cold, _ = make_test(clone, {**env, "UNLEASH_SANDBOX_CACHE": str(Path(tmp) / "npm-cache")})
    rows.append(line("make test, cold", [cold], "s", "<= 180 s"))
    rows.append("ten slowest test phases (warm run):")
    rows += [f"  {row.strip()}" for row in slowest(output)]
    return rows


def line(name: str, values: list[float], unit: str, target: str) -> str:
    spread = f"min {min(values):.2f}, max {max(values):.2f}"
    return f"{name:<22} median {statistics.median(values):6.2f} {unit:<4} ({spread}, n={len(values)})  target {target}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the make test runs")
    args = parser.parse_args()
    for key in ("UNLEASH_URL", "UNLEASH_ADMIN_TOKEN"):  # always measure our own sandbox
        os.environ.pop(key, None)
    installs.install()
    cold_times, rss = cold(args.runs)
    rows = [
        line("sandbox ready, cold", cold_times, "s", "<= 6 s"),
        line("sandbox ready, warm", warm(args.runs), "s", "<= 3.5 s"),
        line("mkdocs build --strict", build(args.runs, "mkdocs"), "s", "<= 2 s"),
        line("zensical build --strict", build(args.runs, "zensical"), "s", "(reported)"),
        line("Unleash peak RSS", rss, "MiB", "(reported)"),
    ]
    if not args.quick:
        rows += test_runs()
    print(f"bench on {os.cpu_count()} cores, Unleash {unleash_sandbox.pins.unleash_version()}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
