"""Running one plan step: notebook, sql, upload or sleep, with ``within`` retries.

A step returns an ``Outcome``; it raises only when the stream watch (``watch``) says the
job's run died, or the workspace cannot be used. One-time runs and statements are put in the
state file while active, so cleanup can cancel them if the runner is stopped mid-step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from streamtest import expect, identity, runs
from streamtest.databricks import Workspace
from streamtest.durations import format_duration
from streamtest.plan.model import Plan, Step
from streamtest.poll import Deadline, Poller
from streamtest.state import State
from streamtest.transfer import upload

DEFAULT_NOTEBOOK_TIMEOUT = 1800.0
DEFAULT_SQL_TIMEOUT = 600.0
SQL_DONE = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    expected: str = ""
    seen: str = ""
    link: str = ""


class StepRunner:
    def __init__(self, ws: Workspace, plan: Plan, state: State, log: Callable[[str], None], poller: Poller):
        self.ws, self.plan, self.state, self.log, self.poller = ws, plan, state, log, poller
        self._submits = 0

    def run(self, step: Step, watch: Optional[Callable[[], None]] = None) -> Outcome:
        if step.kind == "sleep":
            self.poller.wait(step.seconds, watch)
            return Outcome(True, f"slept {format_duration(step.seconds)}")
        if step.kind == "upload":
            count = upload(self.ws, step.source, step.to)
            return Outcome(True, f"uploaded {count} file(s) to {step.to}")
        attempt = self._sql if step.kind == "sql" else self._notebook
        if step.within is None:
            return attempt(step, watch)
        return self._eventually(step, attempt, watch)

    def _eventually(self, step: Step, attempt, watch) -> Outcome:
        """Retry ``attempt`` until it passes or ``within`` is up; fail naming the last value."""
        seen: list[Outcome] = []

        def once() -> Optional[Outcome]:
            outcome = attempt(step, watch)
            if outcome.ok:
                return outcome
            if not seen or seen[-1].seen != outcome.seen:
                self.log(f"  attempt {len(seen) + 1}: {outcome.message}")
            seen.append(outcome)
            return None

        try:
            return self.poller.until(once, step.within, watch)
        except Deadline:
            last = seen[-1] if seen else Outcome(False)
            return Outcome(False, f"not met within {format_duration(step.within)} "
                           f"({len(seen)} attempts): {last.message}", last.expected, last.seen, last.link)

    # -- sql ----------------------------------------------------------------------------
    def _sql(self, step: Step, watch) -> Outcome:
        wanted = expect.show(step.expect) if step.expect is not expect.UNSET else ""
        response = self.ws.execute_statement(self.plan.compute.warehouse_id, step.sql)
        statement_id = response.get("statement_id", "")
        if _sql_state(response) not in SQL_DONE:
            self.state.add("statements", statement_id)
            try:
                response = self.poller.until(
                    lambda: (lambda r: r if _sql_state(r) in SQL_DONE else None)(self.ws.get_statement(statement_id)),
                    step.timeout or DEFAULT_SQL_TIMEOUT, watch)
            except Deadline:
                self.ws.cancel_statement(statement_id)
                self.state.discard("statements", statement_id)
                return Outcome(False, f"statement did not finish within "
                               f"{format_duration(step.timeout or DEFAULT_SQL_TIMEOUT)}", wanted, "no result")
            self.state.discard("statements", statement_id)
        state = _sql_state(response)
        if state != "SUCCEEDED":
            error = ((response.get("status") or {}).get("error") or {})
            text = error.get("message") or state
            return Outcome(False, f"statement {state}: {text}", wanted, f"error: {text}")
        rows = self._rows(statement_id, response)
        total = (response.get("manifest") or {}).get("total_row_count")
        verdict = expect.sql(rows, len(rows) if total is None else int(total), step.expect, step.rows)
        return Outcome(verdict.ok, verdict.message or f"got {verdict.seen}", verdict.expected, verdict.seen)

    def _rows(self, statement_id: str, response: dict) -> list:
        result = response.get("result") or {}
        rows = list(result.get("data_array") or [])
        next_index = result.get("next_chunk_index")
        while next_index is not None:
            chunk = self.ws.get_chunk(statement_id, next_index)
            rows += chunk.get("data_array") or []
            next_index = chunk.get("next_chunk_index")
        return rows

    # -- notebook -----------------------------------------------------------------------
    def _notebook(self, step: Step, watch) -> Outcome:
        wanted = expect.show(step.expect) if step.expect is not expect.UNSET else ""
        timeout = step.timeout or DEFAULT_NOTEBOOK_TIMEOUT
        self._submits += 1
        task = {"task_key": "streamtest_step",
                "notebook_task": {"notebook_path": step.notebook, "base_parameters": step.parameters,
                                  "source": "WORKSPACE"}}
        if self.plan.compute.cluster_id:
            task["existing_cluster_id"] = self.plan.compute.cluster_id
        body = {"run_name": f"streamtest {self.plan.run_id}: {step.name}"[:200], "tasks": [task],
                "timeout_seconds": int(timeout),
                "idempotency_token": identity.idempotency_token(self.plan.run_id, f"submit-{self._submits}")}
        run_id = self.ws.submit_run(body)
        self.state.add("one_time_runs", run_id)
        shown: list[str] = []

        def finished() -> Optional[dict]:
            run = self.ws.get_run(run_id)
            if not shown:
                shown.append(self.ws.run_url(run))
                self.log(f"  notebook run {run_id}: {shown[0]}")
            return run if runs.is_terminal(run) else None

        try:
            run = self.poller.until(finished, timeout + 60, watch)
        except Deadline:
            self.ws.cancel_run(run_id)  # stays in the state file until cleanup sees it end
            return Outcome(False, f"notebook run did not finish within {format_duration(timeout)}", wanted,
                           "still running", shown[0] if shown else "")
        self.state.discard("one_time_runs", run_id)
        url = self.ws.run_url(run)
        if runs.result_state(run) != "SUCCESS":
            task_id = runs.task_run_id(run)
            error = runs.task_error(self.ws, task_id) if task_id else ""
            line = runs.state_line(run)
            return Outcome(False, f"notebook run {line}" + (f": {error}" if error else ""), wanted,
                           f"error: {error or line}", url)
        task_id = runs.task_run_id(run)
        output = self.ws.get_output(task_id) if task_id else {}
        value = (output.get("notebook_output") or {}).get("result")
        verdict = expect.notebook(value, step.expect)
        return Outcome(verdict.ok, verdict.message or f"exit value {verdict.seen}", verdict.expected,
                       verdict.seen, url)


def _sql_state(response: dict) -> str:
    return ((response.get("status") or {}).get("state") or "").upper()
