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

# Only after the masks: the working directory may not exist, and nothing may stop them.
if ! cd -- "$ST_WORKING_DIRECTORY"; then
  echo "::error title=streamtest::working-directory '$ST_WORKING_DIRECTORY' does not exist"
  exit 1
fi

case "$ST_JUNIT" in
  /*) junit="$ST_JUNIT" ;;
  *) junit="$PWD/$ST_JUNIT" ;;
esac

if command -v sha256sum >/dev/null; then
  hash="$(sha256sum "$GITHUB_ACTION_PATH/requirements.txt" | cut -c1-16)"
else
  hash="$(shasum -a 256 "$GITHUB_ACTION_PATH/requirements.txt" | cut -c1-16)"
fi

# ${run.id} for the plan: GITHUB_RUN_ID_ATTEMPT alone is shared by every job of a matrix and
# every use of the action in one job, which would then deploy to the same folder and share
# run-now idempotency tokens. A random suffix keeps each invocation apart.
run_id="${GITHUB_RUN_ID}_${GITHUB_RUN_ATTEMPT}_$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"

{
  echo "junit-path=$junit"
  echo "streamtest-run-id=$run_id"
  echo "state-path=$RUNNER_TEMP/streamtest-state-$run_id.json"  # RUNNER_TEMP: emptied per job
  echo "requirements-hash=$hash"
  echo "pip-cache=${RUNNER_TOOL_CACHE:-$RUNNER_TEMP}/streamtest/pip"
} >> "$GITHUB_OUTPUT"
