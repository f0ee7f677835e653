# Classroom Live — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup setup-test run cluster test lint format bench

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# The demo school (logins <login>-demo) is created by `make run` only, and not with DEMO=0.
DEMO ?= 1
run: setup
	@if [ "$(DEMO)" != 0 ]; then $(PY) manage.py seed_demo; fi
	@echo
	@echo "Classroom Live: http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@exec $(PY) -m server.run --host $(HOST) --port $(PORT)

# The scaled layout on this machine (docs/operations.md "The cluster"): PostgreSQL, Redis, daphne ×2 with a
# media worker each, Janus ×2, coturn and nginx, each host in its own network namespace (needs root).
cluster:
	@scripts/setup.sh --cluster
	@exec $(PY) -m deploy.cluster

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --cache-dir var/cache/import-linter
	$(VENV)/bin/mypy
	node_modules/.bin/eslint  # JavaScript (make setup-test installs it)

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Tests run inside a private network namespace (root), so media never leaves the machine. Two passes: every
# test on SQLite, then the database-dependent ones (and the PostgreSQL-only concurrency tests) on a PostgreSQL
# server the fixtures start (tests/conftest.py, --database=postgres); both run even if the first fails.
TEST_PASSES := $(VENV)/bin/pytest $(PYTEST_ARGS); sqlite=$$?; \
	$(VENV)/bin/pytest --database=postgres $(PYTEST_ARGS) && exit $$sqlite
test: setup-test lint
	@if [ "$$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then \
		unshare -n scripts/in-private-network.sh bash -c '$(TEST_PASSES)'; \
	else \
		echo "warning: not root or no unshare: media tests will fail (they need a private network namespace)"; \
		bash -c '$(TEST_PASSES)'; \
	fi
