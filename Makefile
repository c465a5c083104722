# The README's commands. `make demo` and `make test` each create the virtual environment when it
# is missing (or older than pyproject.toml), install the project into it, and run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: install demo docs sample test lint format browser bench chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The main job end to end on the embedded default (DuckDB + the bundled real sample), offline.
demo: install browser
	$(BIN)/aktuellt catalog check
	$(BIN)/aktuellt refresh --snapshot data/sample
	$(BIN)/aktuellt status --area Karlstad
	$(BIN)/aktuellt report --out $(DEMO_OUT)/report
	$(BIN)/aktuellt charts --area Karlstad --area "Region Värmland" --out $(DEMO_OUT)/charts
	@echo "Reports: $(DEMO_OUT)/report/index.html  Charts: $(DEMO_OUT)/charts/manifest.csv"
	@echo "Warehouse: data/warehouse/aktuellt.duckdb (try: .venv/bin/aktuellt runs)"

docs: install
	$(BIN)/python scripts/build_warehouse_docs.py

sample: install
	$(BIN)/python scripts/build_sample.py

# Debian's chromium for the browser tests; installed by the test set-up, never downloaded by
# Playwright. poppler-utils (pdftoppm, pdftotext) lets the tests look at the printed pages.
browser:
	@command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		chromium poppler-utils >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install browser lint
	$(BIN)/python -m pytest

bench: install
	for script in bench/bench_*.py; do $(BIN)/python -m bench.$$(basename $$script .py) || exit 1; done

# A randomised fault run (SIGKILLs at random moments, every API fault) against the local Kolada;
# a few minutes, so not part of `make test`.
chaos: install
	PYTHONWARNINGS=ignore::UserWarning:multiprocessing.resource_tracker $(BIN)/python -m bench.chaos

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
