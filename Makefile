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

.PHONY: serve test test-foreign soak bench install system-deps build screenshots lighthouse

serve: install
	$(PY) -m unleash_sandbox up --port $(UNLEASH_PORT) -- $(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

test: install
	$(PY) -m pytest

# The suite against a server that is not its own: once, then twice at once (part of CI).
test-foreign: install
	$(PY) scripts/foreign_run.py

# The full suite N times in a row, pass/fail per run: flakes show here.
N ?= 5
soak: install
	@pass=0; for i in $$(seq 1 $(N)); do \
	  if $(PY) -m pytest -q -p no:cacheprovider > /tmp/soak-$$i.log 2>&1; then echo "run $$i: pass"; pass=$$((pass+1)); \
	  else echo "run $$i: FAIL (log: /tmp/soak-$$i.log)"; fi; done; \
	echo "soak: $$pass/$(N) green"; test $$pass -eq $(N)

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
	@test -x $(VENV)/bin/uv || { $(PY) -m ensurepip >/dev/null 2>&1; \
	  $(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION); }
	$(VENV)/bin/uv sync --frozen --inexact --python $(PY) -q
	@rm -f $(VENV)/.synced-* && touch $@
