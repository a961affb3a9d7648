"""Analyse files: review local source files in one batch, then let an agent look deeper.

    python examples/analyse_files.py [DIRECTORY]     # default: the claude_client package

Each file becomes one batch prompt (its id is the file name), so a failure on one file
does not lose the others; then an agentic task with read-only tools analyses the tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _service import service

from claude_client import ClaudeClient

MAX_CHARS = 2_000  # keep prompts small


def main(directory: Path) -> int:
    files = sorted(p for p in directory.glob("*.py") if p.is_file())[:5]
    if not files:
        print(f"no Python files in {directory}")
        return 1
    with service() as (kwargs, _fake), ClaudeClient(**kwargs) as client:
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
    default = Path(__file__).resolve().parents[1] / "claude_client"
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
