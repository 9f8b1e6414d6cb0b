#!/usr/bin/env bash
# Step 6 of action.yml (always()). The runner writes its own outputs and job summary; this
# step passes them on as the action's outputs, and when the run step never got that far
# (killed, cancelled, install failed) it still answers: result=error, a summary line, an
# error annotation and a JUnit file with one error, so a test reporter shows why.
set -euo pipefail

result="${ST_RESULT:-}"
if [ -z "$result" ] && [ "${ST_OUTCOME:-}" = success ]; then result=passed; fi
if [ -z "$result" ]; then
  result=error
  reason="the run step ended (${ST_OUTCOME:-skipped}) before it reported; cleanup step: ${ST_CLEANUP:-skipped}"
  echo "::error title=streamtest::$reason"
  printf '### streamtest: error\n\n%s.\n' "$reason" >> "$GITHUB_STEP_SUMMARY"
  if [ -n "$ST_JUNIT" ] && [ ! -f "$ST_JUNIT" ]; then   # empty: step 1 itself failed
    mkdir -p "$(dirname "$ST_JUNIT")"
    cat > "$ST_JUNIT" <<XML
<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="streamtest" tests="1" errors="1" failures="0" skipped="0">
    <testcase classname="streamtest" name="run">
      <error message="$reason"/>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
fi

{
  echo "result=$result"
  echo "junit-path=$ST_JUNIT"
  echo "job-id=${ST_JOB_ID:-}"
  echo "run-id=${ST_RUN_ID:-}"
  echo "run-url=${ST_RUN_URL:-}"
  echo "duration=${ST_DURATION:-}"
} >> "$GITHUB_OUTPUT"
