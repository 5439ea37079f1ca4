# wallchart: `make run` serves the demo, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
POSTGRES_URL ?= $(or $(WALLCHART_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/test)

.PHONY: install run test test-sqlite test-postgres lint format schema migrations graphiql bench bench-quick

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)
	@test -f var/graphiql/graphiql.min.js || $(PY) -m server fetch-graphiql \
		|| echo "GraphiQL assets not fetched (no npm or no registry); the API works without them."

run: install
	$(PY) -m server serve

test: install test-sqlite test-postgres

test-sqlite: $(INSTALLED)
	WALLCHART_TEST_DATABASE=sqlite $(PY) -m pytest

test-postgres: $(INSTALLED)
	@if $(PY) -m tests.postgres_check "$(POSTGRES_URL)"; then \
		WALLCHART_TEST_DATABASE=postgres WALLCHART_TEST_POSTGRES_URL="$(POSTGRES_URL)" $(PY) -m pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(POSTGRES_URL) is unreachable, and CI needs it." >&2; exit 1; \
	else \
		echo "PostgreSQL at $(POSTGRES_URL) is unreachable: skipped the PostgreSQL run."; \
	fi

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: $(INSTALLED)
	$(PY) -m server print-schema --write

migrations: $(INSTALLED)
	$(PY) -m server makemigrations

graphiql: $(INSTALLED)
	$(PY) -m server fetch-graphiql

bench: $(INSTALLED)
	$(PY) -m bench

bench-quick: $(INSTALLED)
	$(PY) -m bench --quick
