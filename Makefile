# Every target does its own set-up: a fresh clone needs only python3, PostgreSQL and Redis.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
DATABASE_URL ?= postgresql://postgres@localhost:5432/billing
TEST_DATABASE_URL ?= postgresql://postgres@localhost:5432/billing_test
TEST_REDIS_URL ?= redis://localhost:6379/15
export DATABASE_URL

.PHONY: install run test test-database test-unit test-db test-e2e migrate migration rollback lint \
    bench db clean

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every
# process would otherwise compile the libraries again at each start (2.8 s of CPU against 1.1 s).
$(BIN)/billing: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --all-extras --compile-bytecode \
	    --python $(BIN)/python -q
	$(BIN)/python -m compileall -q -j 0 cli ingress shared workers migrations tests >/dev/null
	touch $(BIN)/billing

install: $(BIN)/billing ## create .venv with the locked dependencies and the project

db: install ## create the database named by DATABASE_URL if it is missing
	$(BIN)/billing createdb

migrate: db ## upgrade the database to the newest migration
	$(BIN)/billing migrate

migration: install ## make migration MESSAGE="add foo": autogenerate a migration
	$(BIN)/alembic -c migrations/alembic.ini revision --autogenerate -m "$(MESSAGE)"

rollback: install ## one migration down
	$(BIN)/alembic -c migrations/alembic.ini downgrade -1

PORT ?= 8000
# The Procfile is the one list of processes; honcho runs them (reading .env if there is one),
# stops them all on Ctrl-C or SIGTERM (make passes it on), and when one dies stops the rest and
# exits non-zero. A webhook secret is made up for the run when neither the environment nor
# .env has one.
run: migrate ## web + worker + scheduler (the Procfile, under honcho); PORT=8001 make run picks the port
	@secret="$$STRIPE_WEBHOOK_SECRET"; \
	if [ -z "$$secret" ] && ! grep -qs '^STRIPE_WEBHOOK_SECRET=' .env; then \
	    secret="whsec_$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"; \
	    echo "STRIPE_WEBHOOK_SECRET not set; generated for this run:"; echo "  $$secret"; \
	fi; \
	export PATH="$(CURDIR)/$(BIN):$$PATH" LOG_FORMAT="$${LOG_FORMAT:-console}"; \
	if [ -n "$$secret" ]; then export STRIPE_WEBHOOK_SECRET="$$secret"; fi; \
	exec $(BIN)/honcho start --no-colour -f Procfile -p $(PORT) web worker scheduler

PYTEST := TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -q

test-database: install ## create the database named by TEST_DATABASE_URL if missing, migrate it
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/billing createdb
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/billing migrate

test: test-database ## the whole suite against the real PostgreSQL and Redis
	$(PYTEST) $(PYTEST_ARGS)

test-unit: install ## the pure tier (tests/unit) and the fake Stripe API's own tests: no store
	$(PYTEST) tests/unit tests/fakes $(PYTEST_ARGS)

test-db: test-database ## the database tier (tests/db): real PostgreSQL and Redis, in-process app
	$(PYTEST) tests/db $(PYTEST_ARGS)

test-e2e: test-database ## the end-to-end tier (tests/e2e): real serve, worker and scheduler
	$(PYTEST) tests/e2e $(PYTEST_ARGS)

lint: install ## ruff, the layer contracts (import-linter) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install ## issue 12's bench, then the import and metrics queries (tests/bench/); BENCH_ARGS="--quick --rounds 1" checks it in minutes
	$(BIN)/python -m tests.bench $(BENCH_ARGS)
	$(BIN)/python -m tests.bench.import_account $(if $(findstring --quick,$(BENCH_ARGS)),--customers 1000 --runs 1)
	$(BIN)/python -m tests.bench.movements $(if $(findstring --quick,$(BENCH_ARGS)),--subscriptions 5000 --purchases 5000)

clean:
	rm -rf $(VENV)

.PHONY: faults
faults: install ## the fault suite: real processes, private PostgreSQL and Redis (tests/faults/)
	$(BIN)/python -m tests.faults $(FAULTS_ARGS)
