# One venv, everything the lessons and the tests need. `make lab` and `make test` are the
# two commands of the README; `.ci/run` calls `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup system-deps test lab bench fixtures

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Debian's chromium drives the browser tests (never `playwright install`: it downloads).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium'"; fi; }

# The editable install also builds the JupyterLab extension in js/ (node 20 + npm, see
# pyproject.toml); `develop` links it into the venv so that a rebuild shows up on reload.
# The old link goes first, or pip would write its copy through it into shrinkviz/labextension.
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/shrinkviz
setup: $(BIN)/python system-deps
	if [ -L $(LABEXT_LINK) ]; then rm $(LABEXT_LINK); fi
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite .

test: setup
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab notebooks/

bench: setup
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Regenerate the reference fixtures (needs Debian's r-base-core, r-cran-metafor,
# r-cran-lme4, r-cran-jsonlite); the fixtures are committed, so the tests need no R.
# The full-Bayes reference is adaptive quadrature in scipy (a few minutes).
fixtures: setup
	for r in tests/fixtures/*.R; do Rscript $$r || exit 1; done
	$(BIN)/python tests/fixtures/make_full_bayes.py

# The class hub: `make hub`, and what tests/hub needs (configurable-http-proxy from npm).
include deploy/hub.mk
