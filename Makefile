# Two entry points: `make run` (the app with demo data on SQLite) and `make test` (the whole suite, ruff and mypy included).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000

.PHONY: run test lint translations bench bench-stage

$(VENV)/.run-deps: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

translations: $(VENV)/.run-deps
	$(VENV)/bin/pybabel compile -d eventhub/translations

run: $(VENV)/.run-deps translations
	$(VENV)/bin/flask --app wsgi db upgrade
	$(VENV)/bin/flask --app wsgi demo load --if-empty
	@sh scripts/ensure-janus.sh
	@$(VENV)/bin/flask --app wsgi media run-janus
	@PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/bin/flask --app wsgi stage links --open
	PORT=$(PORT) $(PY) -m eventhub

test: $(VENV)/.test-deps translations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy eventhub
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-deps
	$(PY) -m bench.registration

bench-stage: $(VENV)/.test-deps
	$(PY) -m bench.stage
