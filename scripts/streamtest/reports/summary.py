"""The job summary: a result line, one markdown table per phase, and a mermaid gantt timeline.

Written to ``--summary`` and appended to ``$GITHUB_STEP_SUMMARY`` (GitHub renders mermaid).
"""
from __future__ import annotations

import re

from streamtest import redaction
from streamtest.durations import format_duration
from streamtest.reports.records import Recorder, explained

ICONS = {"passed": "✅ passed", "failed": "❌ failed", "error": "⚠️ error", "skipped": "⏭️ skipped",
         "running": "⚠️ interrupted"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _label(text: str) -> str:
    """Gantt labels may not contain ':' ';' '#' (mermaid syntax)."""
    return re.sub(r"[:;#\n]", " ", text).strip()[:70] or "step"


def _notices(recorder: Recorder) -> list[str]:
    """Steps skipped on purpose: one bullet per phase and reason (``--iterations`` skips whole
    iterations), naming the step when it is the only one."""
    groups: dict[tuple, list] = {}
    for r in recorder.notices():
        groups.setdefault((r.phase, r.message), []).append(r)
    out = []
    for (phase, message), results in groups.items():
        what = _cell(results[0].name) if len(results) == 1 else f"{len(results)} steps"
        out.append(f"- **{_cell(phase)} / {what}**: {_cell(_first_line(message))}")
    return out


def _indented_detail(message: str) -> list[str]:
    """The lines after a failure's first (a dead run's exception and notebook frames), as a
    code block under its bullet, so the summary shows where the notebook broke."""
    rest = (message or "").strip().splitlines()[1:]
    if not rest:
        return []
    return ["", "  ```text", *(f"  {line}" for line in rest[:40]), "  ```"]


def render(recorder: Recorder, suite_name: str, duration: float) -> str:
    verdict = recorder.verdict()
    lines = [f"## streamtest: {suite_name} {ICONS.get(verdict, verdict)}", "",
             f"Total time {format_duration(duration)}."]
    if recorder.run_url:
        lines[-1] += f" {recorder.run_label}: [{recorder.run_url}]({recorder.run_url})"
    for r in recorder.failures():
        text = explained(_first_line(r.message), r.expected, r.last_seen)
        link = f" ([run]({r.link}))" if r.link else ""
        lines.append(f"- **{_cell(r.phase)} / {_cell(r.name)}**: {_cell(text)}{link}")
        lines += _indented_detail(r.message)
    lines += _notices(recorder)
    for phase, results in recorder.phases():
        lines += ["", f"### {_cell(phase)}", "", "| step | result | time | link |", "| --- | --- | --- | --- |"]
        for r in results:
            link = f"[run]({r.link})" if r.link else ""
            result = ICONS.get(r.outcome, r.outcome)
            if r.outcome in ("failed", "error") and r.message:
                result += f": {_cell(_first_line(r.message))[:200]}"
            time_text = format_duration(r.duration) if r.started is not None else ""
            lines.append(f"| {_cell(r.name)} | {result} | {time_text} | {link} |")
    lines += ["", *timeline(recorder)]
    return redaction.redact("\n".join(lines) + "\n")


def timeline(recorder: Recorder) -> list[str]:
    """A mermaid gantt of every step that started, one section per phase (ms timestamps)."""
    ran = [(phase, [r for r in results if r.started is not None]) for phase, results in recorder.phases()]
    ran = [(phase, results) for phase, results in ran if results]
    if not ran:
        return []
    out = ["```mermaid", "gantt", "    title Timeline", "    dateFormat x", "    axisFormat %H:%M:%S"]
    for phase, results in ran:
        out.append(f"    section {_label(phase)}")
        for r in results:
            start = int(r.started * 1000)
            end = start + max(1, int(r.duration * 1000))
            tag = {"failed": "crit, ", "error": "crit, ", "passed": "done, "}.get(r.outcome, "")
            out.append(f"    {_label(r.name)} :{tag}{start}, {end}")
    out.append("```")
    return out
