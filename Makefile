# The two commands of the README: `make serve` and `make test`; and `make lab` for clinical
# reviewers. Each installs what it needs (the `test` extra includes JupyterLab: `lab` extra).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3
# The lock files pin every package (with hashes) for this Python; CI and the container use them.
LOCK_PYTHON := 3.11
LOCK        := requirements/lock.txt
TEST_LOCK   := requirements/test-lock.txt
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
               --no-emit-index-url --no-emit-find-links

.PHONY: serve lab test lint install chromium ssh-keygen haproxy benchmark lock cluster-demo capacity lforms-check

$(STAMP): pyproject.toml $(TEST_LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if $(BIN)/python -c 'import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" != "$(LOCK_PYTHON)")'; then \
	  echo "Installing the locked versions ($(TEST_LOCK))"; \
	  $(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK) && \
	  $(BIN)/python -m pip install --quiet --no-deps -e . ; \
	else \
	  echo "Python is not $(LOCK_PYTHON), the lock's: installing the newest versions pyproject.toml allows" >&2; \
	  $(BIN)/python -m pip install --quiet -e '.[test]' ; \
	fi
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

haproxy:
	@scripts/ensure-haproxy

## Refresh the lock files from pyproject.toml (needs the package index; commit both files).
## The test lock is resolved first and the runtime lock takes its versions from it, so a test
## tool's narrower range (fhirpathpy: python-dateutil 2.x) cannot split the two.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --extra test --output-file $(TEST_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(TEST_LOCK) --output-file $(LOCK) pyproject.toml

## Benchmark `cam-workbench serve` against plain Voila (about 17 min; ARGS="--quick" for ~6).
## Writes benchmarks/results/latest.json and latest.md (see benchmarks/README.md).
benchmark: $(STAMP) chromium
	$(BIN)/python benchmarks/run.py $(ARGS)

## The capacity model (README "Capacity") from benchmarks/results/latest.json.
capacity: $(STAMP)
	$(BIN)/python benchmarks/capacity.py $(ARGS)

## Two replicas behind HAProxy on loopback, to try by hand (Ctrl-C stops all three).
cluster-demo: $(STAMP) haproxy
	$(BIN)/python scripts/cluster-demo $(ARGS)

## The FHIR export in LHC-Forms (a real SDC form filler) in Chromium, offline: not part of
## `make test` (npm installs LHC-Forms once into scripts/lforms/node_modules/; 5-10 min).
lforms-check: $(STAMP) chromium
	$(BIN)/python scripts/lforms_check.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Run every test: lint and types, content validation, schema check, unit, notebook and browser
## tests, the container and Kubernetes files, two replicas behind a real proxy.
test: $(STAMP) chromium ssh-keygen haproxy lint
	$(BIN)/cam-workbench validate
	$(BIN)/cam-workbench schema --check
	$(BIN)/pytest --nbval-lax --durations=25
