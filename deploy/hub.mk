# The class hub of deploy/ (included by the Makefile): configurable-http-proxy from npm into
# deploy/proxy/node_modules (git-ignored; versions locked by deploy/proxy/package-lock.json),
# which `make test` needs for tests/hub/ and `make hub` runs with JupyterHub.
HUB_PROXY := deploy/proxy/node_modules/.bin/configurable-http-proxy
HUB_ARGS  ?=

.PHONY: hub hub-deps

$(HUB_PROXY): deploy/proxy/package.json deploy/proxy/package-lock.json
	npm ci --prefix deploy/proxy --no-audit --no-fund --loglevel=error
	touch $@

hub-deps: $(HUB_PROXY)

test: hub-deps
bench: hub-deps

# JupyterHub for a class on this machine (deploy/README.md); HUB_ARGS="--ip 0.0.0.0" opens it.
hub: $(or $(STAMP),setup) hub-deps
	$(BIN)/python deploy/hub.py $(HUB_ARGS)
