# Two commands set everything up on a fresh machine with only python3 and make:
#   make demo   venv + install + import sample_activities/ into a throw-away database + report
#   make test   venv + install with test extras + lint + pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo

.PHONY: demo test lint bench samples clean

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
	$(BIN)/loadwatch --db $(DEMO)/demo.db athletes add demo --tz Europe/Berlin --email demo@example.com
	$(BIN)/loadwatch --db $(DEMO)/demo.db import sample_activities --athlete demo
	$(BIN)/loadwatch --db $(DEMO)/demo.db activities --athlete demo --limit 12

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench sample_activities

test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python bench/import_bench.py

samples: $(VENV)/.installed-test
	$(BIN)/python sample_activities/generate.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
