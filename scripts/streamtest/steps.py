"""Running one plan step: notebook, sql, upload, sleep or expectation, with ``within`` retries.

A step returns an ``Outcome``; it raises only when the stream watch (``watch``) says the
job's run died, or the workspace cannot be used. One-time runs and statements are put in the
state file while active, so cleanup can cancel them if the runner is stopped mid-step.
An outcome marked ``final`` (a statement error that cannot heal) ends a ``within`` wait at
once: retrying a syntax error for five minutes helps nobody.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from streamtest import expect, failures, identity
from streamtest.databricks.pipelines import expectation_counts, expectations_seen
from streamtest.databricks.statements import Statement
from streamtest.databricks.workspace import NoCompute, Workspace
from streamtest.durations import format_duration
from streamtest.plan.model import Plan, Step
from streamtest.poll import Deadline, Poller
from streamtest.state import State
from streamtest.transfer import upload

DEFAULT_NOTEBOOK_TIMEOUT = 1800.0
DEFAULT_SQL_TIMEOUT = 600.0


class StepFailed(Exception):
    """A step did not pass; the flow stops and goes to ``after`` and cleanup."""


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    expected: str = ""
    seen: str = ""
    link: str = ""
    final: bool = False           # a failure no retry can change

    def told(self) -> str:
        """The message, plus what was seen when the message does not already say it."""
        if self.seen and self.seen not in self.message and self.seen.removeprefix("error: ") not in self.message:
            return f"{self.message}; seen {self.seen}" if self.message else f"seen {self.seen}"
        return self.message


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
        attempt = {"sql": self._sql, "expectation": self._expectation}.get(step.kind, self._notebook)
        if step.within is None:
            return attempt(step, watch)
        return self._eventually(step, attempt, watch)

    def _eventually(self, step: Step, attempt, watch) -> Outcome:
        """Retry ``attempt`` until it passes or ``within`` is up; fail naming the last value."""
        seen: list[Outcome] = []

        def once() -> Optional[Outcome]:
            outcome = attempt(step, watch)
            if outcome.ok or outcome.final:
                seen.append(outcome)
                return outcome
            if not seen or seen[-1].seen != outcome.seen:
                self.log(f"  attempt {len(seen) + 1}: {outcome.told()}")
            seen.append(outcome)
            return None

        try:
            outcome = self.poller.until(once, step.within, watch, what=f"'{step.name}'",
                                        last=lambda: seen[-1].told() if seen else "")
        except Deadline:
            last = seen[-1] if seen else Outcome(False)
            return Outcome(False, f"not met within {format_duration(step.within)} "
                           f"({len(seen)} attempts): {last.message}", last.expected, last.seen, last.link)
        if outcome.final:
            outcome.message = f"{outcome.message} (an error waiting cannot fix: failed at once instead of " \
                              f"retrying for {format_duration(step.within)})"
        return outcome

    # -- sql ----------------------------------------------------------------------------
    def _sql(self, step: Step, watch) -> Outcome:
        wanted = expect.show(step.expect) if step.expect is not expect.UNSET else ""
        statement = self.ws.execute_statement(self.plan.compute.warehouse_id, step.sql)
        if not statement.done:
            statement = self._finish(statement, step, watch)
            if statement is None:
                return Outcome(False, f"statement did not finish within "
                               f"{format_duration(step.timeout or DEFAULT_SQL_TIMEOUT)}", wanted, "no result")
        if not statement.succeeded:
            text = statement.message or statement.state
            return Outcome(False, f"statement {statement.state}: {text}", wanted, f"error: {text}",
                           final=statement.permanent)
        rows = self.ws.statement_rows(statement)
        total = len(rows) if statement.total_rows is None else statement.total_rows
        verdict = expect.sql(rows, total, step.expect, step.rows, statement.columns, statement.types)
        return Outcome(verdict.ok, verdict.message or f"got {verdict.seen}", verdict.expected, verdict.seen)

    def _finish(self, statement: Statement, step: Step, watch) -> Optional[Statement]:
        """Wait for a statement the server did not finish within its wait_timeout (a
        warehouse starting, a slow query); None when it did not finish in time (cancelled)."""
        statement_id = statement.statement_id
        limit = step.timeout or DEFAULT_SQL_TIMEOUT
        self.state.add("statements", statement_id)
        last = [statement.state]

        def done() -> Optional[Statement]:
            current = self.ws.get_statement(statement_id)
            last[0] = current.state
            return current if current.done else None

        try:
            return self.poller.until(done, limit, watch, what=f"the statement of '{step.name}' ({statement_id})",
                                     last=lambda: last[0])
        except Deadline:
            self.ws.cancel_statement(statement_id)
            return None
        finally:
            self.state.discard("statements", statement_id)

    # -- expectation --------------------------------------------------------------------
    def _expectation(self, step: Step, watch) -> Outcome:
        """The pipeline's event log: passed and failed records of one expectation, summed over
        the flow_progress events of this run's updates (``pipeline_updates`` in the state)."""
        wanted = ", ".join(f"{key} {expect.show(value)}" for key, value in step.counts.items())
        pipeline_id = self.state.get("pipeline_id")
        if not pipeline_id:
            return Outcome(False, "no pipeline yet: an expectation step reads the event log of the pipeline "
                           "under test (put it after the pipeline starts)", wanted, "no pipeline", final=True)
        updates = set(self.state.get("pipeline_updates") or [])
        events = list(self.ws.pipeline_events(pipeline_id))
        counts = expectation_counts(events, step.dataset, step.expectation, updates)
        link = self.state.get("run_url") or ""
        if not counts.events:
            known = expectations_seen(events, updates)
            return Outcome(False, f"the event log reports no expectation '{step.expectation}' on dataset "
                           f"'{step.dataset}'" + (f"; it reports: {', '.join(known[:10])}" if known else
                                                  " (no expectation metrics yet)"),
                           wanted, "not reported", link)
        seen = f"passed {counts.passed}, failed {counts.failed} (over {counts.events} flow_progress event(s))"
        bad = [f"{key} {getattr(counts, key)} (wanted {expect.show(value)})" for key, value in step.counts.items()
               if not expect.matches(getattr(counts, key), value)]
        if bad:
            return Outcome(False, f"expectation {step.dataset}.{step.expectation}: " + "; ".join(bad), wanted, seen, link)
        return Outcome(True, f"expectation {step.dataset}.{step.expectation}: {seen}", wanted, seen, link)

    # -- notebook -----------------------------------------------------------------------
    def _notebook(self, step: Step, watch) -> Outcome:
        wanted = expect.show(step.expect) if step.expect is not expect.UNSET else ""
        timeout = step.timeout or DEFAULT_NOTEBOOK_TIMEOUT
        self._submits += 1
        compute = self.plan.compute
        try:
            run_id = self.ws.submit_notebook(
                f"streamtest {self.plan.run_id}: {step.name}", step.notebook, step.parameters,
                identity.idempotency_token(self.plan.run_id, f"submit-{self._submits}"), timeout,
                cluster_id=compute.cluster_id, new_cluster=compute.new_cluster)
        except NoCompute as exc:
            raise exc.with_fix(f"notebook step '{step.name}' runs on serverless (no compute.cluster_id), which this "
                               "workspace does not have: set compute.cluster_id (or ${env.DATABRICKS_CLUSTER_ID}), "
                               "give compute.new_cluster, or enable serverless jobs compute") from None
        self.state.add("one_time_runs", run_id)
        shown: list = []

        def finished():
            run = self.ws.get_run(run_id)
            if not shown:
                self.log(f"  notebook run {run_id}: {run.url}")
            shown[:] = [run]
            return run if run.terminal else None

        try:
            run = self.poller.until(finished, timeout + 60, watch, what=f"notebook run {run_id}",
                                    last=lambda: shown[0].line() if shown else "")
        except Deadline:
            self.ws.cancel_run(run_id)  # stays in the state file until cleanup sees it end
            return Outcome(False, f"notebook run did not finish within {format_duration(timeout)}", wanted,
                           "still running", shown[0].url if shown else "")
        self.state.discard("one_time_runs", run_id)
        if not run.succeeded:
            error = failures.task_error(self.ws, run.task_run_id, said=run.line()) if run.task_run_id else ""
            return Outcome(False, f"notebook run {run.line()}" + (f"\n{error}" if error else ""), wanted,
                           f"error: {run.message or run.line()}", run.url)
        output = self.ws.get_output(run.task_run_id) if run.task_run_id else None
        verdict = expect.notebook(output.result if output else None, step.expect)
        return Outcome(verdict.ok, verdict.message or f"exit value {verdict.seen}", verdict.expected,
                       verdict.seen, run.url)

