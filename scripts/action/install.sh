#!/usr/bin/env bash
# Step 3 of action.yml. Gives the runner its own virtualenv, so neither the runner image's
# packages nor PEP 668 ("externally managed") get in the way. The venv lives in the tool
# cache, keyed on the Python version and requirements.txt, so a self-hosted runner (or a
# second use in the same job) reuses it; pip's download cache is what actions/cache keeps
# between jobs on GitHub-hosted runners. One runner runs one job at a time, so the venv is
# never built twice at once.
set -euo pipefail

base="${ST_BASE_PYTHON:-python3}"
version="$("$base" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
venv="${RUNNER_TOOL_CACHE:-$RUNNER_TEMP}/streamtest/venv-$version-$ST_REQUIREMENTS_HASH"

if [ ! -f "$venv/.ready" ]; then
  echo "streamtest: installing the runner's requirements into $venv"
  rm -rf "$venv"
  if ! "$base" -m venv "$venv"; then
    echo "::error title=streamtest::$base cannot create a virtualenv: install python3-venv" \
      "(Debian/Ubuntu) or set the action's python-version input"
    exit 1
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off \
    -r "$GITHUB_ACTION_PATH/requirements.txt"
  touch "$venv/.ready"
else
  echo "streamtest: reusing $venv"
fi
echo "python=$venv/bin/python" >> "$GITHUB_OUTPUT"
