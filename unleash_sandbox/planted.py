"""A reader's real server: what it holds before the reader pastes a single sample.

Readers run the pages' samples on servers that already hold things of their own. `plant(server)`
puts such things on a server; `Planted.damage(server)` lists each of them that is gone, changed,
switched or loosened. The reader path (tests/test_reader_path.py) plants them on its server before
the pages' blocks and checks them after two rounds of those blocks; `make test-foreign` plants
them on the server the suites share.

What a reader's server holds, and why each is there:

- the same token name the pages use (`checkout-service`) in another environment, of another type,
  for other projects, and a twin of the very token the pages create (a second deployment of the
  service): a sample that deletes "by name" takes them;
- another service's token;
- a CORS allowlist of the reader's own origins, without `*`: a sample that replaces the list, or
  allows every origin, loosens it;
- a live flag, on in both environments: a sample that switches flags other than its own
  switches it;
- a user with a personal access token.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from typing import Any

from . import Sandbox
from ._util import http

PAGE_TOKEN_NAME = "checkout-service"  # the name the pages give the token they create
TOKENS = [  # (name, type as created, environment, projects)
    (PAGE_TOKEN_NAME, "backend", "development", ["default"]),  # a twin of the pages' token
    (PAGE_TOKEN_NAME, "backend", "production", ["default"]),
    (PAGE_TOKEN_NAME, "frontend", "development", ["default"]),
    (PAGE_TOKEN_NAME, "backend", "development", ["*"]),
    ("billing-service", "backend", "development", ["default"]),
]
ORIGINS = ["https://shop.reader.example", "https://admin.reader.example"]
CORS = "/api/admin/ui-config/cors"


@dataclass
class Planted:
    tokens: dict[str, tuple[str, str, str, list[str]]] = field(default_factory=dict)  # by secret
    origins: list[str] = field(default_factory=list)
    flag: str = ""
    flag_state: dict[str, Any] = field(default_factory=dict)
    user_id: int = 0
    pat: str = ""

    def listing(self) -> list[str]:
        """One line per planted thing, for the test's output."""
        lines = [f"token {name} ({kind}, {env}, projects {projects})"
                 for name, kind, env, projects in self.tokens.values()]  # fmt: skip
        lines.append(f"CORS origins {self.origins}")
        lines.append(f"flag {self.flag}: {self.flag_state}")
        lines.append(f"user {self.user_id} with a personal access token")
        return lines

    def damage(self, server: Sandbox) -> list[str]:
        """What is no longer as planted: deleted, changed, switched, loosened."""
        found = []
        listed = {t["secret"]: t for t in _get(server, "/api/admin/api-tokens")["tokens"]}
        for secret, (name, kind, env, projects) in self.tokens.items():
            token = listed.get(secret)
            if token is None:
                found.append(f"deleted: token {name} ({kind}, {env}, {projects})")
            elif (token["tokenName"], token["environment"], token["projects"]) != (
                name, env, projects
            ):  # fmt: skip
                found.append(f"changed: token {name} ({kind}, {env}, {projects}): {token}")
            elif token.get("expiresAt"):
                found.append(f"changed: token {name} ({kind}, {env}) now expires")
        origins = _get(server, "/api/admin/ui-config")["frontendApiOrigins"]
        if lost := [o for o in self.origins if o not in origins]:
            found.append(f"replaced: CORS origins {lost} removed (now {origins})")
        if "*" in origins and "*" not in self.origins:
            found.append(f"loosened: CORS now allows every origin (now {origins})")
        if (state := _flag_state(server, self.flag)) != self.flag_state:
            found.append(f"switched: flag {self.flag} was {self.flag_state}, now {state}")
        user = _get(server, f"/api/admin/user-admin/{self.user_id}", ok=(200, 404))
        if not user or http("GET", f"{server.url}/api/admin/api-tokens", self.pat)[0] != 200:
            found.append(f"deleted: user {self.user_id} or their personal access token")
        return found


def plant(server: Sandbox, origins_before: list[str] | None = None) -> Planted:
    """Put a reader's things on `server`. The CORS allowlist becomes the reader's own origins
    (added to what the server allows already, less `*`)."""
    tag = uuid.uuid4().hex[:6]
    planted = Planted()
    for name, kind, env, projects in TOKENS:
        body = {"tokenName": name, "type": kind, "environment": env, "projects": projects}
        made = _call(server, "POST", "/api/admin/api-tokens", body, 201)
        planted.tokens[made["secret"]] = (name, kind, env, projects)
    current = _get(server, "/api/admin/ui-config")["frontendApiOrigins"]
    planted.origins = [o for o in current if o != "*"] + [o for o in ORIGINS if o not in current]
    _call(server, "POST", CORS, {"frontendApiOrigins": planted.origins}, 204)
    _get(server, "/api/admin/ui-config")  # applies the new list at once
    planted.flag = f"reader-live-{tag}"
    features = "/api/admin/projects/default/features"
    _call(server, "POST", features, {"name": planted.flag, "type": "release"}, 201)
    for env in ("development", "production"):
        _call(server, "POST", f"{features}/{planted.flag}/environments/{env}/on", None, 200)
    planted.flag_state = _flag_state(server, planted.flag)
    planted.user_id, planted.pat = _user_with_pat(server, f"reader-{tag}")
    return planted


def _call(server: Sandbox, method: str, path: str, body: Any, expected: int) -> Any:
    status, answer = http(method, f"{server.url}{path}", server.admin_token, body)
    assert status == expected, f"{method} {path}: {status} {answer}"
    return answer


def _get(server: Sandbox, path: str, ok: tuple[int, ...] = (200,)) -> Any:
    status, answer = http("GET", f"{server.url}{path}", server.admin_token)
    assert status in ok, f"GET {path}: {status} {answer}"
    return answer if status == 200 else None


def _flag_state(server: Sandbox, flag: str) -> dict[str, Any]:
    feature = _get(server, f"/api/admin/projects/default/features/{flag}", ok=(200, 404))
    if feature is None:
        return {}
    return {
        env["name"]: (env["enabled"], sorted(s["name"] for s in env["strategies"]))
        for env in feature["environments"]
    }


def _user_with_pat(server: Sandbox, name: str) -> tuple[int, str]:
    """A new Editor who logs in and makes a personal access token, as people on a server do."""
    password = f"Reader-{uuid.uuid4().hex}"
    user = _call(server, "POST", "/api/admin/user-admin", {
        "username": name, "email": f"{name}@example.com", "name": name, "rootRole": 2,
        "password": password, "sendEmail": False}, 201)  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def post(path: str, body: Any) -> Any:
        request = urllib.request.Request(f"{server.url}{path}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"}, method="POST")  # fmt: skip
        with opener.open(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    post("/auth/simple/login", {"username": name, "password": password})
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    pat = post("/api/admin/user/tokens", {"description": "reader-script", "expiresAt": expires})
    return int(user["id"]), str(pat["secret"])
