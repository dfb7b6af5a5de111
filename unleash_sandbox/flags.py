"""Deleting flags of the default project without bringing the server down.

Unleash writes a flag's lifecycle stages in the background: `initial` a moment after the flag is
made, `archived` a moment after it is archived (measured on 8.2: 0.7 and 0.9 s; 7.6.5 does the
same). Each write first checks that the flag exists, then inserts the stage. When the flag is
deleted between the two, the insert breaks a foreign key, nothing catches the error, and the
server exits (seen in a run of the suite: the server's log ends with an insert into
`feature_lifecycles` for a flag a test had just deleted). So a flag is archived only once its
first stage is written, and deleted only once its `archived` stage is. A server that writes no
stages costs one wait of STAGE_WAIT_S per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import Sandbox, SandboxError
from ._util import http, poll

FEATURES = "/api/admin/projects/default/features"
STAGE_WAIT_S = 5  # a stage is written within about a second (measured); a server that writes none


def delete_flags(server: Sandbox, names: Iterable[str]) -> None:
    """Archive and then delete these flags of the default project, together: the waits for
    their stages overlap. A flag that is not there is skipped."""
    names = [
        n for n in names if http("GET", f"{server.url}{FEATURES}/{n}", server.admin_token)[0] == 200
    ]
    if not names:
        return

    def stages(name: str) -> list[str] | None:
        status, answer = http("GET", f"{server.url}{FEATURES}/{name}/lifecycle", server.admin_token)
        return [s["stage"] for s in answer] if status == 200 else None  # None: no stages here

    def written(stage: Callable[[list[str]], bool]) -> Callable[[], bool | None]:
        def check() -> bool | None:
            found = [stages(name) for name in names]
            return True if all(s is None or stage(s) for s in found) else None

        return check

    recorded = _waited("the flags' first lifecycle stage", written(bool))
    for name in names:
        http("DELETE", f"{server.url}{FEATURES}/{name}", server.admin_token)  # archive ...
    if recorded:
        _waited("the flags' archived stage", written(lambda s: "archived" in s))
    for name in names:
        http("DELETE", f"{server.url}/api/admin/archive/{name}", server.admin_token)  # ... delete


def _waited(what: str, check: Callable[[], bool | None]) -> bool:
    """Whether `check` passed within STAGE_WAIT_S (a server that writes no stages: it did not)."""
    try:
        poll(what, check, STAGE_WAIT_S, 0.1)
    except SandboxError:
        return False
    return True
