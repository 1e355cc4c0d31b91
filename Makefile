# The two set-up commands of the README: `make demo` and `make test`. Both build .venv/ first.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test install lint bench dagster-ui

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) on PATH"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
	# Compile the parser's numba kernels once here (cached), not in the first parse.
	$(VENV)/bin/python -c "from extractors.parsers._csvscan import compile_kernels; compile_kernels()"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/callmeter demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest; status=$$?; [ $$status -eq 5 ] && { echo "pytest collected no tests"; exit 1; }; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python -m bench.foundation

# The Dagster UI on http://127.0.0.1:3000 with the whole lineage (raw -> staging -> intermediate -> marts).
dagster-ui: $(STAMP)
	mkdir -p .dagster_home && cp -n dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/python -c "from orchestration.lib.dbt_project import dbt_parse; dbt_parse()"
	DAGSTER_HOME=$(CURDIR)/.dagster_home PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000
