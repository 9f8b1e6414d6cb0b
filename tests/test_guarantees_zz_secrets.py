"""§5 "no secret appears in any log, report, summary, state file or error message", checked
over every stdout, stderr, JUnit file, summary, GitHub output and state file the guarantee
suite produced in this session (named zz so it runs after the other test_guarantees files)."""
from __future__ import annotations

from guarantees_support import ISSUED, TOKEN, produced_dirs, scan_secrets


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    (tmp_path / "stderr-run.txt").write_text(f"Bearer {TOKEN}\n")
    (tmp_path / "junit.xml").write_text("<x>dlsp" + "ab" * 24 + "</x>")
    (tmp_path / "state.json").write_text('{"t": "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"}')
    found = scan_secrets([tmp_path])
    assert len(found) == 3, found
    assert ISSUED.pattern


def test_no_secret_in_anything_the_suite_produced():
    dirs = produced_dirs()
    assert scan_secrets(dirs) == [], f"scanned {len(dirs)} run folders"
