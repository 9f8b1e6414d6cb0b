"""§5 "no secret appears in any log, report, summary, state file or error message": the
scanner that checks every output of the guarantee suite at the session's end
(tests/session_checks.py) finds each kind of secret it looks for."""
from __future__ import annotations

from guarantees_support import ISSUED, TOKEN, scan_secrets
from session_checks import secret_problems


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    (tmp_path / "stderr-run.txt").write_text(f"Bearer {TOKEN}\n")
    (tmp_path / "junit.xml").write_text("<x>dlsp" + "ab" * 24 + "</x>")
    (tmp_path / "state.json").write_text('{"t": "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"}')
    found = scan_secrets([tmp_path])
    assert len(found) == 3, found
    assert ISSUED.pattern


def test_the_session_end_check_scans_the_suite_so_far():
    assert secret_problems() == []
