"""Quickstart: the main calls of claude_client, end to end.

    python quickstart.py                       # against the embedded fake service
    CLAUDE_API_URL=https://... CLAUDE_API_KEY=cc_... python quickstart.py

Without CLAUDE_API_URL / CLAUDE_API_KEY it starts the embedded fake service
(``claude_client.testing``, the ``testing`` extra) on 127.0.0.1 and stops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from claude_client import ClaudeAPIError, ClaudeClient, PermissionDeniedError


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


def title(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 60 - len(text)))


def main() -> int:
    with service() as fake, ClaudeClient(**fake.client_kwargs() if fake else {}) as client:
        kwargs: dict[str, Any] = fake.client_kwargs() if fake else {}
        where = f"embedded fake at {fake.base_url}" if fake else os.environ["CLAUDE_API_URL"]
        print(f"Service: {where}")
        if fake is not None:
            fake.set_token_delay(0.02)  # let the stream visibly trickle in

        title("health")
        health = client.health()
        services = ", ".join(f"{name}={s['status']}" for name, s in health["services"].items())
        print(f"status: {health['status']} (version {health['version']}; {services})")

        title("complete")
        response = client.complete("Explain recursion in one sentence")
        print(f"model:   {response.model}")
        print(f"content: {response.content}")
        print(
            f"usage:   {response.usage.input_tokens} in / {response.usage.output_tokens} out"
            f" tokens, ${response.cost:.6f}"
        )

        title("stream")
        stream = client.stream("Write a haiku about the sea", model="haiku")
        for chunk in stream:
            print(chunk, end="", flush=True)
        print(f"\n[{stream.model}: {stream.usage.total_tokens} tokens, ${stream.cost:.6f}]")

        title("agentic_task")
        task = client.agentic_task(
            "Summarise the README and write the notes to a file",
            allow_tools=["Read", "Grep"],
            timeout=120,
            max_cost=0.5,
        )
        print(f"status:  {task['status']}")
        print(f"summary: {task['result']['summary']}")
        print(f"workspace: {task['result']['workspace_directory']}")
        for artifact in task.get("artifacts", []):
            print(f"artifact: {artifact['path']} ({artifact['size_bytes']} bytes)")
        print(f"cost:    ${task['usage']['total_cost']:.6f} with {task['usage']['model_used']}")

        title("batch")
        batch = client.batch(
            ["What is a list?", {"prompt": "What is a dict?", "id": "dict"}, "What is a set?"],
            model="haiku",
        )
        print(
            f"{batch.completed}/{batch.total} completed, {batch.total_tokens} tokens,"
            f" ${batch.total_cost:.6f}"
        )
        for result in batch.results:
            print(f"  [{result.status}] {result.prompt!r} -> {result.content}")

        title("get_usage")
        usage = client.get_usage("month")
        print(
            f"project {usage.project_id}: {usage.total_tokens} tokens, ${usage.total_cost:.6f}"
            f" this {usage.period}"
        )
        for model, stats in usage.by_model.items():
            print(f"  {model}: {stats['tokens']} tokens, ${stats['cost']:.6f}")
        limit = "no budget" if usage.limit is None else f"{usage.remaining} of {usage.limit} left"
        print(f"  budget: {limit}")

        title("a handled error")
        free_key = fake.free_key if fake is not None else os.environ.get("CLAUDE_FREE_API_KEY")
        free_kwargs = {**kwargs, "api_key": free_key} if free_key else kwargs
        with ClaudeClient(**free_kwargs) as limited:
            try:
                # Write is blocked for free and pro keys (and the defaults, a 285 s task
                # under the 300 s deadline and max_cost $1, exceed a free key's limits).
                limited.agentic_task("Count the files", allow_tools=["Write"])
                print("this key may run the task: no error to show")
            except PermissionDeniedError as exc:
                print(f"PermissionDeniedError (HTTP {exc.status_code}): {exc.message}")
                print("  -> a free key may use: allow_tools=['Read'], timeout=60, max_cost=0.1")
    print("\nDone.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ClaudeAPIError as exc:
        print(f"\nfailed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
