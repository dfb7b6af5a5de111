# The two commands a fresh clone needs: `make serve` and `make test`. Everything they need is
# installed on first use: Debian packages (as root), the locked Python env, the pinned Node + Unleash.
SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
UNLEASH_PORT ?= 4242
SYNCED := $(VENV)/.synced-$(shell sha256sum uv.lock | cut -c1-16)

.PHONY: serve test bench install system-deps build screenshots lighthouse

serve: install
	$(PY) -m unleash_sandbox up --port $(UNLEASH_PORT) -- $(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

test: install
	$(PY) -m pytest

screenshots: install
	$(PY) -m pytest -q tests/test_ui_guide.py --update-screenshots

lighthouse: install
	$(PY) scripts/lighthouse.py

bench: install
	$(PY) scripts/bench.py

build: install
	$(VENV)/bin/mkdocs build --strict

install: system-deps $(SYNCED)
	$(PY) -m unleash_sandbox install >/dev/null

system-deps:
	@bash scripts/system-deps.sh

$(SYNCED): pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --inexact --python $(PY) -q
	@rm -f $(VENV)/.synced-* && touch $@
