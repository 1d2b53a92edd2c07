# Takedown: everything a newcomer needs is a make target. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13: the virtual environments are built on it so local runs match.
# The first python3.13 that really runs (a pyenv shim may exist without the version active).
PYTHON313 ?= $(shell for p in "$$(PYENV_VERSION=$$(pyenv versions --bare 2>/dev/null | grep '^3\.13' | tail -1) \
	pyenv which python3.13 2>/dev/null)" "$$(command -v python3.13)"; do \
	[ -n "$$p" ] && "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && echo "$$p" && break; done)
VENV := .venv
TOOLS := .tools
CHECKOV := .checkov
PY := $(VENV)/bin/python
export SAM_CLI_TELEMETRY := 0
# sam build looks for python3.13 on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: help install chromium test lint unit integration e2e packaging build demo bench eval events clean

help:
	@echo "make demo   - run the whole pipeline on local parts and show what happened"
	@echo "make test   - lint the template and code, then every test (unit, integration, packaging, e2e)"
	@echo "make bench  - print the performance figures as JSON lines"
	@echo "make eval   - precision and recall of the judgement on the evaluation corpus, with its gate"
	@echo "make build  - the functions and the layer as deployed (sam build, then bytecode), in .aws-sam/build"

$(VENV)/.installed: requirements-dev.txt layers/takedown/requirements.txt cli/requirements.txt pyproject.toml local/pyproject.toml local/requirements.txt
	@test -n "$(PYTHON313)" || { echo "python3.13 not found (pyenv install 3.13.0, or set PYTHON313=...)"; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e . -e local
	touch $@

$(TOOLS)/.installed: requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON313) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $@

$(CHECKOV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON313) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's Chromium through Playwright (never Playwright's own download):
# installed from Debian's packages when it is missing (as root; otherwise say how).
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "$(CHROMIUM) is missing: sudo apt-get install -y chromium"; exit 1; fi; }

install: $(VENV)/.installed $(TOOLS)/.installed $(CHECKOV)/.installed node_modules/.installed chromium

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy  # the packages and their strictness: [tool.mypy] in pyproject.toml
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/sam validate --lint
	$(CHECKOV)/bin/checkov --quiet --compact --skip-download -f template.yaml

test: lint
	$(PY) -m pytest -n 2 --dist loadgroup -m "not e2e"
	@# The end-to-end tests time the whole local stack (every burst detection recorded within seconds
	@# of receipt): they run after the rest, alone, so no other test takes their two CPUs.
	$(PY) -m pytest -n 0 -m e2e

# The application as deployed: `sam build`, then every module of the functions, the layer and its
# dependencies compiled to bytecode that Python uses without looking at the source. Lambda's code
# is read-only and `sam package` dates every file 1980, so Python can neither keep nor trust bytecode
# of its own: without this each cold start compiles the library and its dependencies again (the
# inspector's handler imported in 2.5 s instead of 0.7 s on this project's machine).
BUILD_DIR ?= .aws-sam/build
ARCHITECTURE ?= arm64
build: $(VENV)/.installed $(TOOLS)/.installed
	@# --no-cached: the .aws-sam cache may hold another architecture's build
	$(TOOLS)/bin/sam build --no-cached --parameter-overrides Architecture=$(ARCHITECTURE) --build-dir $(BUILD_DIR)
	$(PY) -m compileall -q -j 0 --invalidation-mode unchecked-hash $(BUILD_DIR)

demo: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/takedown-local demo

# The judgement on the evaluation corpus (and its obfuscated copy): exit 1 on a false undo or recall < 0.95.
eval: $(VENV)/.installed
	$(VENV)/bin/takedown model evaluate --gate

bench: $(VENV)/.installed node_modules/.installed
	$(PY) bench/run.py

events: $(VENV)/.installed
	$(VENV)/bin/takedown-local events

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
