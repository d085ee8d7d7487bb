# Two commands for a newcomer (README, Quick start): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000

.PHONY: run test install system-deps messages lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	@command -v msgfmt >/dev/null || $(MAKE) system-deps
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# Debian packages the browser tests, PDF checks and translations need; installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Please install:$$missing (apt-get install$$missing)"; exit 1; fi; \
	fi

run: install
	$(BIN)/python manage.py quickstart $(ADDR)

test: system-deps install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Benchmarks (issue 14; README, "Benchmarks"): one script per figure, each building its own world in a
# throwaway SQLite database (BENCH_ARGS=--configured-db: the DATABASE_URL database, rolled back), at the
# issue's sizes unless BENCH_UNITS / BENCH_ROWS say otherwise. Everything printed is kept in $(BENCH_LOG).
BENCH_UNITS ?= 2000
BENCH_ROWS ?= 5000
BENCH_LOG := var/bench-last.txt
BENCH = $(BIN)/python bench/run.py $(BENCH_LOG)

bench: install
	@mkdir -p var && date -u '+benchmarks of %Y-%m-%d %H:%M UTC' | tee $(BENCH_LOG)
	$(BENCH) bench_scoring.py --units $(BENCH_UNITS)
	$(BENCH) bench_year_create.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_excel_import.py --rows $(BENCH_ROWS) $(BENCH_ARGS)
	$(BENCH) bench_year_export.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_year_agreements.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_cascade_map.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_kpi_form.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_lists.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_agreement_page.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_reporting.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_scorecard.py --units $(BENCH_UNITS) $(BENCH_ARGS)
	$(BENCH) bench_editor.py
	@echo; grep -h '^RESULT' $(BENCH_LOG) || true
