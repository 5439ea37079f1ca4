# wallchart: `make run` serves the demo, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
POSTGRES_URL ?= $(or $(WALLCHART_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/test)

.PHONY: install run test test-sqlite test-postgres lint format schema migrations graphiql bench bench-quick \
	peer wrk

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)
	@test -f var/graphiql/graphiql.min.js || $(PY) -m server fetch-graphiql \
		|| echo "GraphiQL assets not fetched (no npm or no registry); the API works without them."

run: install
	$(PY) -m server serve

# The two suites run side by side (two cores); each prints its report when it ends.
test: install
	@echo "Running the SQLite and PostgreSQL suites side by side; each reports when it ends."
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

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
# No breaking schema change without a deprecation first, against the previous release's schema.
	{ git show origin/main:schema/schema.graphql || git show HEAD:schema/schema.graphql \
		|| cat schema/schema.graphql; } 2>/dev/null | $(PY) -m schema.compatibility -
# graphql-schema-linter where npm exists, with every rule but the alphabetical-ordering ones
# (.graphql-schema-linterrc): fields follow the domain's order, not the alphabet.
	@if command -v npx >/dev/null 2>&1; then npx --yes graphql-schema-linter@3.0.1; \
		else echo "npx not found: graphql-schema-linter skipped."; fi

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: $(INSTALLED)
	$(PY) -m server print-schema --write

migrations: $(INSTALLED)
	$(PY) -m server makemigrations

graphiql: $(INSTALLED)
	$(PY) -m server fetch-graphiql

# The bench's peer, PostGraphile v4 (bench/postgraphile.json), installed with npm into var/.
PEER_DIR := var/postgraphile
PEER := $(PEER_DIR)/node_modules/postgraphile/package.json
# Its load generator, wrk, from the distribution's packages.
WRK_INSTALL := apt-get install -y -q wrk >/dev/null 2>&1

bench: $(INSTALLED) peer wrk
	$(PY) -m bench

$(PEER): bench/postgraphile.json
	mkdir -p $(PEER_DIR)
	cp bench/postgraphile.json $(PEER_DIR)/package.json
	cd $(PEER_DIR) && npm install --no-audit --no-fund --omit=dev --loglevel=error
	touch $(PEER)

peer:
	@$(MAKE) --no-print-directory $(PEER) \
		|| echo "PostGraphile not installed (no npm or no registry): the bench skips its peer rows."

wrk:
	@command -v wrk >/dev/null 2>&1 \
		|| { [ "$$(id -u)" = 0 ] && { $(WRK_INSTALL) || { apt-get update -q >/dev/null 2>&1 && $(WRK_INSTALL); }; }; } \
		|| sudo -n $(WRK_INSTALL) \
		|| echo "wrk not installed (apt-get install wrk failed): the bench skips its peer rows."

bench-quick: $(INSTALLED)
	$(PY) -m bench --quick
