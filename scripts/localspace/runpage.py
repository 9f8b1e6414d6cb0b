"""The run page a ``run_page_url`` points at: a small HTML view of a run or task run.

Databricks links each run to a page in its UI; the emulator links to this one so that the
URL in a failure report opens something useful: the state, each task's state, and the
notebook's exit value, error, trace and printed output. It refreshes itself while the run
is active. Served without a token, like any page on 127.0.0.1 the user opens in a browser.
"""
from __future__ import annotations

from html import escape

from localspace.errors import JobDoesNotExist
from localspace.web import Reply, Request

URLS = [("GET", r"/jobs/(?P<job_id>\d+)/runs/(?P<run_id>\d+)", "show")]

_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}pre{background:#f6f6f6;"
          "padding:.8em;overflow:auto}.SUCCESS{color:#060}.FAILED,.TIMEDOUT{color:#a00}")


class RunPage:
    def __init__(self, jobs):
        self.jobs = jobs

    def show(self, req: Request) -> Reply:
        run_id = int(req.params["run_id"])
        task = self.jobs.task_run(run_id)
        try:
            run = task.parent if task is not None else self.jobs.run(run_id)
        except JobDoesNotExist:
            return Reply(404, f"<h1>Run {run_id} does not exist</h1>".encode(), content_type="text/html; charset=utf-8")
        tasks = [task] if task is not None else run.tasks
        title = f"{escape(run.run_name)} · run {run_id}"
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
                 "" if run.done else "<meta http-equiv='refresh' content='2'>",
                 f"<style>{_STYLE}</style></head><body><h1>{title}</h1>",
                 f"<p>Job {run.job_id} · {escape(run.run_type)} · state <b>{escape(run.life)}</b> "
                 f"<span class='{escape(run.result or '')}'>{escape(run.result or '')}</span></p>"]
        if run.message:
            parts.append(f"<p>{escape(run.message)}</p>")
        parts.append("<table><tr><th>task</th><th>run id</th><th>state</th><th>result</th></tr>")
        for t in run.tasks:
            parts.append(f"<tr><td>{escape(t.key)}</td><td><a href='{t.url(req.base_url)}'>{t.run_id}</a></td>"
                         f"<td>{escape(t.life)}</td><td class='{escape(t.result or '')}'>{escape(t.result or '')}</td></tr>")
        parts.append("</table>")
        for t in tasks:
            out = t.output
            if out is None:
                continue
            parts.append(f"<h2>{escape(t.key)}</h2>")
            if out.exit_value is not None:
                parts.append(f"<h3>Exit value</h3><pre>{escape(out.exit_value)}</pre>")
            if out.error:
                parts.append(f"<h3>Error</h3><pre>{escape(out.error)}</pre>")
            if out.error_trace:
                parts.append(f"<h3>Trace</h3><pre>{escape(out.error_trace)}</pre>")
            if out.logs:
                parts.append(f"<h3>Output</h3><pre>{escape(out.logs)}</pre>")
        parts.append("</body></html>")
        return Reply(200, "".join(parts).encode("utf-8"), content_type="text/html; charset=utf-8")
