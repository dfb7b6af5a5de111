"""mkdocs-macros: variables for pages that opt in with `render_macros: true`."""

import logging
from typing import Any

from unleash_sandbox import pins

# The plugin reports its module, functions and variables at INFO on every build; a preview's
# terminal is better spent on the sandbox's lines and real warnings.
logging.getLogger("mkdocs.plugins.mkdocs_macros").setLevel(logging.WARNING)


def define_env(env: Any) -> None:
    env.variables["unleash_version"] = pins.unleash_version()
