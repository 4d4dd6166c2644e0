# The two commands of the README: `make serve` and `make test`; and `make lab` for clinical
# reviewers. Each installs what it needs (the `test` extra includes JupyterLab: `lab` extra).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: serve lab test lint install chromium ssh-keygen benchmark lforms-check

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Serve the patient dashboard on http://127.0.0.1:8866 (ARGS="--port 9000" to change).
serve: $(STAMP)
	$(BIN)/cam-workbench serve $(ARGS)

## Open JupyterLab on the clinical review notebook, on 127.0.0.1 (it prints the address with
## its login token). CONTENT=path/to/content reviews another content folder;
## ARGS="--port 9999 --no-browser" (or --allow-root, as root) passes options to `cam-workbench lab`.
lab: $(STAMP)
	$(BIN)/cam-workbench lab $(if $(CONTENT),--content "$(CONTENT)") $(ARGS)

chromium:
	@scripts/ensure-chromium

ssh-keygen:
	@scripts/ensure-ssh-keygen

## Benchmark `cam-workbench serve` against plain Voila (about 6 min; ARGS="--quick" for ~4).
## Writes benchmarks/results/latest.json and latest.md (see benchmarks/README.md).
benchmark: $(STAMP) chromium
	$(BIN)/python benchmarks/run.py $(ARGS)

## The FHIR export in LHC-Forms (a real SDC form filler) in Chromium, offline: not part of
## `make test` (npm installs LHC-Forms once into scripts/lforms/node_modules/; 5-10 min).
lforms-check: $(STAMP) chromium
	$(BIN)/python scripts/lforms_check.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Run every test: lint and types, content validation, schema check, unit, notebook and browser tests.
test: $(STAMP) chromium ssh-keygen lint
	$(BIN)/cam-workbench validate
	$(BIN)/cam-workbench schema --check
	$(BIN)/pytest --nbval-lax
