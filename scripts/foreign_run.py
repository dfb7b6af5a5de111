"""`make test-foreign`: the whole suite against a server that is not the suite's own.

A sandbox is started (as `python -m unleash_sandbox up` would) and handed to pytest only through
UNLEASH_URL and UNLEASH_ADMIN_TOKEN, as any reader's server would be. The suite runs once alone,
then twice at the same time. Before the runs the server gets what a reader's real server holds
(unleash_sandbox.planted: tokens of the pages' name in other scopes, another service's token, a
CORS allowlist of the reader's own, a live flag, a user with a personal access token). Every run
must pass, and afterwards the server must hold exactly the tokens, flags, users, tags and CORS
origins it held before, with nothing planted deleted, replaced, switched or loosened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import unleash_sandbox
from unleash_sandbox import Sandbox, installs, native
from unleash_sandbox._util import healthy, http, log_tail
from unleash_sandbox.planted import plant
from unleash_sandbox.processes import env_without

ROOT = Path(__file__).resolve().parent.parent


def state(server: Sandbox) -> dict[str, Any]:
    """What a test run may touch, in a form that compares equal when nothing changed."""

    def get(path: str) -> Any:
        status, body = http("GET", f"{server.url}{path}", server.admin_token)
        assert status == 200, (path, status, body)
        return body

    return {
        "tokens": sorted(
            (t["secret"], t["tokenName"], t["type"]) for t in get("/api/admin/api-tokens")["tokens"]
        ),
        "flags": sorted(f["name"] for f in get("/api/admin/projects/default/features")["features"]),
        "archived flags": sorted(
            f["name"]
            for f in get("/api/admin/search/features?archived=IS:true&limit=1000")["features"]
        ),
        "users": sorted(u["username"] or u["email"] for u in get("/api/admin/user-admin")["users"]),
        "tags": sorted((t["type"], t["value"]) for t in get("/api/admin/tags")["tags"]),
        "cors origins": get("/api/admin/ui-config")["frontendApiOrigins"],
    }


def run_suites(server: Sandbox, count: int) -> list[tuple[int, float, str]]:
    env = env_without("UNLEASH_") | {
        "UNLEASH_URL": server.url,
        "UNLEASH_ADMIN_TOKEN": server.admin_token,
    }
    began = time.monotonic()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for _ in range(count)
    ]
    results = []
    for run in runs:
        output, _ = run.communicate(timeout=1200)
        results.append((run.returncode, time.monotonic() - began, output))
    return results


def failures(output: str) -> str:
    """The failures of a suite's output (pytest's FAILURES section and short summary), not only
    its tail, which the per-page claims report fills."""
    start = output.find("= FAILURES =")
    end = output.find("= sentences about the server")
    summary = (
        output[output.find("short test summary") - 40 :] if "short test summary" in output else ""
    )
    body = output[start:end] if start != -1 else output[-4000:]
    return (body[-12000:] + "\n" + summary[-3000:]).strip()


def main() -> int:
    for key in [k for k in os.environ if k.startswith("UNLEASH_")]:
        del os.environ[key]
    passed = failed = 0
    with unleash_sandbox.start() as server:
        # a native server's log is in its folder, its working directory (docker: `docker logs`)
        logs = native.log_files(server.pid) if server.pid and server.mode == "native" else []
        log = logs[0] if logs else None
        planted = plant(server)
        print("planted on the server, as a reader's server holds them:", flush=True)
        for line in planted.listing():
            print(f"    {line}", flush=True)
        before = state(server)
        for label, count in (("alone", 1), ("two at once", 2)):
            for number, (code, seconds, output) in enumerate(run_suites(server, count), 1):
                summary = output.strip().splitlines()[-1] if output.strip() else "(no output)"
                print(
                    f"run {label} #{number}: exit {code} after {seconds:.0f} s: {summary}",
                    flush=True,
                )
                if code == 0:
                    passed += 1
                else:
                    failed += 1
                    print(failures(output))
                    kept = (
                        installs.failure_log_dir()
                        / f"foreign-{label.replace(' ', '-')}-{number}.log"
                    )
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    kept.write_text(output)
                    print(f"(the whole output of that run: {kept})")
            if not healthy(server.url, timeout=5):
                tail = log_tail(log) if log else "(see `docker logs`)"
                print(f"The server stopped answering. The end of its log ({log}):\n{tail}")
                return 1
        after = state(server)
        damage = planted.damage(server)
    changed = [key for key in before if before[key] != after[key]]
    for line in damage:
        print(f"planted: {line}")
    print("planted: " + ("HARMED" if damage else "intact"))
    for key in changed:
        print(
            f"server state changed: {key}\n  before: {json.dumps(before[key])}\n  after:  {json.dumps(after[key])}"
        )
    print("server state: " + (f"CHANGED ({', '.join(changed)})" if changed else "unchanged"))
    print(f"foreign: {passed} passed, {failed + len(changed) + len(damage)} failed")
    return 0 if not (failed or changed or damage) else 1


if __name__ == "__main__":
    sys.exit(main())
