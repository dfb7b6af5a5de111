"""mkdocs-macros: variables for pages that opt in with `render_macros: true`."""

from typing import Any

from unleash_sandbox import pins


def define_env(env: Any) -> None:
    env.variables["unleash_version"] = pins.unleash_version()
