"""Fixtures and hooks of the test harness: each concern is a module of tests/harness/."""

pytest_plugins = [
    "harness.page",  # first: harness.server imports it
    "harness.parallel",  # before harness.run, which imports it
    "harness.run",
    "harness.server",
    "harness.demo",
    "harness.flags",
    "harness.samples",
    "harness.sdk_runs",
    "harness.scratch",
    "harness.cors",
    "harness.lagging",
    "harness.reader",
    "harness.site",
    "harness.browser",
    "harness.screenshots",
    "harness.scope",
]
