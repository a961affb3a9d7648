"""Generate docs: an agentic task writes documentation and we list what it produced.

    python generate_docs.py

The task's artifacts are the files the service really finds in the task's workspace
(``/tmp/agentic_tasks/<task_id>`` on the service host): usually none, since the agent
writes where its prompt tells it. A task that ran over its cost limit raises a typed
error that still carries the partial result.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from claude_client import APITimeoutError, BudgetExceededError, ClaudeClient


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


def main() -> int:
    with service() as fake, ClaudeClient(**fake.client_kwargs() if fake else {}) as client:
        try:
            task = client.agentic_task(
                "Generate API documentation in Markdown for the public functions of src/",
                allow_tools=["Read", "Glob", "Grep"],
                working_directory="/project",
                timeout=300,
                max_cost=1.0,
            )
        except (BudgetExceededError, APITimeoutError) as exc:
            print(f"the task stopped early: {exc}")
            partial = exc.task_result["result"].get("output") if exc.task_result else None
            print(f"partial output: {partial!r}")
            return 1
        print(f"status: {task.status}")
        print(task.result["full_output"])
        print(f"\nworkspace: {task.result['workspace_directory']}")
        print("files written:")
        for artifact in task.artifacts:
            print(f"  {artifact.path}  {artifact.size_bytes} bytes  ({artifact.created_at})")
        if not task.artifacts:
            print("  (none found in the workspace)")
        usage = task["usage"]
        print(
            f"\n{usage['total_tokens']} tokens, ${usage['total_cost']:.6f},"
            f" {usage['duration_seconds']:.2f} s with {usage['model_used']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
