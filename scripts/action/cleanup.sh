#!/usr/bin/env bash
# Step 5 of action.yml (always()). Composite actions have no post: step, so this is the one
# hook that still runs after a failure, a kill or a cancel. It trusts only the state file,
# which the runner writes the moment each resource exists; `cleanup` is idempotent, so after
# a run that already cleaned up it only confirms there is nothing left.
set -euo pipefail

if [ ! -s "$ST_STATE" ]; then
  echo "streamtest cleanup: no state file, so the run created nothing"
  exit 0
fi
exec "$ST_PYTHON" -m streamtest cleanup --state "$ST_STATE"
