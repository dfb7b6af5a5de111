"""The reader's path: every block a reader can run, in page order, as the pages tell it.

A fresh sandbox (the server `make serve` and `compose.yaml` give a reader: nothing on it but its
start-up tokens), the variables of the way-in page's `export` block (with this sandbox's
address), its install lines run in a folder of their own, and a PATH holding only the tools its
"You need" sentence names. Each file is saved under the name the page shows above it (`sample.py`
for an untitled block) and run with the command the page gives. What it prints is compared with
what the page shows: an output block, `#>` lines, or an "It prints `…`" sentence.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

import pytest
import requests
from intervals import DEMO_FLAG_WAIT_S
from playwright.sync_api import BrowserContext, expect

from blocks import SHELL_FENCES, WAY_IN, Block, expected_pattern, site_blocks
from harness.demo import exported
from harness.reader import (
    Reader,
    ReadersServer,
    install_blocks,
    installed,
    missing,
    named_tools,
    node_major,
    reader_folder,
    way_in_text,
)
from harness.run import READER_SERVER
from pages import nav_pages
from unleash_api import poll_until
from unleash_sandbox import SANDBOX_TOKENS, Sandbox
from unleash_sandbox._util import free_port
from unleash_sandbox.planted import Planted, plant
from unleash_sandbox.processes import default_sigint, stop_process
from version_notes import shown_for

SERVE = re.compile(r"^python3 -m http\.server (?P<port>\d+) --bind 127\.0\.0\.1$")
RUNS = re.compile(r"`(?P<command>(?:python|node|bash) (?P<file>[\w.-]+)(?: [^`]+)?)`")
LANGS = SHELL_FENCES | {"python", "py", "javascript", "js", "html", "jsx"}
SAVED_ONLY = {"html": "index.html", "jsx": "app.jsx"}  # files a later block serves or bundles


def serves(block: Block) -> bool:
    return block.lang in SHELL_FENCES and SERVE.match(block.code.strip()) is not None


def reader_blocks() -> list[Block]:
    """What a reader runs, in the order of the site's navigation and of each page."""
    order = {page: index for index, page in enumerate(nav_pages())}
    runnable = [
        b
        for b in site_blocks()
        if b.lang in LANGS and (not b.skip_reason or serves(b)) and b.page in order
    ]
    return sorted(runnable, key=lambda b: (order[b.page], b.line))


STEPS = reader_blocks()
ROUNDS = (1, 2)  # readers run steps again: every block runs twice, in page order each time


@pytest.fixture(scope="module")
def fresh_server(readers: ReadersServer) -> Sandbox:
    """A server of the reader's own, with a reader's settings, whatever server the rest of the
    run uses (harness.reader)."""
    return readers.sandbox


@pytest.fixture(scope="module")
def planted(fresh_server: Sandbox) -> Planted:
    """What a reader's real server holds before the first sample (unleash_sandbox.planted)."""
    return plant(fresh_server)


@pytest.fixture(scope="module")
def reader(
    fresh_server: Sandbox, planted: Planted, tmp_path_factory: pytest.TempPathFactory
) -> Reader:
    base = tmp_path_factory.mktemp("reader")
    (base / "home").mkdir()
    install = installed(base / "home")
    variables = exported(next(b.code for b in STEPS if b.page == WAY_IN and exported(b.code)))
    assert {k: v for k, v in variables.items() if k != "UNLEASH_URL"} == {
        f"UNLEASH_{kind.upper()}_TOKEN": secret for kind, secret in SANDBOX_TOKENS.items()
    }, "the way-in page's tokens are not the ones the sandbox starts with"
    # "for your own server, put in its address and your tokens"
    variables = {**variables, **fresh_server.env()}
    variables["PROXY_PORT"] = str(free_port())  # the page offers it for a busy port 3000
    return reader_folder(base / "work", install, variables, free_port())


def run(reader: Reader, block: Block, args: list[str] | None = None) -> str:
    """Run a shell block in the reader's terminal, or a saved file with `args`."""
    if args is None:
        done, what = reader.shell.run(block), "the block"
    else:
        done = subprocess.run(args, cwd=reader.folder, env=reader.env, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        reader.shell.remember(block, done.stdout)
        what = f"`{' '.join(args)}`"
    assert done.returncode == 0, missing(block, done) or (
        f"{block.key}: {what} exited {done.returncode}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done.stdout


def shown_output(block: Block) -> str | None:
    """What the page shows the block prints: an output block, `#>` lines, or 'It prints'."""
    if block.expected_output is not None:
        return block.expected_output
    lines = [line[3:] for line in block.source.splitlines() if line.startswith("#> ")]
    return "\n".join(lines) if lines else block.prints


def saved(reader: Reader, block: Block, neutral: str) -> str:
    """Save the block as the reader does: under the name the page shows, else a neutral one."""
    name = block.title or neutral
    (reader.folder / name).write_text(block.source)
    return name


def command_for(block: Block, name: str) -> list[str]:
    """The command the page gives to run a saved file (python/node FILE), from its prose."""
    if block.title is None:
        return ["python" if block.lang in ("python", "py") else "node", name]
    commands = [m for m in RUNS.finditer(block.before + " " + block.after) if m["file"] == name]
    assert commands, f"{block.key}: the page does not say how to run {name}"
    return commands[0]["command"].split()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def open_served_page(
    reader: Reader, block: Block, new_context: Callable[..., BrowserContext]
) -> str:
    """Start the page's web server in the background, open the address it gives, read the page."""
    port = reader.port
    command = block.code.strip().replace(SERVE.match(block.code.strip())["port"], str(port))
    address = re.search(r"`(http://127\.0\.0\.1:\d+/[^`]+)`", block.after)
    assert address, f"{block.key}: the page does not say which address to open"
    url = (
        re.sub(r":\d+/", f":{port}/", address[1], count=1)
        .replace("<your Unleash URL>", reader.env["UNLEASH_URL"])
        .replace("<front-end token>", reader.env["UNLEASH_FRONTEND_TOKEN"])
    )
    with subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=reader.folder, env=reader.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          preexec_fn=default_sigint) as server:  # fmt: skip
        try:
            poll_until(f"the page's web server to answer on port {port}",
                       lambda: True if answers(f"http://127.0.0.1:{port}/") else None, 15)  # fmt: skip
            page = new_context(intercept=False).new_page()  # as a reader's browser sends
            page.goto(url)
            result = page.locator("#result")
            expect(result).not_to_have_text("Asking Unleash…", timeout=15_000)
            return result.inner_text()
        finally:
            stop_process(server)  # Ctrl-C, as the reader stops it


@pytest.mark.claim("reference/sdks-and-tokens.md", "It prints `docs-demo enabled: true`.")  # fmt: skip
@pytest.mark.claim("get-started.md", "**Your own server**: any Unleash you may create tokens and flags on.", "You need its address, an admin token (or the personal access token of an admin), and a backend and a front-end token for the `development` environment ([how to create them](how-to/how-to-create-api-tokens.md)).")  # fmt: skip
@pytest.mark.claim('get-started.md', 'The Python samples need `requests` and the Python SDK.', 'The JavaScript samples need the Node SDK, the front-end SDK and, for the React sample, the React SDK, React and the bundler esbuild; the client-key sample needs the Unleash Proxy.', 'Install them in the same folder:', 'Save each sample under the file name shown above it.', 'Node runs the `.mjs` files as ES modules.', 'The samples read a flag named `docs-demo` that is on in `development`.', 'Check what the flag is now in each environment:')  # fmt: skip
@pytest.mark.claim('how-to/how-to-create-api-tokens.md', 'It needs `requests` ([Get started](../get-started.md#packages)):', 'It needs `requests`, which [Get started](../get-started.md#packages) installs.', 'Save it as `create_backend_token.py` and run it with `python create_backend_token.py`:', 'The same call with `"type": "frontend"` makes a token for code that runs in a browser or an app:')  # fmt: skip
@pytest.mark.claim('how-to/how-to-rotate-an-api-token.md', "The calls need your server's address in `UNLEASH_URL` and an admin token in `UNLEASH_ADMIN_TOKEN`, as [Get started](../get-started.md#environment) sets them, and `jq`.", 'It prints the new token (your secret differs):')  # fmt: skip
@pytest.mark.claim('index.md', 'Then paste the samples as they are.')  # fmt: skip
@pytest.mark.claim('reference/api-tokens-and-client-keys.md', 'Ask the server for a token and look at the parts of its secret (this sample needs `requests`, as [Get started](../get-started.md#packages) installs it):')  # fmt: skip
@pytest.mark.claim('reference/front-end-api.md', 'This script does that; save it as `add_cors_origin.sh`:', 'Run it with your origin: `bash add_cors_origin.sh https://shop.example.com`.')  # fmt: skip
@pytest.mark.claim('reference/sdks-and-tokens.md', '[Get started](../get-started.md) sets the variables, installs the SDKs and creates the flag.', 'It needs the package `UnleashClient`, which [Get started](../get-started.md#packages) installs.', 'Save this file as `sdk_python.py` and run it with `python sdk_python.py`:', 'It prints `docs-demo enabled: True`.', 'It needs the package `unleash-client`, which [Get started](../get-started.md#packages) installs.', 'It needs the package `unleash-proxy-client`, which [Get started](../get-started.md#packages) installs.', 'Copy its browser build next to your page:', 'Save this page beside it as `index.html`.', 'It needs a front-end token and the front-end API URL, which it takes from its own address:', 'Save it as `frontend_node.mjs` and run it with `node frontend_node.mjs`:', '[Get started](../get-started.md#packages) installs it, with React and the bundler esbuild.', 'Save this component as `app.jsx`:', 'Bundle it for the browser into `app.js`:', 'Save this page beside it as `react.html`:')  # fmt: skip
@pytest.mark.claim("get-started.md", 'This waits until it serves `docs-demo`, half a minute at most, and then says whether it does:')  # fmt: skip
@pytest.mark.claim("index.md", "The samples read your server's address from `UNLEASH_URL` and tokens from `UNLEASH_ADMIN_TOKEN`, `UNLEASH_BACKEND_TOKEN` and `UNLEASH_FRONTEND_TOKEN`: [Get started](get-started.md) sets them, installs what the samples import and creates the flag they read.")  # fmt: skip
@pytest.mark.claim("reference/sdks-and-tokens.md", "Each sample below reads the server's address from `UNLEASH_URL` and its token from an environment variable, and reads the flag `docs-demo`, which is on in `development`.", "Serve the folder from a web server, for example Python's, and keep it running:", "Then open `http://127.0.0.1:8080/index.html?url=<your Unleash URL>&token=<front-end token>` in a browser: it shows `docs-demo enabled: true`.")  # fmt: skip
@pytest.mark.claim("get-started.md", "Every sample on this site runs as it is shown, once you have done what this page says: a server, four environment variables, a few packages, and a flag for the samples to read.", "The samples read the server's address and the tokens from four variables.", "For a sandbox, set them as they are; for your own server, put in its address and your tokens:", 'Install them into a virtual environment and keep it active while you run the samples:', 'Create it in the project `default` with the Admin API:', "Now every sample on the site works as shown, starting with [How to create API tokens](how-to/how-to-create-api-tokens.md).", 'Any of these gives you an Unleash server and the tokens the samples use:')  # fmt: skip
@pytest.mark.claim("get-started.md", "Do it once, in the folder where you will save the samples; every step can be run again.", 'The server answers `201` when it creates the flag, and `409` when a flag of that name exists already; either way, go on.')  # fmt: skip
@pytest.mark.parametrize(
    ("round", "block"),
    [(r, b) for r in ROUNDS for b in STEPS],
    ids=[f"{r}:{b.key}" for r in ROUNDS for b in STEPS],
)
def test_reader_path(
    round: int,
    block: Block,
    reader: Reader,
    new_context: Callable[..., BrowserContext],
    unleash: Sandbox,
) -> None:
    if block in install_blocks() or (block.page == WAY_IN and exported(block.code)):
        return  # done by the `reader` fixture, as the reader's first steps (and cached)
    if serves(block):
        output = open_served_page(reader, block, new_context)
    elif block.lang in SHELL_FENCES and block.snippet is None:
        output = run(reader, block)
    elif block.lang in SAVED_ONLY:
        saved(reader, block, SAVED_ONLY[block.lang])
        return  # a page or a component: bundled, served and opened by the blocks after it
    else:
        neutral = {"python": "sample.py", "py": "sample.py", "bash": "sample.sh"}
        name = saved(reader, block, neutral.get(block.lang, "sample.mjs"))
        output = run(reader, block, command_for(block, name))
    shown = shown_output(block)
    if shown is None or expected_pattern(shown_for(unleash, shown)).fullmatch(output.strip()):
        return
    again = re.findall(r"`(\d{3})`", block.after)  # "`409` when ... exists already"
    assert round > 1 and output.strip() in again, (
        f"{block.key} (round {round}): the page shows\n{shown}\nthe reader gets\n{output}"
    )


@pytest.mark.claim("get-started.md", '**You need** `bash`, `curl`, `jq`, `python3` (the samples are tested with Python 3.11), `node` (Node 20 or newer) and `npm`.')  # fmt: skip
def test_reader_has_the_tools_the_page_lists(reader: Reader) -> None:
    """The reader's terminal finds each tool; its Python is the one the page names, its Node new
    enough."""

    def version(*command: str) -> str:
        done = subprocess.run(command, env=reader.env, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    for tool in named_tools():
        assert shutil.which(tool, path=reader.env["PATH"]), f"{tool} is not on the reader's PATH"
    python = re.search(r"tested with Python (\d+\.\d+)", way_in_text())
    assert python and version("python3", "--version").startswith(f"Python {python[1]}.")
    assert int(version("node", "--version").lstrip("v").split(".")[0]) >= node_major()


def test_reader_server_keeps_what_it_held(
    fresh_server: Sandbox, planted: Planted, reader: Reader
) -> None:
    """After every block of every page, twice: nothing the reader's server held before is
    deleted, replaced, switched or loosened."""
    damage = planted.damage(fresh_server)
    READER_SERVER.extend(planted.listing())
    READER_SERVER.append(f"after every block twice: {'; '.join(damage) or 'all of it, unharmed'}")
    assert not damage, "the pages' blocks harmed the reader's server:\n" + "\n".join(damage)


@pytest.mark.claim("get-started.md", 'This waits until it serves `docs-demo`, half a minute at most, and then says whether it does:')  # fmt: skip
def test_the_demo_flag_wait_lasts_what_the_page_says() -> None:
    """The loop's tries times its pause is the page's "half a minute" (the reader path runs it)."""
    (loop,) = [b for b in STEPS if b.page == WAY_IN and "docs-demo" in b.code and "seq" in b.code]
    tries = re.search(r"\$\(seq (\d+)\)", loop.code)
    pause = re.search(r"^\s*sleep (\d+)$", loop.code, re.M)
    assert tries and pause, loop.code
    assert int(tries[1]) * int(pause[1]) == DEMO_FLAG_WAIT_S
