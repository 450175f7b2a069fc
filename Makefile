# fargate-platform: every target creates .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev
QUICK  ?=

.PHONY: test test-slow plan bench lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt policies/requirements.txt policies/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

# PYTHONDONTWRITEBYTECODE set by a machine's environment would make pytest rewrite every test module's
# assertions on each run (half of collection time): the suite caches them like any Python import.
test: $(VENV)/.installed
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -n 2

# The end-to-end tests: documented commands in their own processes, the wheel in a fresh venv, large stacks.
test-slow: $(VENV)/.installed
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -n 2 -m slow

# make turns any failing command into its own exit code 2: CI runs ./plan, which keeps the plan's 0, 1 and 2.
plan: $(VENV)/.installed
	./plan $(STACK)

bench: $(VENV)/.installed
	$(PY) -m bench $(if $(QUICK),--quick,)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
