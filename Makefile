# The two commands: `make run` (the whole local stack) and `make test` (install everything, pass).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install node chromium package fuzz bench clean-local

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

install: $(STAMP) node_modules/.installed

node: node_modules/.installed

run: install
	$(PY) manage.py serve

# Style (ruff), types (mypy, settings in pyproject.toml) and the layers (import-linter's contracts).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

test: install lint chromium
	$(PY) -m pytest -q -n 2 --dist loadfile

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; \
	else echo "warning: no $(CHROMIUM), and neither root nor sudo: the browser tests will be skipped" >&2; exit 0; fi; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	|| echo "warning: could not install chromium: the browser tests will be skipped" >&2

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/test_fuzz.py tests/test_fuzz_routes.py -p no:randomly

package: $(STAMP)
	$(PY) -m devtools.package --out build

# Every benchmark against its floor, into BENCHMARKS.md (bench/run_all.py; each script also runs
# alone). The first run loads 1,000,000 votes into .local/bench-tally (about 20 min on 2 cores);
# later runs reuse them.
bench: install
	$(PY) bench/run_all.py --out BENCHMARKS.md

clean-local:
	rm -rf .local
