"""Async: many calls at once with AsyncClaudeClient (one connection pool, safe to share).

python async_client.py
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import Any

from claude_client import AsyncClaudeClient


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


QUESTIONS = [f"Give me fact number {i} about octopuses" for i in range(1, 11)]


async def run(kwargs: dict[str, Any]) -> None:
    async with AsyncClaudeClient(**kwargs) as client:
        started = time.monotonic()
        answers = await asyncio.gather(*(client.complete(q, model="haiku") for q in QUESTIONS))
        print(f"{len(answers)} answers in {time.monotonic() - started:.2f} s:")
        for question, answer in zip(QUESTIONS, answers, strict=True):
            print(f"  {question:<40} -> {answer.content}")

        batch = await client.batch(QUESTIONS[:4], model="haiku")
        print(f"batch: {batch.completed}/{batch.total} completed, ${batch.total_cost:.6f}")

        usage, health = await asyncio.gather(client.get_usage(), client.health())
        print(f"usage: {usage.total_tokens} tokens; service {health['status']}")


def main() -> int:
    with service() as fake:  # the fake runs in its own thread, outside this event loop
        asyncio.run(run(fake.client_kwargs() if fake else {}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
