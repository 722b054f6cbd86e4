# The two commands: `make run` serves the API on http://127.0.0.1:8000 (SQLite, no setup);
# `make test` checks the import layers (pyproject.toml), then runs the whole test suite.
# Both create .venv and install what they need on first use.
# `make run` is gunicorn as deployed (without REDIS_URL: one process with threads, so the rate
# limits hold exactly); `make dev` is Django's runserver, which reloads when code changes.
# `make prod` is the production topology on this machine (README: Production): nginx on
# 127.0.0.1:$(PORT) (8080) -> two gunicorn instances -> pgbouncer -> DATABASE_URL.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
# run and dev serve on 8000 by default, prod on 8080.
PORT ?=

.PHONY: run dev prod prod-packages test lint format bench bench-quick clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn taskapi.wsgi --config gunicorn.conf.py --bind $(HOST):$(or $(PORT),8000)

dev: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runserver $(HOST):$(or $(PORT),8000)

# Debian's nginx and pgbouncer: installed with apt-get when missing and this is root, else
# the exact command to run is printed.
PROD_PACKAGES := nginx pgbouncer
prod-packages:
	@missing=""; \
	for program in $(PROD_PACKAGES); do \
		command -v $$program >/dev/null 2>&1 || [ -x /usr/sbin/$$program ] || missing="$$missing $$program"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "== installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "make prod needs Debian's$$missing: sudo apt-get install$$missing" >&2; exit 1; \
		fi; \
	fi

# Foreground; Ctrl-C (or SIGTERM to deploy/prod.py) stops it, letting requests finish.
prod: $(BIN)/.installed prod-packages
	$(BIN)/python deploy/prod.py --port $(or $(PORT),8080)

test: $(BIN)/.installed
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark (bench/README.md): needs PostgreSQL and Redis on 127.0.0.1, wrk and pgbench.
# BENCH_ARGS passes options, e.g. BENCH_ARGS='--keep-db --only list,retrieve'.
$(BIN)/.bench-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(BIN)/.bench-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(BIN)/.bench-installed
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .prod .pytest_cache .ruff_cache *.egg-info
