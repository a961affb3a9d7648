"""Retries and time, with time controlled: the runner records sleeps and advances a fake clock."""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc
from claude_client import _retry

from .conftest import CHAT_BODY, HEALTH_BODY, TASK_BODY, USAGE_BODY, Runner


def err(status: int, detail: str = "x", **headers: str) -> httpx2.Response:
    return httpx2.Response(status, json={"detail": detail}, headers=headers)


def ok_chat() -> httpx2.Response:
    return httpx2.Response(200, json=CHAT_BODY)


# --------------------------------------------------------------------------- pure policy


def test_backoff_schedule_and_jitter() -> None:
    top = [_retry.backoff_delay(n, rng=lambda: 1.0) for n in range(6)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    low = [_retry.backoff_delay(n, rng=lambda: 0.0) for n in range(6)]
    assert low == [0.375, 0.75, 1.5, 3.0, 6.0, 6.0]
    for n in range(8):
        d = _retry.backoff_delay(n)
        assert 0.75 * min(0.5 * 2**n, 8) <= d <= min(0.5 * 2**n, 8)


def test_retry_after_honoured_up_to_60s() -> None:
    assert _retry.backoff_delay(0, retry_after=3) == 3.0
    assert _retry.backoff_delay(5, retry_after=60) == 60.0
    assert _retry.backoff_delay(0, retry_after=61) == _retry.GIVE_UP
    assert not _retry.Deadline(None).can_fit(_retry.GIVE_UP)


@pytest.mark.parametrize(
    ("status", "detail", "task", "retry_after", "expected"),
    [
        (408, None, False, None, True),
        (429, "Rate limit exceeded. Please try again later.", False, None, True),
        (429, "Budget exceeded for project p", False, None, False),
        (500, None, False, None, True),
        (501, None, False, None, False),
        (502, None, False, None, True),
        (503, None, False, None, True),
        (504, None, False, None, True),
        (520, None, False, None, True),
        (529, None, False, None, True),
        (400, None, False, None, False),
        (401, None, False, None, False),
        (403, None, False, None, False),
        (404, None, False, None, False),
        (422, None, False, None, False),
        (429, "Rate limit exceeded. Please try again later.", True, None, True),
        (429, "Budget exceeded for project p", True, None, False),
        (503, None, True, 5.0, True),
        (503, None, True, None, False),
        (500, None, True, None, False),
        (502, None, True, None, False),
        (504, None, True, None, False),
        (408, None, True, None, False),
    ],
)
def test_is_retryable_status(
    status: int, detail: Any, task: bool, retry_after: Any, expected: bool
) -> None:
    got = _retry.is_retryable_status(status, detail, task=task, retry_after=retry_after)
    assert got is expected


def test_deadline() -> None:
    now = [0.0]
    d = _retry.Deadline(10, clock=lambda: now[0])
    assert d.remaining() == 10 and not d.expired and d.can_fit(5, 1)
    now[0] = 9.5
    assert not d.can_fit(0.5, 0.25) and d.can_fit(0.1, 0.25)
    now[0] = 11
    assert d.expired and d.remaining() == 0


# --------------------------------------------------------------------------- through the clients


async def test_default_schedule_two_retries_then_success(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(side_effect=[err(502), err(500), ok_chat()])
    r = await runner.call(runner.client(), "complete", "Hi")
    assert r.content == "Hello there"
    assert route.call_count == 3
    assert len(runner.sleeps) == 2
    assert 0.375 <= runner.sleeps[0] <= 0.5 and 0.75 <= runner.sleeps[1] <= 1.0


async def test_gives_up_after_max_retries(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/health").mock(return_value=err(503, "busy"))
    with pytest.raises(cc.ServerError, match="busy"):
        await runner.call(runner.client(max_retries=3), "health")
    assert route.call_count == 4 and len(runner.sleeps) == 3


async def test_per_call_max_retries(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/v1/usage").mock(return_value=err(502))
    client = runner.client()
    with pytest.raises(cc.ServerError):
        await runner.call(client, "get_usage", max_retries=0)
    assert route.call_count == 1
    with pytest.raises(cc.ServerError):
        await runner.call(client, "get_usage", max_retries=4)
    assert route.call_count == 1 + 5


async def test_retry_after_seconds(runner: Runner, mock: MockRouter) -> None:
    mock.post("/v1/chat/completions").mock(
        side_effect=[err(429, "Rate limit exceeded.", **{"Retry-After": "3"}), ok_chat()]
    )
    await runner.call(runner.client(), "complete", "Hi")
    assert runner.sleeps == [3.0]


async def test_retry_after_http_date(runner: Runner, mock: MockRouter) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    mock.post("/v1/chat/completions").mock(
        side_effect=[err(503, "Worker pool overloaded", **{"Retry-After": when}), ok_chat()]
    )
    await runner.call(runner.client(), "complete", "Hi")
    assert len(runner.sleeps) == 1 and 17 <= runner.sleeps[0] <= 20


async def test_retry_after_longer_than_60s_is_not_waited(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/health").mock(return_value=err(503, "down", **{"Retry-After": "120"}))
    with pytest.raises(cc.ServerError) as info:
        await runner.call(runner.client(), "health")
    assert route.call_count == 1 and runner.sleeps == []
    assert info.value.retry_after == 120


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (429, "Budget exceeded for project p"),
        (501, "Streaming not supported"),
        (400, "bad"),
        (401, "Invalid or revoked API key"),
        (403, "Permission denied: x"),
        (404, "nope"),
        (422, "bad"),
    ],
)
async def test_final_statuses_are_not_retried(
    runner: Runner, mock: MockRouter, status: int, detail: str
) -> None:
    route = mock.post("/v1/chat/completions").mock(return_value=err(status, detail))
    with pytest.raises(cc.ClaudeAPIError):
        await runner.call(runner.client(), "complete", "Hi")
    assert route.call_count == 1 and runner.sleeps == []


@pytest.mark.parametrize(
    ("first", "retried"),
    [
        (err(500, "Task execution failed: crash"), False),
        (err(502), False),
        (err(504), False),
        (err(503, "Worker pool overloaded: 5 active workers, 50 queued tasks."), True),
        (err(503, "Worker pool overloaded", **{"Retry-After": "2"}), True),
        (err(503, "Claude API error (overloaded)"), False),
        (err(429, "Rate limit exceeded. Please try again later."), True),
        (err(429, "Budget exceeded for project p"), False),
        (httpx2.ConnectError("refused"), True),
        (httpx2.ConnectTimeout("connect"), True),
        (httpx2.ReadError("reset"), False),
        (httpx2.RemoteProtocolError("closed"), False),
        (httpx2.ReadTimeout("slow"), False),
    ],
    ids=[
        "500",
        "502",
        "504",
        "503-pool-refusal",
        "503-retry-after",
        "503-model-overloaded",
        "429-rate",
        "429-budget",
        "connect-error",
        "connect-timeout",
        "read-error",
        "protocol-error",
        "read-timeout",
    ],
)
async def test_agentic_task_is_retried_only_when_it_never_ran(
    runner: Runner, mock: MockRouter, first: Any, retried: bool
) -> None:
    route = mock.post("/v1/task").mock(side_effect=[first, httpx2.Response(200, json=TASK_BODY)])
    client = runner.client()
    if retried:
        r = await runner.call(client, "agentic_task", "do it")
        assert r.status == "completed" and route.call_count == 2
    else:
        with pytest.raises(cc.ClaudeAPIError):
            await runner.call(client, "agentic_task", "do it")
        assert route.call_count == 1


async def test_same_failures_are_retried_for_chat(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(
        side_effect=[httpx2.ReadError("reset"), err(504), ok_chat()]
    )
    await runner.call(runner.client(), "complete", "Hi")
    assert route.call_count == 3


async def test_one_deadline_covers_attempts_and_sleeps(runner: Runner, mock: MockRouter) -> None:
    # 2 s for the whole call: 0.5 + 1.0 of backoff fit, the next 2 s sleep does not.
    route = mock.get("/v1/usage").mock(return_value=err(502))
    client = runner.client(max_retries=10)
    start = runner.clock.now
    with pytest.raises(cc.ServerError):
        await runner.call(client, "get_usage", timeout=2)
    assert route.call_count == len(runner.sleeps) + 1
    assert 1 <= len(runner.sleeps) <= 2
    assert runner.clock.now - start <= 2


async def test_attempt_timeouts_capped_to_the_remaining_deadline(
    runner: Runner, mock: MockRouter
) -> None:
    seen: list[dict[str, float]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(dict(request.extensions["timeout"]))
        return err(503) if len(seen) < 3 else httpx2.Response(200, json=USAGE_BODY)

    mock.get("/v1/usage").mock(side_effect=answer)
    await runner.call(runner.client(), "get_usage", timeout=8)
    assert seen[0]["read"] == pytest.approx(8)
    # later attempts only get what the sleeps left
    assert seen[1]["read"] == pytest.approx(8 - runner.sleeps[0])
    assert seen[2]["read"] == pytest.approx(8 - sum(runner.sleeps))
    assert all(t["connect"] <= 8 for t in seen)


async def test_deadline_passed_means_timeout_error(runner: Runner, mock: MockRouter) -> None:
    def slow_answer(request: httpx2.Request) -> httpx2.Response:
        runner.clock.now += 100  # the attempt "took" 100 s
        return err(502)

    route = mock.get("/v1/usage").mock(side_effect=slow_answer)
    with pytest.raises(cc.ServerError):
        await runner.call(runner.client(), "get_usage", timeout=5)
    assert route.call_count == 1 and runner.sleeps == []


async def test_retried_chat_asks_the_service_for_no_more_than_remains(
    runner: Runner, mock: MockRouter
) -> None:
    asked: list[float] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        asked.append(json.loads(request.content)["timeout"])
        if len(asked) == 1:
            runner.clock.now += 15  # the first attempt failed after 15 s
            return err(502)
        return ok_chat()

    mock.post("/v1/chat/completions").mock(side_effect=answer)
    await runner.call(runner.client(), "complete", "Hi", timeout=30)
    assert asked[0] == 28.5  # the 30 s deadline less its 1.5 s margin
    # 15 s and a sleep gone: the retry asks for what remains less the margin
    assert asked[1] == math.floor((30 - 15 - runner.sleeps[0] - 1.5) * 10) / 10
    assert 1 <= asked[1] < 28.5


async def test_chat_without_time_for_another_useful_attempt_stops(
    runner: Runner, mock: MockRouter
) -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        runner.clock.now += 30  # the service used its whole 30 s and answered 504
        return err(504, "Task timed out after 30 seconds")

    route = mock.post("/v1/chat/completions").mock(side_effect=answer)
    with pytest.raises(cc.TimeoutError, match="timed out"):
        await runner.call(runner.client(), "complete", "Hi", timeout=30)
    assert route.call_count == 1


async def test_retries_are_logged(
    runner: Runner, mock: MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/health").mock(side_effect=[err(503), httpx2.Response(200, json=HEALTH_BODY)])
    with caplog.at_level(logging.INFO, logger="claude_client"):
        await runner.call(runner.client(), "health")
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 1
    rec: Any = retries[0]
    assert (rec.method, rec.path, rec.status, rec.attempt) == ("GET", "/health", 503, 1)
    assert rec.delay == runner.sleeps[0]


async def test_generated_endpoint_gets_retries_and_errors(runner: Runner, mock: MockRouter) -> None:
    from claude_client.generated.api.default import health

    route = mock.get("/health").mock(
        side_effect=[err(503), httpx2.Response(200, json=HEALTH_BODY), httpx2.Response(520)]
    )
    client = runner.client()

    async def call() -> Any:
        if runner.is_async:
            return await health.asyncio_detailed(client=client.generated)
        return health.sync_detailed(client=client.generated)

    resp = await call()
    assert cc.unwrap(resp).status == "healthy"
    assert route.call_count == 2 and len(runner.sleeps) == 1
    # a non-IANA 520 would crash the generated layer (HTTPStatus(520)); ours raises ServerError
    route.side_effect = None
    route.return_value = httpx2.Response(520, text="origin error")
    with pytest.raises(cc.ServerError) as info:
        await call()
    assert info.value.status_code == 520


def test_unwrap_maps_a_foreign_error_response() -> None:
    from claude_client.generated.types import Response as GenResponse

    resp: Any = GenResponse(
        status_code=403,  # type: ignore[arg-type]
        content=b'{"detail": "Budget exceeded for project p"}',
        headers={},
        parsed=None,
    )
    with pytest.raises(cc.BudgetExceededError):
        cc.unwrap(resp)
    empty: Any = GenResponse(status_code=200, content=b"", headers={}, parsed=None)  # type: ignore[arg-type]
    assert cc.unwrap(empty) is None
    raw: Any = GenResponse(status_code=200, content=b'{"a": 1}', headers={}, parsed=None)  # type: ignore[arg-type]
    assert cc.unwrap(raw) == {"a": 1}
