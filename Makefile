# The two commands a fresh clone needs: `make serve` and `make test`. Everything they need is
# installed on first use: Debian packages (as root), the locked Python env, the pinned Node + Unleash.
SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
UNLEASH_PORT ?= 4242
SITE_PORT ?= 8000
SYNCED := $(VENV)/.synced-$(shell sha256sum uv.lock | cut -c1-16)-bytecode
# Everything the project downloads is kept in one folder (`make clean` removes it): the npm
# install of Node and Unleash, the readers' environment, and uv's and npm's download caches
# (unleash_sandbox.installs.cache_dir() is the same folder).
export UNLEASH_SANDBOX_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/unleash-api-docs
export UV_CACHE_DIR := $(UNLEASH_SANDBOX_CACHE)/uv
# Where PYTHONDONTWRITEBYTECODE is set (as on our machines), every Python process of a run (the
# workers, the page check's, the fault tests' own pytest runs) would compile the project's modules
# and rewrite its test modules again: about half a second of CPU each (measured). Their bytecode
# goes to __pycache__ folders in the tree, which git ignores and `make clean` removes.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: serve check test test-latest test-foreign soak bench install system-deps build screenshots \
	lighthouse clean build-zensical

# Both ports are checked before anything starts; the sandbox's `export` lines are the last thing
# printed before the site's own log.
serve: install
	@$(PY) -m unleash_sandbox ports --change 'make serve {name}={port}' \
	  UNLEASH_PORT=$(UNLEASH_PORT) SITE_PORT=$(SITE_PORT)
	@$(PY) -m unleash_sandbox up --port $(UNLEASH_PORT) -- \
	  $(VENV)/bin/mkdocs serve -a 127.0.0.1:$(SITE_PORT)

# Two workers (pytest-xdist): tests that share something costly stay on one (tests/harness/parallel.py).
WORKERS ?= 2
PARALLEL := -n $(WORKERS) --dist loadgroup --no-loadscope-reorder

# One page's checks against the running `make serve` sandbox (start it in another shell first):
# the strict build, the page's code blocks and claim tests; the run names what it leaves out.
check: install
	@test -n "$(PAGE)" || { echo "Name the page: make check PAGE=docs/reference/front-end-api.md"; exit 2; }
	@$(PY) -m pytest $(PARALLEL) -q -p no:cacheprovider --no-header -rs \
	  --page="$(PAGE)" --serve-port=$(UNLEASH_PORT)

test: install
	$(PY) -m pytest $(PARALLEL)

# The drift watch: the suite against the newest unleash-server and SDKs; names the claims that broke.
test-latest: install
	$(PY) scripts/test_latest.py

# The suite against a server that is not its own: once, then twice at once (part of CI).
test-foreign: install
	$(PY) scripts/foreign_run.py

# The full suite N times in a row, pass/fail per run: flakes show here.
N ?= 5
soak: install
	@pass=0; for i in $$(seq 1 $(N)); do \
	  if $(PY) -m pytest $(PARALLEL) -q -p no:cacheprovider > /tmp/soak-$$i.log 2>&1; then echo "run $$i: pass"; pass=$$((pass+1)); \
	  else echo "run $$i: FAIL (log: /tmp/soak-$$i.log)"; fi; done; \
	echo "soak: $$pass/$(N) green"; test $$pass -eq $(N)

screenshots: install
	$(PY) -m pytest -q tests/test_ui_guide.py tests/test_ui_tokens.py --update-screenshots

lighthouse: install
	$(PY) scripts/lighthouse.py

bench: install
	$(PY) scripts/bench.py

build: install
	$(VENV)/bin/mkdocs build --strict

# The same mkdocs.yml built by Zensical into site-zensical/ (README: the migration gap).
build-zensical: install
	$(PY) -m site_tools.builders zensical site-zensical

# Quiet when everything is installed; on a first run, one line per stage that fetches.
install: system-deps $(SYNCED)
	@$(PY) -m unleash_sandbox install >/dev/null

system-deps:
	@bash scripts/system-deps.sh

# Bytecode compiled once here: Python then reads it, even where PYTHONDONTWRITEBYTECODE is set
# (as on our machines), instead of compiling every module in each of the run's Python processes.
$(SYNCED): pyproject.toml uv.lock
	@echo "Installing the Python tools into $(VENV) from uv.lock (MkDocs, pytest, Playwright: about 480 MB, once)..."
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || { $(PY) -m ensurepip >/dev/null 2>&1; \
	  $(PY) -m pip install -q --no-cache-dir --disable-pip-version-check uv==$(UV_VERSION); }
	@$(VENV)/bin/uv sync --frozen --inexact --compile-bytecode --python $(PY) -q
	@rm -f $(VENV)/.synced-* && touch $@

# Removes what the project installed and cached, and says how much that freed. System packages
# (apt) stay: other software may use them.
clean:
	@bash scripts/clean.sh $(VENV) "$(UNLEASH_SANDBOX_CACHE)" site site-zensical .cache screenshots-diff lighthouse \
	  .pytest_cache .ruff_cache .mypy_cache $$(find . -path ./.venv -prune -o -name __pycache__ -type d -print)
