# DRS Orchestrator. Every target creates and uses the project's own environments by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
# sam build needs the Lambda runtime's interpreter; pyenv finds it among these.
export PYENV_VERSION ?= 3.11.7:3.12.1:3.13.0
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
STAMP := .stamps
# The samconfig.toml environment to deploy (default, staging, prod): its stack name and its Region
# serve `make deploy`, `make deploy-console` and `make admin` alike (REGION= or STACK= override both).
ENV ?= default
STACK ?= $(shell $(PYTHON) scripts/samconfig.py $(ENV) stack_name)
REGION ?= $(shell $(PYTHON) scripts/samconfig.py $(ENV) region)

.DEFAULT_GOAL := help
.PHONY: help setup checkov test unit integration e2e lint typecheck validate pipeline-lint build build-check demo sandbox bench deploy openapi clean console console-test chromium deploy-console admin
CONSOLE_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json

help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP)/venv: pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMP)/sam: pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet "$$($(PYTHON) scripts/pin.py sam aws-sam-cli)"
	@touch $@

$(STAMP)/checkov: pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "$$($(PYTHON) scripts/pin.py checkov checkov)"
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP)/console-npm: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMP)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP)/venv $(STAMP)/sam $(STAMP)/checkov $(STAMP)/npm $(STAMP)/console-npm ## Create .venv, .venv-sam, .venv-checkov, node_modules and frontend/node_modules

frontend/dist/index.html: $(STAMP)/console-npm $(CONSOLE_SOURCES)
	cd frontend && npm run --silent build

console: frontend/dist/index.html ## Build the operator console (frontend/dist, served by the sandbox at /console/)

console-test: $(STAMP)/console-npm ## The console's component tests (Vitest), and its API types against docs/openapi.json
	cd frontend && npm run --silent api-types:check
	cd frontend && npx --no-install vitest run

chromium: ## Install Debian's chromium for the browser tests when it is missing (apt-get, as root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; }
	@chromium --version 2>/dev/null | head -1

lint: $(STAMP)/venv ## ruff and mypy (strict on lambda/shared)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy lambda/shared src

validate: setup ## cfn-lint, sam validate --lint and the ASL checks on every template
	$(VENV)/bin/cfn-lint template.yaml $(wildcard cfn/*.yaml)
	$(SAM) validate --lint --template template.yaml --region $(REGION)
	$(foreach t,$(wildcard cfn/*.yaml),$(SAM) validate --lint --template $(t) --region $(REGION) &&) true
	$(PY) scripts/check_asl.py cfn/statemachine/*.asl.json
	npx --no-install asl-validator --silent $(addprefix --json-path ,$(wildcard cfn/statemachine/*.asl.json))

pipeline-lint: $(STAMP)/venv $(STAMP)/checkov ## The pipeline example: cfn-lint, checkov and its buildspecs (make targets, samconfig environments)
	$(VENV)/bin/cfn-lint pipeline/codepipeline.yaml
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact -f pipeline/codepipeline.yaml
	$(PY) scripts/check_pipeline.py

checkov: $(STAMP)/checkov ## checkov on the templates (offline); each finding is fixed or skipped in the template with its reason
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact \
	  $(addprefix -f ,template.yaml $(wildcard cfn/*.yaml))

build: $(STAMP)/sam ## sam build (arm64, python3.13)
	$(SAM) build --template template.yaml --build-dir .aws-sam/build

build-check: build $(STAMP)/venv ## Import every built function with its layer from the build output alone
	$(PY) scripts/check_build.py .aws-sam/build

unit: $(STAMP)/venv ## Unit tests (no sockets)
	$(PY) -m pytest tests/unit -q

integration: $(STAMP)/venv ## Integration tests (moto + DRS simulator)
	$(PY) -m pytest tests/integration -q

e2e: $(STAMP)/venv ## End-to-end tests (the sandbox through the API and drsctl)
	$(PY) -m pytest tests/e2e -q

test: setup lint validate checkov pipeline-lint build-check console console-test chromium ## Everything CI runs: lint, template checks, build check, the console, all tests
	CONSOLE_E2E_REQUIRED=1 $(PY) -m pytest tests -q -n 4 --dist loadfile

demo: $(STAMP)/venv console ## A full 3-wave drill in the local sandbox, no AWS account needed
	$(PY) -m drs_demo

PORT ?= 8787
SCENARIO ?= three-tier
sandbox: $(STAMP)/venv console ## Serve the system with the three-tier scenario on 127.0.0.1:8787 (PORT=, SCENARIO=empty or a file; Ctrl-C stops it)
	$(VENV)/bin/drsctl sandbox --port $(PORT)$(if $(filter empty,$(SCENARIO)),, --scenario $(SCENARIO))

bench: $(STAMP)/venv ## Poll and finalize benchmarks for waves of 10, 100 and 1,000 servers
	$(PY) -m bench.run

openapi: $(STAMP)/venv $(STAMP)/console-npm ## Regenerate the committed OpenAPI document and the console's API types
	$(PY) -m scripts.gen_openapi
	cd frontend && npm run --silent api-types

deploy: build ## Deploy the stack of samconfig.toml's ENV (default: asks to confirm; ENV=staging|prod: no question), then the console
	@test -n "$(STACK)" -a -n "$(REGION)" || { echo "make deploy: no stack name or Region for ENV=$(ENV) in samconfig.toml" >&2; exit 2; }
	$(SAM) deploy --config-file samconfig.toml --config-env $(ENV) --region $(REGION) --stack-name $(STACK)
	$(MAKE) --no-print-directory deploy-console ENV=$(ENV) STACK=$(STACK) REGION=$(REGION)

deploy-console: console $(STAMP)/venv ## Upload the console to ENV's deployed stack and write its config.json
	$(PY) frontend/deploy/deploy_console.py --stack $(STACK) --region $(REGION)

admin: $(STAMP)/venv ## Invite a console Administrator into ENV's stack: make admin EMAIL=you@example.com
	@test -n "$(EMAIL)" || { echo "make admin: say who, e.g. make admin EMAIL=you@example.com" >&2; exit 2; }
	$(PY) -m scripts.create_admin --stack $(STACK) --region $(REGION) --email "$(EMAIL)"

clean: ## Remove environments and build output
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules .aws-sam $(STAMP) .pytest_cache .mypy_cache .ruff_cache frontend/node_modules frontend/dist
