"""Analyse files: review local source files in one batch, then let an agent look deeper.

    python analyse_files.py [DIRECTORY]     # default: the installed claude_client package

Each file becomes one batch prompt (its id is the file name), so a failure on one file
does not lose the others; then an agentic task with read-only tools analyses the tree.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import claude_client
from claude_client import ClaudeClient

MAX_CHARS = 2_000  # keep prompts small


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


def main(directory: Path) -> int:
    files = sorted(p for p in directory.glob("*.py") if p.is_file())[:5]
    if not files:
        print(f"no Python files in {directory}")
        return 1
    with service() as fake, ClaudeClient(**fake.client_kwargs() if fake else {}) as client:
        prompts = [
            {
                "id": path.name,
                "prompt": f"Review {path.name} for bugs in two sentences:\n"
                + path.read_text(errors="replace")[:MAX_CHARS],
            }
            for path in files
        ]
        batch = client.batch(
            prompts,
            model="haiku",
            on_progress=lambda done, total: print(f"  {done}/{total} reviewed"),
        )
        for result in batch.results:
            text = (result.content or result.error or "")[:100].replace("\n", " ")
            print(f"{result.id:<20} {result.status:<10} {text}...")
        print(
            f"batch: {batch.completed} completed, {batch.failed} failed, ${batch.total_cost:.6f}\n"
        )

        task = client.agentic_task(
            f"Find the modules in {directory.name} with the most complex functions",
            allow_tools=["Read", "Grep", "Glob"],
            timeout=120,
            max_cost=0.5,
        )
        print(f"agent: {task['status']}: {task['result']['summary']}")
        for step in task["execution_log"]:
            print(f"  step {step['step']}: {step['action']} {step['details'].get('name', '')}")
    return 0


if __name__ == "__main__":
    default = Path(claude_client.__file__).parent  # the installed SDK's own sources
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
