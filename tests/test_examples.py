"""The sample files in examples/ (shown on the pages through snippets) run against the live server."""

from __future__ import annotations

import re

import requests

from conftest import PYTHON, ROOT, run_sample
from unleash_sandbox import Sandbox

EXAMPLES = ROOT / "examples"


def test_create_backend_token(unleash: Sandbox, sample_env: dict[str, str]) -> None:
    out = run_sample([PYTHON, str(EXAMPLES / "create_backend_token.py")], sample_env)
    summary, secret = out.splitlines()
    try:
        assert summary == "201 backend development ['default']"
        # A new token's secret is "<project>:<environment>.<random hex>".
        assert re.fullmatch(r"default:development\.[0-9a-f]{56}", secret), secret
        # ... and it really is a working backend token: the client API accepts it.
        features = requests.get(
            f"{unleash.url}/api/client/features", headers={"Authorization": secret}, timeout=10
        )
        assert features.status_code == 200
    finally:
        requests.delete(
            f"{unleash.url}/api/admin/api-tokens/{secret}",
            headers={"Authorization": unleash.admin_token},
            timeout=10,
        )
