# The two commands of the README. Both make their own virtualenv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test venv jars toxiproxy

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Delta Lake's jars (Maven Central, once) and localspace's Java classes, into
# ~/.cache/localspace/jars; the spark engine would fetch them on first start anyway.
jars: venv
	PYTHONPATH=scripts $(PY) -m localspace jars >/dev/null

# Toxiproxy (a Go module, from the Go module proxy) for the real-network guarantee tests:
# toxiproxy-server and toxiproxy-cli into .tools/bin, built once.
TOOLS := .tools/bin
TOXIPROXY_VERSION := v2.5.0
TOXIPROXY_MODULE := github.com/Shopify/toxiproxy/v2

$(TOOLS)/toxiproxy-server:
	mkdir -p $(TOOLS)/.build
	GOBIN=$(abspath $(TOOLS))/.build go install $(TOXIPROXY_MODULE)/cmd/server@$(TOXIPROXY_VERSION) \
		$(TOXIPROXY_MODULE)/cmd/cli@$(TOXIPROXY_VERSION)
	mv $(TOOLS)/.build/cli $(TOOLS)/toxiproxy-cli
	mv $(TOOLS)/.build/server $@

toxiproxy: $(TOOLS)/toxiproxy-server

demo: venv jars
	$(PY) scripts/demo.py

# The guarantee cases mostly wait (on retries, runs, signals): 4 workers on 2 cores run them in
# 2.5 min instead of 9 (fault matrix + cancellation, measured); the rest stays in one process.
GUARANTEES := tests/test_guarantees_*.py

test: venv jars node_modules/.installed toxiproxy
	$(PY) -m pytest -q -p no:cacheprovider $(addprefix --ignore=,$(wildcard $(GUARANTEES)))
	$(PY) -m pytest -q -p no:cacheprovider -n 4 $(wildcard $(GUARANTEES))
