# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
QUEUES ?= default,inference,render,training
CONCURRENCY ?= 1

# Tests run against the real PostgreSQL (as their own role, `dser`) and Redis on this
# machine, started if missing.
TEST_ENV := DEBUG=1 DATABASE_URL=postgres://dser:dser@127.0.0.1:5432/dser \
	REDIS_URL=redis://127.0.0.1:6379/9 HF_HUB_OFFLINE=1 DSER_VAR_DIR=$(CURDIR)/var/test

.PHONY: demo test test-fast lint screenshots stills setup system worker beat web checkpoints study clean

demo: setup
	PORT=$(PORT) scripts/demo.sh

# Every tier (pytest.ini's markers: pure, database, media, workers, slow). The import
# contracts are checked once, by tests/test_architecture.py; the code lint before it.
test: setup lint
	scripts/ensure_services.sh postgres
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The pure tests alone (every core, the statistics and the import contracts; no database,
# services or generated media): seconds.
test-fast: $(VENV)/.installed lint
	DEBUG=1 HF_HUB_OFFLINE=1 DSER_VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest -m pure $(PYTEST_ARGS)

# pyflakes and import sorting (ruff.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# The README's pictures of the annotation page and dashboard, taken by the browser tests.
screenshots: setup
	scripts/ensure_services.sh postgres
	$(TEST_ENV) DSER_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/test_annotation_browser.py

# The README's avatar stills (six emotions, a mixture, a blink, a dialogue strip) and the
# readability figures they come with.
stills: setup
	$(PY) benchmarks/avatar_readability.py --stills docs/stills

setup: system $(VENV)/.installed

system:
	scripts/install_system_packages.sh

# Runtime and development pins (the Docker image installs requirements.txt alone).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The processes of a deployment (docker-compose.yml runs the same commands).
web:
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(VENV)/bin/gunicorn dser.wsgi:application --bind $(HOST):$(PORT) --workers 2 --access-logfile -

worker:
	$(VENV)/bin/celery -A dser worker -Q $(QUEUES) --concurrency $(CONCURRENCY) --loglevel INFO

# Periodic work (the render-job reconciler): exactly one per deployment.
beat:
	$(VENV)/bin/celery -A dser beat --loglevel INFO --schedule $(CURDIR)/var/celerybeat-schedule

# The embedded default checkpoints (emotion/checkpoints), rebuilt from generated data.
checkpoints: setup
	scripts/build_default_checkpoints.sh

# The whole loop, measured (benchmarks/study): report in var/study/report.md, resumable.
# STUDY_ARGS="--quick" for a toy run; "--seeds 5", "--render-size 256", "--out DIR" as wanted.
study: setup
	scripts/ensure_services.sh
	$(PY) -m benchmarks.study $(STUDY_ARGS)

clean:
	rm -rf var
