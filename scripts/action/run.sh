#!/usr/bin/env bash
# Step 4 of action.yml: turns the inputs into `python -m streamtest run` arguments and execs
# it, so the runner's SIGINT/SIGTERM on cancel reaches Python (which cancels the job's run)
# instead of stopping at a waiting bash.
set -euo pipefail

args=(run -c "$ST_PLAN" --run-id "$ST_RUN_ID" --junit "$ST_JUNIT" --state "$ST_STATE")
while IFS= read -r line; do
  line="${line#"${line%%[![:space:]]*}"}"
  line="${line%"${line##*[![:space:]]}"}"
  case "$line" in '' | '#'*) continue ;; esac
  args+=(--var "$line")
done <<< "${ST_VARS:-}"
if [ "${ST_KEEP_ON_FAILURE:-false}" = true ]; then args+=(--keep-on-failure); fi

exec "$ST_PYTHON" -m streamtest "${args[@]}"
