# Two commands set everything up on a fresh machine with only python3 and make:
#   make demo   venv + install + import sample_activities/ into a throw-away database + report
#   make test   venv + install with test extras + lint + pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
LW = $(BIN)/loadwatch --db $(DEMO)/demo.db

.PHONY: demo test lint bench samples clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(LW) athletes add demo --tz Europe/Berlin --email demo@example.com
	$(LW) shoes add "Pegasus 40" --athlete demo --start-km 300 --default
	$(LW) shoes add "Speedgoat 5" --athlete demo --default-for trail
	$(LW) import sample_activities/demo-runner --athlete demo
	$(LW) athletes add devices --tz Europe/Berlin
	$(LW) import sample_activities/real --athlete devices
	$(LW) activities --athlete devices
	$(LW) report --athlete demo --as-of 2026-11-08 --html $(DEMO)/report.html
	$(LW) headroom --athlete demo --as-of 2026-11-08
	@echo "--- the alerts a check on 2026-11-08 would send (dry run: nothing is sent) ---"
	$(LW) check --athlete demo --as-of 2026-11-08 --dry-run
	@echo "--- the dashboard: $(LW) web   then open http://127.0.0.1:8470/?as_of=2026-11-08 ---"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench sample_activities
	$(BIN)/ruff format --check --quiet src tests bench sample_activities
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest -q

# The long mutation fuzz: 1,250 mutated corpus files in 5 batches (make test runs 240).
fuzz: $(VENV)/.installed-test
	LOADWATCH_FUZZ_FILES=$${LOADWATCH_FUZZ_FILES:-1250} $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: $(VENV)/.installed-test
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/load_bench.py

samples: $(VENV)/.installed-test
	$(BIN)/python sample_activities/generate.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
