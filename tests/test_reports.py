"""The four renderers of one record list: JUnit (read back with junitparser), summary,
annotations, outputs."""
from __future__ import annotations

from junitparser import Error, Failure, JUnitXml, Skipped

from streamtest import redaction
from streamtest.reports import annotations, junit, outputs, summary
from streamtest.reports.records import ERROR, FAILED, PASSED, Recorder


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self):
        self.now += 1.5
        return self.now


def sample() -> Recorder:
    rec = Recorder(clock=Clock())
    deploy = rec.expect("setup", "deploy")
    check = rec.expect("setup", "history | loaded")
    later = rec.expect("payload 1", "bronze: holds payload 1")
    boom = rec.expect("cleanup", "delete job")
    rec.end(rec.begin(deploy), PASSED, "4 objects")
    rec.end(rec.begin(check), FAILED, "not met within 2m\nsecond line", expected="15", last_seen="10",
            link="https://x/run/1")
    rec.end(rec.begin(boom), ERROR, "workspace error")
    rec.run_url = "https://x/run/1"
    assert later.outcome == "skipped"
    return rec


def test_junit_reads_back(tmp_path):
    path = tmp_path / "j.xml"
    junit.write(sample(), "suite", path)
    xml = JUnitXml.fromfile(str(path))
    suites = {s.name: s for s in xml}
    assert list(suites) == ["setup", "payload 1", "cleanup"]
    setup = list(suites["setup"])
    assert [c.name for c in setup] == ["deploy", "history | loaded"]
    assert setup[0].is_passed and abs(setup[0].time - 1.5) < 0.01
    failure = setup[1].result[0]
    assert isinstance(failure, Failure)
    assert "expected: 15" in failure.text and "last seen: 10" in failure.text and "https://x/run/1" in failure.text
    assert isinstance(list(suites["payload 1"])[0].result[0], Skipped)
    assert isinstance(list(suites["cleanup"])[0].result[0], Error)
    assert suites["setup"].failures == 1 and suites["payload 1"].skipped == 1


def test_summary_tables_and_timeline():
    text = summary.render(sample(), "suite", 75)
    assert text.startswith("## streamtest: suite ❌ failed")
    assert "| history \\| loaded | ❌ failed: not met within 2m |" in text
    assert "(expected 15; last seen 10)" in text
    assert "### payload 1" in text and "⏭️ skipped" in text
    gantt = text.split("```mermaid", 1)[1]
    assert "dateFormat x" in gantt and "section setup" in gantt
    assert "bronze" not in gantt  # never started: not on the timeline
    assert "history | loaded :crit," in gantt


def test_annotations_escape():
    lines = annotations.errors(sample().results)
    assert len(lines) == 2
    assert lines[0].startswith("::error title=setup%3A history | loaded::not met within 2m%0Asecond line")
    assert annotations.group_start("a%b") == "::group::a%25b"


def test_outputs_and_redaction(tmp_path):
    redaction.register("dapi-very-secret-999")
    path = tmp_path / "out"
    outputs.append(path, {"result": "failed", "run-url": "https://x/1", "note": "a\nb dapi-very-secret-999"})
    text = path.read_text()
    assert text.startswith("result=failed\nrun-url=https://x/1\nnote<<ghadelimiter_")
    assert "dapi-very-secret-999" not in text and "***" in text


def test_verdict_order():
    rec = Recorder()
    rec.end(rec.begin(rec.expect("a", "x")), ERROR, "boom")
    assert rec.verdict() == "error"
    rec.end(rec.begin(rec.expect("a", "y")), FAILED, "check")
    assert rec.verdict() == "failed"
