# The two commands of the README. Both make their own virtualenv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test venv jars

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

demo: venv
	$(PY) scripts/demo.py

test: venv node_modules/.installed
	$(PY) -m pytest -q -p no:cacheprovider
