"""JUnit XML through the junit-xml package: one testsuite per phase, one testcase per step."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from junit_xml import TestCase, TestSuite, to_xml_report_string

from streamtest import redaction
from streamtest.reports.records import Recorder


def _iso(epoch) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def render(recorder: Recorder, suite_name: str) -> str:
    suites = []
    for phase, results in recorder.phases():
        cases = []
        for r in results:
            case = TestCase(r.name, classname=f"{suite_name}.{phase}", elapsed_sec=round(r.duration, 3),
                            timestamp=_iso(r.started), url=r.link or None)
            detail = "\n".join(x for x in (
                r.message,
                f"expected: {r.expected}" if r.expected else "",
                f"last seen: {r.last_seen}" if r.last_seen else "",
                f"run page: {r.link}" if r.link else "") if x)
            if r.outcome == "failed":
                case.add_failure_info(message=r.message or "failed", output=detail, failure_type="failure")
            elif r.outcome in ("error", "running"):
                case.add_error_info(message=r.message or "error", output=detail, error_type="error")
            elif r.outcome == "skipped":
                case.add_skipped_info(message=r.message or "not reached")
            cases.append(case)
        started = min((r.started for r in results if r.started is not None), default=None)
        suites.append(TestSuite(phase, cases, timestamp=_iso(started), package=suite_name))
    return redaction.redact(to_xml_report_string(suites, prettyprint=True, encoding="utf-8"))


def write(recorder: Recorder, suite_name: str, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(recorder, suite_name), encoding="utf-8")
