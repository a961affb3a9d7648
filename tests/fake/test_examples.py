"""Every example runs against the embedded fake and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# (script, lines its output must contain)
CASES = {
    "quickstart.py": [
        "Service: embedded fake at http://127.0.0.1:",
        "content: Answer: Explain recursion in one sentence",
        "Answer: Write a haiku about the sea",
        "workspace: /tmp/agentic_tasks/",
        "3/3 completed",
        "project default:",
        "PermissionDeniedError (HTTP 403): Permission denied: Tool 'Write' is explicitly blocked",
        "Done.",
    ],
    "analyse_files.py": ["5/5 reviewed", "batch: 5 completed, 0 failed", "agent: completed"],
    "generate_docs.py": [
        "status: completed",
        "workspace: /tmp/agentic_tasks/",
        "files written:",
        "(none found in the workspace)",
    ],
    "multiple_projects.py": [
        "frontend   billed to frontend: Answer: Plan the next sprint of frontend",
        "backend    billed to backend:",
        "frontend     14 tokens",
        "backend      26 tokens",
    ],
    "retries.py": [
        "after 3 attempts",
        "ServerError 502 (upstream_error) after 3 attempts",
        "BudgetExceededError: Budget exceeded for project default (1 attempt)",
        "APITimeoutError after",
    ],
    "async_client.py": [
        "10 answers in",
        "Answer: Give me fact number 10 about octopuses",
        "batch: 4/4 completed",
    ],
}


def test_every_example_is_covered() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_against_the_fake(script: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CLAUDE_API_URL", "CLAUDE_API_KEY", "CLAUDE_PROJECT_KEYS")
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=EXAMPLES.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for line in CASES[script]:
        assert line in result.stdout, f"{line!r} missing from:\n{result.stdout}"
