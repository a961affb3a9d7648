"""Streams against the project's fake service (``claude_client.testing``), sync and async.

The scripted server in ``stream_testkit`` pins the protocol frame by frame; these
tests check the same behaviour against the fake that speaks the whole contract
(FastAPI + uvicorn, the service's own WebSocket stack).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

import pytest
from stream_testkit import Driver

from claude_client import (
    AsyncClaudeClient,
    BudgetExceededError,
    ClaudeClient,
    PermissionError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
    TaskResult,
    TimeoutError,
    ValidationError,
)
from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings, ThinkingEvent

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

PROMPT = "Write a short story about a lighthouse keeper and a storm"


def _settings(fake: Any, key: Optional[str] = None, **options: Any) -> StreamSettings:
    options.setdefault("timeout", 20.0)
    options.setdefault("idle_timeout", 5.0)

    async def no_sleep(seconds: float) -> None:
        return None

    options.setdefault("sleep", lambda seconds: None)
    options.setdefault("async_sleep", no_sleep)
    return StreamSettings.from_client(
        base_url=fake.base_url, api_key=key or fake.api_key, **options
    )


def _one(prompt: str = PROMPT) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def test_stream_yields_the_service_answer_in_several_chunks(
    drive: Driver, claude_fake: Any
) -> None:
    out = drive.chat(_settings(claude_fake), messages=_one(), model="haiku")
    assert out.error is None
    assert len(out.items) > 3
    assert out.text == claude_fake.expected_answer(PROMPT)
    assert out.stream.content == out.text
    assert out.stream.usage == claude_fake.expected_usage(PROMPT)
    assert out.stream.cost == pytest.approx(claude_fake.expected_cost(PROMPT, "haiku"))
    assert out.stream.model == "haiku"


def test_model_auto_via_the_route_endpoint_sync(claude_fake: Any) -> None:
    with ClaudeClient(base_url=claude_fake.base_url, api_key=claude_fake.api_key) as client:

        def resolve(timeout: Optional[float]) -> str:
            return client.route(PROMPT, timeout=timeout).recommended_model

        stream = ChatStream(
            StreamSettings.for_client(client), messages=_one(), model="auto", resolve_model=resolve
        )
        assert "".join(stream) == claude_fake.expected_answer(PROMPT)
    assert stream.model == claude_fake.expected_model(PROMPT)


async def test_model_auto_via_the_route_endpoint_async(claude_fake: Any) -> None:
    async with AsyncClaudeClient(
        base_url=claude_fake.base_url, api_key=claude_fake.api_key
    ) as client:

        async def resolve(timeout: Optional[float]) -> str:
            return (await client.route(PROMPT, timeout=timeout)).recommended_model

        stream = AsyncChatStream(
            StreamSettings.for_client(client), messages=_one(), model="auto", resolve_model=resolve
        )
        chunks = [c async for c in stream]
    assert "".join(chunks) == claude_fake.expected_answer(PROMPT)
    assert stream.model == claude_fake.expected_model(PROMPT)


def test_known_defect_no_tokens(drive: Driver, claude_fake: Any) -> None:
    claude_fake.inject("ws_no_tokens")
    out = drive.chat(_settings(claude_fake), messages=_one())
    assert out.error is None
    assert out.items == []
    assert out.stream.usage is not None and out.stream.usage.input_tokens > 0


def test_drop_mid_stream_keeps_the_partial_text(drive: Driver, claude_fake: Any) -> None:
    claude_fake.drop_stream_after(3)
    out = drive.chat(_settings(claude_fake), messages=_one())
    assert isinstance(out.error, StreamInterruptedError)
    assert len(out.items) == 3
    assert out.error.partial_content == "".join(out.items)
    assert claude_fake.expected_answer(PROMPT).startswith(out.error.partial_content)


def test_shutdown_close_1001(drive: Driver, claude_fake: Any) -> None:
    claude_fake.inject("ws_close_1001", after=2)
    out = drive.chat(_settings(claude_fake), messages=_one())
    assert isinstance(out.error, StreamInterruptedError)
    assert "1001" in str(out.error)
    assert len(out.items) == 2


def test_silent_service_idle_timeout(drive: Driver, claude_fake: Any) -> None:
    claude_fake.inject("ws_silent", after=1)
    out = drive.chat(_settings(claude_fake, idle_timeout=0.5), messages=_one())
    assert type(out.error) is TimeoutError
    assert len(out.items) == 1


def test_refused_upgrade_is_retried(drive: Driver, claude_fake: Any) -> None:
    refusal = claude_fake.inject("ws_refuse", status=503, times=2)
    out = drive.chat(_settings(claude_fake), messages=_one())
    assert out.error is None
    assert out.text == claude_fake.expected_answer(PROMPT)
    assert refusal.hits == 2


def test_error_frames_from_the_service(drive: Driver, claude_fake: Any) -> None:
    out = drive.chat(_settings(claude_fake), messages=_one("please [fail] now"))
    assert type(out.error) is ServerError
    assert out.error.message.startswith("Streaming error")

    out = drive.chat(_settings(claude_fake), messages=_one(), model="gpt-4")
    assert type(out.error) is ValidationError
    assert out.error.message.startswith("Invalid model")

    claude_fake.set_budget("broke", 0)
    out = drive.chat(_settings(claude_fake), messages=_one(), project_id="broke")
    assert type(out.error) is BudgetExceededError


def test_task_stream_thinking_then_task_result(drive: Driver, claude_fake: Any) -> None:
    out = drive.task(
        _settings(claude_fake, key=claude_fake.enterprise_key),
        description="Count the files",
        allow_tools=["Bash"],
        timeout=60,
        max_cost=0.5,
    )
    assert out.error is None
    assert isinstance(out.items[0], ThinkingEvent)
    result = out.items[-1]
    assert isinstance(result, TaskResult)
    assert result.status == "completed"
    assert out.stream.result is result


def test_task_stream_failures(drive: Driver, claude_fake: Any) -> None:
    claude_fake.next_task_status("overloaded")  # failed: "Worker pool overloaded: ..."
    out = drive.task(
        _settings(claude_fake, key=claude_fake.enterprise_key), description="x", timeout=60
    )
    assert type(out.error) is TaskFailedError
    assert out.error.task_result.status == "failed"

    out = drive.task(
        _settings(claude_fake, key=claude_fake.free_key),
        description="x",
        allow_tools=["Bash"],
        timeout=30,
        max_cost=0.05,
    )
    assert type(out.error) is PermissionError
    assert out.error.message.startswith("Permission denied")


def test_the_key_stays_out_of_the_logs(
    drive: Driver, claude_fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="claude_client")
    key = claude_fake.enterprise_key
    drive.task(_settings(claude_fake, key=key), description="x", timeout=60)
    drive.chat(_settings(claude_fake, key=key), messages=_one())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "stream:" in text
    assert key not in text


def test_many_concurrent_async_streams(claude_fake: Any) -> None:
    settings = _settings(claude_fake)

    async def one(i: int) -> str:
        prompt = f"story number {i}"
        return "".join([c async for c in AsyncChatStream(settings, messages=_one(prompt))])

    async def main() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(20)))

    answers = asyncio.run(main())
    assert answers == [claude_fake.expected_answer(f"story number {i}") for i in range(20)]
