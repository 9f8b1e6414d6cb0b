#!/usr/bin/env bash
# Step 1 of action.yml. Masks the secrets given as inputs before any other step can print
# them, and names the files this invocation writes, so later steps (even the always() ones
# after a kill) agree on where the state file and the JUnit report are.
set -euo pipefail

for secret in "${ST_TOKEN:-}" "${ST_CLIENT_SECRET:-}"; do
  # One mask per line: GitHub masks line by line.
  while IFS= read -r line; do
    if [ -n "$line" ]; then echo "::add-mask::$line"; fi
  done <<< "$secret"
done

case "$ST_JUNIT" in
  /*) junit="$ST_JUNIT" ;;
  *) junit="$PWD/$ST_JUNIT" ;;
esac

if command -v sha256sum >/dev/null; then
  hash="$(sha256sum "$GITHUB_ACTION_PATH/requirements.txt" | cut -c1-16)"
else
  hash="$(shasum -a 256 "$GITHUB_ACTION_PATH/requirements.txt" | cut -c1-16)"
fi

# RUNNER_TEMP is emptied after each job; $$ tells two uses of the action in one job apart.
{
  echo "junit-path=$junit"
  echo "state-path=$RUNNER_TEMP/streamtest-state-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}-$$.json"
  echo "requirements-hash=$hash"
  echo "pip-cache=${RUNNER_TOOL_CACHE:-$RUNNER_TEMP}/streamtest/pip"
} >> "$GITHUB_OUTPUT"
