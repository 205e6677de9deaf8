# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APPS := dispatch visits checklists surveys supervision

# Tests use PostgreSQL and Redis; these defaults are the local servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/seed
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# `make bench` loads its own large dataset into this database (created and migrated if missing).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/seed_bench

.PHONY: run test bench lint format messages clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Serve on http://127.0.0.1:$(PORT) (`make run PORT=8001`) with a Celery worker and beat, until
# Ctrl-C. Embedded defaults (SQLite under var/, filesystem broker) unless DATABASE_URL / REDIS_URL
# are set. The customers' links (survey SMS, QR codes, the demo's) point at SITE_URL, this
# server unless it is set.
PORT ?= 8000
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops the web server, worker and beat)"
	@echo "Customers' links point at $(SITE_URL)"
	@echo "SMS to customers (survey links and codes included) land in var/sms/<number>.txt"
	@trap 'kill 0' INT TERM EXIT; \
	export NOTIFICATION_BACKEND=$${NOTIFICATION_BACKEND:-file}; \
	$(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2 \
		--schedule=var/celerybeat-schedule & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# In parallel (pytest-xdist): each worker has a test database of its own (<name>_gw0, _gw1 …),
# a copy of one migrated template (tests/template_db.py); the browser and Celery tests take their
# own ports, queues and temporary folders. More workers than cores, as much of the suite waits
# (browsers, workers, polls). Tests are handed out one at a time, the longest first
# (tests/conftest.py); an xdist_group (the shared demo seed) stays on one worker.
# TEST_WORKERS=0: one process.
TEST_WORKERS ?= 4
TEST_DIST := $(if $(filter 0,$(TEST_WORKERS)),,--dist loadgroup)
# The layers first: a second, and an upward import fails before the suite starts.
test: $(STAMP)
	$(BIN)/lint-imports
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -n $(TEST_WORKERS) $(TEST_DIST) $(PYTEST_ARGS)

# Benchmarks on PostgreSQL (not part of `make test`); BENCH_ARGS=--reload rebuilds the dataset.
# Prints a table and writes it to docs/benchmarks.md.
bench: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m bench $(BENCH_ARGS)

# The layers (docs/design.md#layers): `lint-imports` fails on an upward import or an import circle.
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate and compile translation catalogs (needs GNU gettext; the .mo files are committed).
messages: $(STAMP)
	for app in $(APPS); do (cd $$app && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-location --no-obsolete); done
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-location --no-obsolete $(foreach a,$(APPS),--ignore=$(a)/*) --ignore=.venv/* --ignore=tests/*
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
