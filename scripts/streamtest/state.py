"""The state file: what this run created, written the moment each resource exists.

If the runner is killed (SIGKILL, a cancelled workflow past its grace period), the action's
``if: always()`` step runs ``streamtest cleanup --state PATH`` and finds everything here.
Each write goes to a temporary file that replaces the old one atomically, so a kill in the
middle of a write never leaves a truncated file. It holds ids and paths, never secrets.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from streamtest import redaction

VERSION = 1


class StateError(Exception):
    """The state file is missing or unreadable."""


class State:
    def __init__(self, path: Optional[Path], data: Optional[dict] = None):
        self.path = Path(path) if path else None
        self.data = data or {"version": VERSION, "one_time_runs": [], "statements": []}

    @classmethod
    def load(cls, path: Path) -> "State":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StateError(f"no state file at {path}") from None
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read state file {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise StateError(f"{path} is not a streamtest state file (version {VERSION})")
        data.setdefault("one_time_runs", [])
        data.setdefault("statements", [])
        return cls(path, data)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, **values: Any) -> None:
        self.data.update(values)
        self.save()

    def add(self, key: str, value: Any) -> None:
        if value not in self.data.setdefault(key, []):
            self.data[key].append(value)
            self.save()

    def discard(self, key: str, value: Any) -> None:
        if value in self.data.get(key, []):
            self.data[key].remove(value)
            self.save()

    def save(self) -> None:
        if self.path is None:
            return
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        text = redaction.redact(json.dumps(self.data, indent=2, sort_keys=True))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".streamtest-state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
