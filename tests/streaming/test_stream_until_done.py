"""``until_done()`` drains a stream and returns it; ``await client.stream(...)`` says what
to write instead. Both clients, against the fake service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from claude_client import (
    AsyncClaudeClient,
    ClaudeClient,
    StreamNotFinishedError,
    TaskResult,
    Usage,
)

pytest.importorskip("fastapi")

PROMPT = "Explain the tides in two sentences"


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_until_done_returns_the_finished_chat_stream(claude_fake: Any) -> None:
    with ClaudeClient(base_url=claude_fake.base_url, api_key=claude_fake.api_key) as client:
        s = client.stream(PROMPT, model="haiku").until_done()
        assert s.content == claude_fake.expected_answer(PROMPT)
        usage: Usage = s.usage  # no Optional to narrow
        assert usage.total_tokens == claude_fake.expected_usage(PROMPT)["total_tokens"]
        assert s.cost == pytest.approx(claude_fake.expected_cost(PROMPT, "haiku"))
        assert s.model == "haiku" and s.finished
        assert s.until_done() is s  # a finished stream stays as it is


def test_until_done_after_a_few_chunks_reads_the_rest(claude_fake: Any) -> None:
    with ClaudeClient(base_url=claude_fake.base_url, api_key=claude_fake.api_key) as client:
        s = client.stream(PROMPT, model="haiku")
        first = next(s)
        with pytest.raises(StreamNotFinishedError):
            s.usage  # noqa: B018
        assert s.until_done().content.startswith(first)
        assert s.content == claude_fake.expected_answer(PROMPT)


def test_until_done_returns_the_task_stream_with_its_result(claude_fake: Any) -> None:
    with ClaudeClient(base_url=claude_fake.base_url, api_key=claude_fake.api_key) as client:
        s = client.stream_task("Count the Python files", allow_tools=["Read"]).until_done()
        assert isinstance(s.result, TaskResult) and s.result.status == "completed"


def test_async_until_done(claude_fake: Any, loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        async with AsyncClaudeClient(
            base_url=claude_fake.base_url, api_key=claude_fake.api_key
        ) as client:
            s = await client.stream(PROMPT, model="haiku").until_done()
            assert s.content == claude_fake.expected_answer(PROMPT)
            assert s.usage.total_tokens == claude_fake.expected_usage(PROMPT)["total_tokens"]
            t = await client.stream_task("Count the Python files").until_done()
            assert isinstance(t.result, TaskResult) and t.result.status == "completed"

    loop.run_until_complete(main())


@pytest.mark.parametrize("method", ["stream", "stream_task"])
def test_awaiting_a_stream_says_how_to_use_it(
    claude_fake: Any, loop: asyncio.AbstractEventLoop, method: str
) -> None:
    async def main() -> None:
        async with AsyncClaudeClient(
            base_url=claude_fake.base_url, api_key=claude_fake.api_key
        ) as client:
            with pytest.raises(TypeError) as info:
                await getattr(client, method)("hello")
            text = str(info.value)
            assert "is not awaitable" in text
            assert f"async for chunk in client.{method}(...)" in text
            assert f"await client.{method}(...).until_done()" in text

    loop.run_until_complete(main())
    assert [r for r in claude_fake.requests if r.method == "WS"] == []  # nothing was sent
