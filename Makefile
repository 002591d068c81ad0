# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi
PO     := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run test test-quick lint format install install-test translations extract-messages clean screenshots bench bench-reports bench-pages bench-scale \
	bench-faults bench-submit bench-jobs bench-keys

# The job worker (reports, research packages, the daily digest) runs beside the server
# as a process of its own, as in production: the development server's reloader restarts
# the serving process on every change, which would cut a thread's job off each time. It
# stops with the server; jobs it left unfinished are taken up at its next start.
run: install $(MO)
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "Serving on http://127.0.0.1:$(PORT)  (stop with Ctrl+C)"
	@$(FLASK) jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	    $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Each test process has its own databases (a session's scratch PostgreSQL database, a
# temporary SQLite file), so TEST_WORKERS processes share nothing but the cores.
TEST_WORKERS ?= 2
test: install-test $(MO)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The daily loop: SQLite only, no browser, none of the tests marked slow (fuzzing, load,
# servers in child processes, PDF rendering), stop at the first failure: a few minutes.
# `make test` runs everything and is still what must pass before anything lands.
test-quick: install-test $(MO)
	$(BIN)/pytest -q -x -m "not browser and not slow" -k "not postgresql" --ignore=tests/browser \
	    $(PYTEST_ARGS)

# Every performance benchmark, each against a baseline measured in the same run, with
# PASS or FAIL against its target (docs/performance.md); about 45 minutes on 2 cores.
bench: bench-pages bench-reports bench-submit bench-scale bench-keys bench-jobs

# Indicators and the comparison report at 5 municipalities x FAMILIES families each.
FAMILIES ?= 2000
bench-reports: install $(MO)
	$(BIN)/python bench/reports.py --families $(FAMILIES)

# The dashboard, the family list, the status grid and the work lists with PAGE_FAMILIES
# families in one municipality.
PAGE_FAMILIES ?= 10000
bench-pages: install $(MO)
	$(BIN)/python bench/pages.py --families $(PAGE_FAMILIES)

# The research export against a raw dump, and how the indicators grow: STEPS families
# in all (five municipalities).
STEPS ?= 1000,10000,100000
bench-scale: install $(MO)
	$(BIN)/python bench/scale.py --steps $(STEPS)

# CLIENTS API clients write through gunicorn for SECONDS while KILLS busy workers are
# killed with SIGKILL; then every acknowledged write must be stored exactly once, whole.
CLIENTS ?= 16
SECONDS ?= 30
WORKERS ?= 2
KILLS   ?= 3
bench-faults: install $(MO)
	$(BIN)/python bench/load_faults.py --clients $(CLIENTS) --seconds $(SECONDS) \
	    --workers $(WORKERS) --kills $(KILLS)

# Form submission through gunicorn against a minimal endpoint that inserts the same row:
# SUBMIT_CLIENTS concurrent clients, SUBMIT_SECONDS timed at each level.
SUBMIT_SECONDS ?= 10
SUBMIT_CLIENTS ?= 1,8,32
bench-submit: install $(MO)
	$(BIN)/python bench/submit.py --seconds $(SUBMIT_SECONDS) --clients $(SUBMIT_CLIENTS)

# What asking for a job adds to a request's transaction, and a worker's jobs per second.
BENCH_JOBS ?= 300
bench-jobs: install $(MO)
	$(BIN)/python bench/jobs.py --jobs $(BENCH_JOBS)

# The tenant keys of 0024 (primary key (id, municipality_id) on PostgreSQL) against the
# keys before them: inserts, gets and updates, KEYS_FAMILIES families per round.
KEYS_FAMILIES ?= 2000
bench-keys: install $(MO)
	$(BIN)/python bench/tenant_keys.py --families $(KEYS_FAMILIES)

# The browser journeys, saving their screenshots of the main pages for the README.
screenshots: install-test $(MO)
	HELHED_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser -p no:randomly -q

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test tests/oidc/node_modules/.installed

# The OpenID provider the single sign-on tests start (tests/oidc/): installed where npm is;
# without it those tests skip (and fail under CI=true, which .ci/run makes sure of).
tests/oidc/node_modules/.installed: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	    npm ci --prefix tests/oidc --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the single sign-on tests will skip"; fi

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Helhed needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,dev]'
	@touch $@ $(VENV)/.installed

# Compiled catalogues are built, not committed.
%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

translations: $(MO)

# After adding or changing user-facing strings: refresh the Danish catalogue, then translate.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	    -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache
