"""Claims true from some Unleash version on: `@pytest.mark.since_unleash(8, reason="...")`.

On an older server the test is skipped, and the skip says which version the claim needs, which
version answered, and the reason (the page says the claim is that version's).
"""

from __future__ import annotations

import pytest

from version_notes import server_major


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "since_unleash(major, reason): the claim holds from Unleash <major>.x on (page says so)",
    )


@pytest.fixture(autouse=True)
def _since_unleash(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("since_unleash")
    if marker is None:
        return
    needs, reason = marker.args[0], marker.kwargs["reason"]
    major = server_major(request.getfixturevalue("unleash"))
    if major < needs:
        pytest.skip(f"true from Unleash {needs}.x on, this server is {major}.x: {reason}")
