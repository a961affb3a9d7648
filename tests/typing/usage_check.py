"""The public API as a user's script types it: checked by ``make typecheck-usage``.

``mypy --strict`` (with ``warn_unused_ignores``) and ``pyright --strict`` run on this
file; nothing here runs (pytest does not collect it: the name has no ``test_``).
Each ``assert_type`` pins what a user's editor sees. The lines marked ``REJECTED``
carry an ignore that must stay *used*: if the type of ``model`` or ``period`` ever
widens back to ``str``, the ignore becomes unused and both checkers fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

from typing_extensions import assert_type

from claude_client import (
    APIConnectionError,
    AsyncClaudeClient,
    AuthenticationError,
    BatchResponse,
    BatchResult,
    ClaudeAPIError,
    ClaudeClient,
    InvalidInputError,
    ModelId,
    ModelName,
    Period,
    Provider,
    ProviderModel,
    ProviderModels,
    RateLimitError,
    RawResponse,
    Response,
    TaskEvent,
    TaskResult,
    ThinkingEvent,
    Usage,
    UsageStats,
)
from claude_client.generated.api.api import get_usage
from claude_client.generated.models.usage_response import UsageResponse


def rotating_key() -> str:
    return "cc_example"


def sync_usage(client: ClaudeClient) -> None:
    r = client.complete("Hello", model="haiku", timeout=30)
    assert_type(r, Response)
    assert_type(r.content, str)
    assert_type(r.usage, Usage)
    assert_type(r.usage.total_tokens, int)
    assert_type(r.request_id, Optional[str])
    assert_type(r.http_headers, Mapping[str, str])
    text: str = json.dumps(r)  # results are dicts
    as_dict: dict[str, Any] = r
    print(text, as_dict)

    full = client.complete("Hi", model=ModelId("claude-3-5-sonnet-20241022"))
    assert_type(full.model, str)
    client.complete("Hi", model="haiku-3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # REJECTED
    alias: ModelName = "opus"
    client.complete("Hi", model=alias, extra_query={"trace": 1}, extra_body={"max_tokens": 50})

    with client.stream("Tell me a story", model="sonnet") as s:
        for chunk in s:
            assert_type(chunk, str)
    assert_type(s.usage, Usage)  # finished: not Optional (StreamNotFinishedError before)
    print(s.usage.total_tokens, s.cost, s.model, s.content)
    done = client.stream("Hi", model="haiku").until_done()
    assert_type(done.usage.total_tokens, int)
    client.stream("Hi", model=ModelId("claude-3-5-sonnet-20241022"))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # REJECTED

    task_stream = client.stream_task("Count the files", allow_tools=["Bash"])
    for event in task_stream:
        assert_type(event, TaskEvent)
        if isinstance(event, ThinkingEvent):
            print(event.content)
        else:
            assert_type(event, TaskResult)
            print(event.summary)
    assert_type(task_stream.result, Optional[TaskResult])

    task = client.agentic_task("Write tests", allow_tools=["Read"], timeout=300)
    assert_type(task, TaskResult)
    assert_type(task.result.summary, Optional[str])
    assert_type(task.artifacts[0].path, str)

    batch = client.batch(["a", {"id": "q2", "prompt": "b"}], model="haiku")
    assert_type(batch, BatchResponse)
    assert_type(batch.results, list[BatchResult])
    assert_type(batch.results[0].content, Optional[str])

    period: Period = "week"
    stats = client.get_usage(period=period)
    assert_type(stats, UsageStats)
    assert_type(stats.by_model["haiku"].tokens, int)
    client.get_usage(period="yearly")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # REJECTED

    providers = client.providers()
    assert_type(providers, list[Provider])
    assert_type(providers[0].models, list[str])
    models = client.provider_models("anthropic")
    assert_type(models, ProviderModels)
    assert_type(models.models["haiku"], ProviderModel)
    assert_type(models.models["haiku"].max_tokens, Optional[int])

    generated = client.call(get_usage.sync_detailed, period="week")
    assert_type(generated, UsageResponse)
    traced = client.call(get_usage.sync_detailed, extra_query={"trace": True})
    assert_type(traced, UsageResponse)

    fast = client.with_options(timeout=10, max_retries=0, default_headers={"X-Team": "a"})
    assert_type(fast, ClaudeClient)
    raw = client.with_raw_response.complete("Hello")
    assert_type(raw, RawResponse[Response])
    assert_type(raw.parse(), Response)
    assert_type(raw.status_code, int)
    assert_type(raw.request_id, Optional[str])
    raw_usage = client.with_raw_response.call(get_usage.sync_detailed)
    assert_type(raw_usage, RawResponse[UsageResponse])

    try:
        client.health()
    except RateLimitError as exc:
        assert_type(exc.retry_after, Optional[float])
    except (AuthenticationError, InvalidInputError, APIConnectionError) as exc:
        print(exc.message)
    except ClaudeAPIError as exc:
        assert_type(exc.status_code, Optional[int])


async def async_usage(client: AsyncClaudeClient) -> None:
    r = await client.complete("Hello", model="auto")
    assert_type(r, Response)
    await client.complete("Hi", model="haiku-3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # REJECTED

    async with client.stream("Tell me a story") as s:
        async for chunk in s:
            assert_type(chunk, str)
    assert_type(s.usage, Usage)
    print(s.usage.total_tokens)
    done = await client.stream("Hi", model="haiku").until_done()
    assert_type(done.cost, float)

    task_stream = client.stream_task("Count the files")
    async for event in task_stream:
        assert_type(event, TaskEvent)
    assert_type(task_stream.result, Optional[TaskResult])

    assert_type(await client.agentic_task("x"), TaskResult)
    assert_type(await client.batch(["a"]), BatchResponse)
    assert_type(await client.get_usage(period="day"), UsageStats)
    await client.get_usage(period="yearly")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # REJECTED
    assert_type(await client.providers(), list[Provider])
    assert_type(await client.provider_models("claudecode"), ProviderModels)
    assert_type(await client.call(get_usage.asyncio_detailed), UsageResponse)

    view = client.with_options(project_id="other", api_key=rotating_key)
    assert_type(view, AsyncClaudeClient)
    raw = await client.with_raw_response.get_usage(period="month", extra_query={"a": "b"})
    assert_type(raw, RawResponse[UsageStats])
    assert_type(raw.parse().total_tokens, int)
    raw_call = await client.with_raw_response.call(get_usage.asyncio_detailed)
    assert_type(raw_call.parse(), UsageResponse)


def construct() -> None:
    with ClaudeClient(api_key=rotating_key) as client:
        sync_usage(client)
    ClaudeClient(api_key={"default": "cc_a", "other": rotating_key})
