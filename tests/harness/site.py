"""The site, built strictly into a temp dir by each builder and served on loopback as a static host serves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from site_tools.builders import BUILDERS, build
from site_tools.static import serve_folder


@pytest.fixture(scope="session", params=BUILDERS)
def builder(request: pytest.FixtureRequest) -> str:
    """Which build the site checks look at: MkDocs + Material (primary) and Zensical, both."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def site(builder: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built strictly into a temp dir, by each builder (links: test_site.py checks them)."""
    out = tmp_path_factory.mktemp(f"site-{builder}") / "site"
    result = build(builder, out)
    assert result.returncode == 0, (
        f"{builder} build --strict failed:\n{result.stdout}{result.stderr}"
    )
    return out


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """The built site, served on a free loopback port, as a static host would serve it."""
    with serve_folder(site, "127.0.0.1") as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"
