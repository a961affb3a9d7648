"""Async: many calls at once with AsyncClaudeClient (one connection pool, safe to share).

python examples/async_client.py
"""

from __future__ import annotations

import asyncio
import sys
import time

from _service import service

from claude_client import AsyncClaudeClient

QUESTIONS = [f"Give me fact number {i} about octopuses" for i in range(1, 11)]


async def run(kwargs: dict[str, object]) -> None:
    async with AsyncClaudeClient(**kwargs) as client:  # type: ignore[arg-type]
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
    with service() as (kwargs, _fake):
        asyncio.run(run(kwargs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
