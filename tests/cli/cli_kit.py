"""Helpers of the tests/cli suite: run `claude-client` for real, read its output file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from claude_client.testing import FakeService

# The command itself: `python -m claude_client`, the same entry point as `claude-client`.
COMMAND = [sys.executable, "-m", "claude_client"]
RUN_TIMEOUT = 60.0


@dataclass
class Result:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(fake: Optional[FakeService], **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLAUDE_") and not k.endswith("_PROXY") and not k.endswith("_proxy")
    }
    if fake is not None:
        env["CLAUDE_API_URL"] = fake.base_url
        env["CLAUDE_API_KEY"] = fake.api_key
    env["NO_PROXY"] = "*"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def start(args: Sequence[str], env: dict[str, str], **popen: Any) -> subprocess.Popen[bytes]:
    """The command as a background process (for kill / SIGINT / pty tests)."""
    return subprocess.Popen([*COMMAND, *args], env=env, **popen)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The output file's complete lines (a line cut by a kill is left out)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in whole.splitlines() if line.strip()]


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[bytes], limit: float = 30) -> int:
    """Poll until the output file has ``n`` complete lines (bounded; the process must live)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        count = len(read_lines(path))
        if count >= n:
            return count
        if proc.poll() is not None:
            raise AssertionError(f"the batch ended (status {proc.returncode}) before {n} lines")
        time.sleep(0.01)
    raise AssertionError(f"fewer than {n} lines after {limit} s")


def write_prompts(path: Path, prompts: Sequence[str]) -> Path:
    path.write_text("".join(p + "\n" for p in prompts), encoding="utf-8")
    return path
