"""Every example runs against the embedded fake and prints what it promises.

Examples are meant to be copied into a user's project as they are: each is run from a
directory holding nothing but its own copy, and imports only public modules.
"""

from __future__ import annotations

import ast
import os
import shutil
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
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_imports_only_public_modules(script: str) -> None:
    tree = ast.parse((EXAMPLES / script).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{script}: relative import"
            modules, names = [node.module or ""], [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if module.split(".")[0] == "claude_client":
                assert module in ("claude_client", "claude_client.testing"), f"{script}: {module}"
            else:  # the standard library only: nothing a user's project would lack
                assert module.split(".")[0] in sys.stdlib_module_names, f"{script}: {module}"
        assert not [n for n in names if n.startswith("_") and n != "__future__"], script


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_against_the_fake(script: str, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CLAUDE_API_URL", "CLAUDE_API_KEY", "CLAUDE_PROJECT_KEYS")
    }
    copy = tmp_path / script  # alone in its directory, as in a user's project
    shutil.copy(EXAMPLES / script, copy)
    result = subprocess.run(
        [sys.executable, "-I", str(copy)],  # -I: no PYTHONPATH, no script-dir extras
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for line in CASES[script]:
        assert line in result.stdout, f"{line!r} missing from:\n{result.stdout}"
