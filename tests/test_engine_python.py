"""The python engine through the Engine interface: results, SQL sharing, cancel, no leftovers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine_support import Workspace, notebook, process_gone, run_threads
from localspace.engine import make_engine
from localspace.engine.base import NotebookTask
from localspace.paths import Paths
from localspace.unity import models as unity
from waiting import wait_until

SCRIPTS = str(Path(__file__).resolve().parents[1] / "scripts")


@pytest.fixture
def ws():
    return Workspace()


@pytest.fixture
def engine(tmp_path, ws):
    paths = Paths(tmp_path / "root")
    unity.volume_dir(paths, "dev", "sbit", "landing").mkdir(parents=True)  # what notebooks write into
    unity.ensure_catalog(paths, "main")
    engine = make_engine("python", paths, ws.read, {"ci": {"token": "s3cr3t"}})
    yield engine
    engine.close()
    wait_until(lambda: not run_threads(), 5, "run threads to end")


def run(engine, path, parameters=None, timeout=30):
    result = engine.start_notebook(NotebookTask(1, path, parameters or {})).result(timeout)
    assert result is not None, "notebook did not finish"
    return result


def test_success_with_exit_value_widgets_secrets_and_logs(engine, ws):
    ws.add("/Shared/p/main", notebook(
        "dbutils.widgets.text('env', 'dev')\nprint('env', dbutils.widgets.get('env'))",
        "token = dbutils.secrets.get('ci', 'token')\nprint(len(token))",
        "dbutils.notebook.exit(7)",
        "print('never')"))
    result = run(engine, "/Workspace/Shared/p/main", {"env": "ci"})
    assert (result.result_state, result.exit_value, result.error) == ("SUCCESS", "7", None)
    assert result.logs == "env ci\n6\n"


def test_databricks_sdk_runtime_gives_the_notebooks_own_globals(engine, ws):
    ws.add("/Shared/p/main", notebook(
        "from databricks.sdk.runtime import dbutils as d, spark as s, sql\n"
        "dbutils.widgets.text('env', 'dev')\n"
        "dbutils.notebook.exit(f\"{d is dbutils},{s is spark},{d.widgets.get('env')},{sql('SELECT 41 + 1').collect()[0][0]}\")"))
    assert run(engine, "/Shared/p/main", {"env": "ci"}).exit_value == "True,True,ci,42"


def test_failure_has_one_line_error_and_cell_trace(engine, ws):
    ws.add("/Shared/p/lib", notebook("def boom():\n    raise ValueError('bad value\\nsecond line')"))
    ws.add("/Shared/p/main", notebook("# MAGIC %run ./lib", "print('before')\nboom()"))
    result = run(engine, "/Shared/p/main")
    assert result.result_state == "FAILED"
    assert result.error == "ValueError: bad value"
    assert 'File "<notebook /Shared/p/main, cell 2>", line 2' in result.error_trace
    assert 'File "<notebook /Shared/p/lib, cell 1>", line 2, in boom' in result.error_trace
    assert "raise ValueError" in result.error_trace
    assert "child.py" not in result.error_trace and "runner.py" not in result.error_trace
    assert result.logs == "before\n"


def test_sql_is_shared_between_notebooks_and_statements(engine, ws):
    engine.execute_sql("CREATE SCHEMA IF NOT EXISTS dev.sbit")
    ws.add("/Shared/p/writer", notebook(
        "# MAGIC %sql\n# MAGIC CREATE TABLE dev.sbit.users (id BIGINT, name STRING);\n"
        "# MAGIC INSERT INTO dev.sbit.users VALUES (1, 'ann'), (2, 'bob')",
        "rows = spark.sql('SELECT name FROM dev.sbit.users ORDER BY id').collect()\n"
        "dbutils.notebook.exit(','.join(r.name for r in rows))"))
    assert run(engine, "/Shared/p/writer").exit_value == "ann,bob"
    result = engine.execute_sql("SELECT count(*) AS n FROM users", catalog="dev", schema="sbit")
    assert result.rows == [["2"]]
    engine.execute_sql("INSERT INTO dev.sbit.users VALUES (3, 'cy')")
    ws.add("/Shared/p/reader", notebook("dbutils.notebook.exit(spark.table('dev.sbit.users').count())"))
    assert run(engine, "/Shared/p/reader").exit_value == "3"


def test_open_and_fs_on_volumes(engine, ws, tmp_path):
    ws.add("/Shared/p/files", notebook(
        "dbutils.fs.mkdirs('/Volumes/dev/sbit/landing')\n"
        "with open('/Volumes/dev/sbit/landing/a.txt', 'w') as f:\n    f.write('hello')",
        "dbutils.notebook.exit(dbutils.fs.head('/Volumes/dev/sbit/landing/a.txt'))"))
    assert run(engine, "/Shared/p/files").exit_value == "hello"
    assert (tmp_path / "root/volumes/dev/sbit/landing/a.txt").read_text() == "hello"


def test_pip_install_of_installed_packages_passes(engine, ws):
    # Real notebooks start with %pip install and dbutils.library.restartPython().
    ws.add("/Shared/p/pip_ok", notebook("# MAGIC %pip install -q requests pyyaml>=5",
                                        "dbutils.library.restartPython()", "dbutils.notebook.exit('ok')"))
    result = run(engine, "/Shared/p/pip_ok")
    assert (result.result_state, result.exit_value) == ("SUCCESS", "ok"), result.error
    assert "requests pyyaml>=5 already installed" in result.logs


def test_os_calls_on_volumes_reach_the_emulators_folders(engine, ws, tmp_path):
    # On Databricks volumes are mounted on the driver, so os works on them as on any folder.
    ws.add("/Shared/p/os", notebook(
        "import os\nimport os.path\nfrom os.path import isfile\nfrom os import path as ospath\n"
        "landing = '/Volumes/dev/sbit/landing/day=1'\nos.makedirs(landing, exist_ok=True)\n"
        "with open(f'{landing}/a.json', 'w') as f:\n    f.write('{}')\n"
        "os.rename(f'{landing}/a.json', f'{landing}/b.json')\n"
        "found = [os.listdir(landing), os.path.isdir(landing), isfile(f'{landing}/b.json'),\n"
        "         ospath.getsize(f'{landing}/b.json'), os.path.exists('/Volumes/dev/sbit/landing/none')]\n"
        "dbutils.notebook.exit(str(found))"))
    result = run(engine, "/Shared/p/os")
    assert result.exit_value == "[['b.json'], True, True, 2, False]", result.error_trace
    assert (tmp_path / "root/volumes/dev/sbit/landing/day=1/b.json").read_text() == "{}"


def test_unsupported_features_fail_clearly(engine, ws):
    ws.add("/Shared/p/pip", notebook("x = 1", "# MAGIC %pip install no-such-package-xyz==1.0 pyyaml"))
    result = run(engine, "/Shared/p/pip")
    assert result.result_state == "FAILED"
    assert result.error.startswith("NotSupportedOnLocalspace: localspace does not install packages; "
                                   "install no-such-package-xyz==1.0 into the emulator's environment")
    ws.add("/Shared/p/flow", notebook("dbutils.notebook.run('./child', 60)"))
    result = run(engine, "/Shared/p/flow")
    assert "localspace does not emulate dbutils.notebook.run on the python engine; use --engine spark" in result.error
    ws.add("/Shared/p/stream", notebook("spark.readStream.format('json').load('/Volumes/x')"))
    result = run(engine, "/Shared/p/stream")
    assert "localspace does not emulate spark.readStream on the python engine" in result.error
    assert "What each engine does" in result.error
    assert "--engine spark" in result.error


def test_missing_notebook_fails_without_a_process(engine):
    result = run(engine, "/Shared/nowhere")
    assert result.result_state == "FAILED"
    assert result.error == "NotebookSourceError: Notebook not found: /Shared/nowhere"


@pytest.mark.parametrize("body", ["import time\ntime.sleep(3600)",
                                  "while True:\n    pass",
                                  "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                  "while True:\n    pass"])
def test_cancel_ends_the_run_within_two_seconds(engine, ws, tmp_path, body):
    marker = tmp_path / "started"
    ws.add("/Shared/p/busy", notebook(f"open({str(marker)!r}, 'w').close()", body))
    handle = engine.start_notebook(NotebookTask(5, "/Shared/p/busy"))
    wait_until(marker.exists, 10, "the notebook to start")
    assert handle.result(0) is None
    started = time.monotonic()
    handle.cancel()
    result = handle.result(2)
    assert result is not None and result.result_state == "CANCELED"
    assert time.monotonic() - started < 2
    assert process_gone(handle.pid)


def test_cancel_kills_processes_the_notebook_started(engine, ws, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    ws.add("/Shared/p/spawn", notebook(
        "import subprocess\n"
        "p = subprocess.Popen(['sleep', '3600'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))",
        "import time\ntime.sleep(3600)"))
    handle = engine.start_notebook(NotebookTask(6, "/Shared/p/spawn"))
    wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the grandchild to start")
    grandchild = int(pid_file.read_text())
    handle.cancel()
    assert handle.result(2).result_state == "CANCELED"
    wait_until(lambda: process_gone(grandchild), 2, "the grandchild to die")


def test_notebook_dies_with_the_emulator(tmp_path):
    """SIGKILL the process that owns the engine: its notebook child must not survive."""
    pid_file = tmp_path / "notebook.pid"
    owner = textwrap.dedent(f"""
        import sys, threading
        from localspace.engine import make_engine
        from localspace.engine.base import NotebookTask
        from localspace.paths import Paths
        source = ("# Databricks notebook source\\nimport os\\n"
                  "open({str(pid_file)!r}, 'w').write(str(os.getpid()))\\nwhile True:\\n    pass\\n")
        engine = make_engine("python", Paths({str(tmp_path / 'root')!r}), lambda p: source, {{}})
        engine.start_notebook(NotebookTask(1, "/Shared/forever"))
        threading.Event().wait()
    """)
    process = subprocess.Popen([sys.executable, "-c", owner], env={**os.environ, "PYTHONPATH": SCRIPTS})
    try:
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), 15, "the notebook to start")
        notebook_pid = int(pid_file.read_text())
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        wait_until(lambda: process_gone(notebook_pid), 3, "the orphaned notebook to die")
    finally:
        process.kill()
        process.wait(10)


def test_logs_are_bounded(engine, ws):
    ws.add("/Shared/p/chatty", notebook("for i in range(60000):\n    print('line', i)"))
    result = run(engine, "/Shared/p/chatty")
    assert result.result_state == "SUCCESS"
    assert len(result.logs) < 300_000
    assert result.logs.startswith("line 0\n") and result.logs.endswith("line 59999\n")
    assert "characters dropped" in result.logs


def test_runs_in_parallel_and_close_cancels_everything(tmp_path, ws):
    engine = make_engine("python", Paths(tmp_path / "root"), ws.read, {})
    markers = [tmp_path / f"m{i}" for i in range(3)]
    handles = []
    for i, marker in enumerate(markers):
        ws.add(f"/Shared/p/n{i}", notebook(f"open({str(marker)!r}, 'w').close()\nimport time\ntime.sleep(3600)"))
        handles.append(engine.start_notebook(NotebookTask(10 + i, f"/Shared/p/n{i}")))
    wait_until(lambda: all(m.exists() for m in markers), 15, "all notebooks to start")
    engine.close()
    assert [h.result(0).result_state for h in handles] == ["CANCELED"] * 3
    assert all(process_gone(h.pid) for h in handles)
    wait_until(lambda: not run_threads(), 5, "run threads to end")


def test_modules_and_cells_compile_as_python_does(engine, ws, tmp_path):
    """Annotations follow the file's own ``__future__`` imports, not the emulator's, and a
    dataclass in a module with string annotations finds its module (dataclasses looks it up in
    sys.modules), as in a workspace module on Databricks."""
    folder = tmp_path / "root/workspace/Shared/dc"
    folder.mkdir(parents=True)
    (folder / "shapes.py").write_text(
        "from __future__ import annotations\nfrom dataclasses import dataclass, field\n\n"
        "@dataclass(frozen=True)\nclass Point:\n    x: int\n    tags: list[str] = field(default_factory=list)\n")
    (folder / "plain.py").write_text("def g(y: int) -> str:\n    return str(y)\n")
    ws.add("/Shared/dc/main", notebook(
        "import json\nfrom shapes import Point\nfrom plain import g\n"
        "def f(x: int):\n    pass",
        "dbutils.notebook.exit(json.dumps([repr(Point(1)), repr(f.__annotations__['x']),\n"
        "                                  repr(g.__annotations__['y'])]))"))
    result = run(engine, "/Shared/dc/main")
    assert result.result_state == "SUCCESS", result.error_trace
    assert json.loads(result.exit_value) == ["Point(x=1, tags=[])", "<class 'int'>", "<class 'int'>"]


def test_a_cell_whose_code_starts_indented_runs_as_on_ipython(engine, ws):
    ws.add("/Shared/dc/indented", notebook("  x = (1 +\n       1)\n  dbutils.notebook.exit(str(x))"))
    result = run(engine, "/Shared/dc/indented")
    assert result.result_state == "SUCCESS", result.error_trace
    assert result.exit_value == "2"


def test_workspace_files_beside_the_notebook_and_its_context(engine, ws, tmp_path):
    """The notebook's folder is its cwd and on sys.path (Databricks Runtime 14+); the context
    answers its path; %fs runs as dbutils.fs; sc says the python engine has none."""
    folder = tmp_path / "root/workspace/Shared/p"
    (folder / "lib").mkdir(parents=True)
    (folder / "lib/__init__.py").write_text("from .names import NAME\n")
    (folder / "lib/names.py").write_text("NAME = 'beside'\n")
    (folder / "conf.json").write_text('{"env": "ci"}')
    ws.add("/Shared/p/main", notebook(
        "import importlib, json, os, sys\nfrom lib import NAME\n"
        "assert importlib.import_module('lib.names').NAME == NAME\n"
        "assert 'conf.json' in os.listdir() and os.path.isfile('conf.json')\n"
        "ctx = dbutils.notebook.entry_point.getDbutils().notebook().getContext()",
        "dbutils.fs.put('/tmp/x.txt', 'x', True)",
        "# MAGIC %fs ls /tmp",
        "dbutils.notebook.exit(json.dumps([NAME, json.load(open('conf.json'))['env'], os.getcwd(),\n"
        "                                  ctx.notebookPath().get(), 'lib' in sys.modules]))"))
    result = run(engine, "/Shared/p/main")
    assert result.exit_value == '["beside", "ci", "/Workspace/Shared/p", "/Shared/p/main", false]', result.error_trace
    assert "FileInfo(path='dbfs:/tmp/x.txt', name='x.txt', size=1" in result.logs
    ws.add("/Shared/p/sc", notebook("sc.setJobGroup('a', 'b')"))
    result = run(engine, "/Shared/p/sc")
    assert result.error.startswith("NotSupportedOnLocalspace: localspace does not emulate sc.setJobGroup on the "
                                   "python engine"), result.error
    assert "What each engine does" in result.error
