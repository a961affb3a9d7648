"""The worker pool (BEHAVIOUR.md §6) as the facade sees it, with mocked answers and
controlled time: batch() sizes and paces its chunks from ``/health``, resends a refused
chunk after a pause, and the pool's refusal is retried with seconds of backoff by
``complete()`` and ``agentic_task()`` (a refusal proves nothing ran). The same behaviour
against the fake's real pool model is in ``tests/reliability/test_capacity.py``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter, Route

import claude_client as cc
from claude_client import _retry
from claude_client._batch import PoolCapacity, PoolGovernor

from .conftest import CHAT_BODY, PROCESS_BODY, TASK_BODY, Runner, batch_answer

OVERLOADED = "Worker pool overloaded: 5 active workers, 50 queued tasks. Try again later."


def health(max_workers: int = 5, active: int = 0, queued: int = 0) -> httpx2.Response:
    detail = {
        "status": "ok",
        "active_workers": active,
        "max_workers": max_workers,
        "queued_tasks": queued,
        "max_queue": 10 * max_workers,
    }
    return httpx2.Response(
        200,
        json={
            "status": "ok",
            "version": "0.1.0",
            "uptime_seconds": 1.0,
            "services": {"worker_pool": {"status": "ok", "detail": detail}},
        },
    )


def overloaded() -> httpx2.Response:
    return httpx2.Response(503, json={"detail": OVERLOADED})


def sizes(route: Route) -> list[int]:
    return [len(json.loads(c.request.content)["prompts"]) for c in route.calls]


# --------------------------------------------------------------------------- pure parts


def test_overload_delay_is_seconds_jittered_and_capped() -> None:
    top = [_retry.overload_delay(n, rng=lambda: 1.0) for n in range(6)]
    assert top == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    low = [_retry.overload_delay(n, rng=lambda: 0.0) for n in range(6)]
    assert low == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_capacity_from_health_and_its_defaults() -> None:
    body = json.loads(health(max_workers=8, active=8, queued=30).content)
    cap = PoolCapacity.from_health(body)
    assert (cap.max_workers, cap.max_queue, cap.occupied, cap.size) == (8, 80, 38, 88)
    assert cap.measured
    for odd in (None, {}, {"services": {}}, {"services": {"worker_pool": {"detail": None}}}, []):
        assert PoolCapacity.from_health(odd) == PoolCapacity()
    assert PoolCapacity().size == 55  # the documented default: 5 workers + 50 queued


def test_governor_keeps_within_free_room_and_the_queue_timeout() -> None:
    now = [0.0]
    gov = PoolGovernor(lambda: now[0], rng=lambda: 1.0)
    gov.update(PoolCapacity(5, 50, 5, 40, measured=True))  # others hold 45 of 55
    assert gov.acquire(5, 5, 30.0) == 5
    assert gov.acquire(5, 5, 30.0) == 5  # 10 free in all
    assert gov.acquire(5, 5, 30.0) == 0
    gov.release(5, outcome="ok", seconds=2.0, ahead=45)
    gov.release(5, outcome="ok", seconds=2.0, ahead=50)
    # Now runs are known to take ~0.2 s: the item timeout allows a deep queue, the
    # pool's free room (10) still bounds us.
    assert gov.acquire(20, 5, 30.0) == 10

    slow = PoolGovernor(lambda: now[0])
    slow.update(PoolCapacity(5, 50, measured=True))
    assert slow.acquire(50, 5, 30.0) == 10  # run time unknown: 2 x max_workers
    slow.release(10, outcome="ok", seconds=20.0, ahead=0)  # a run takes ~10 s
    # a first item may wait 0.5 x 30 s = 15 s = 1.5 runs: 7 prompts in the pool at most
    assert slow.acquire(50, 5, 30.0) == 7


def test_governor_halves_pauses_and_grows_back() -> None:
    now = [0.0]
    gov = PoolGovernor(lambda: now[0], rng=lambda: 1.0)
    gov.update(PoolCapacity(5, 50, measured=True))
    gov.run_seconds = 0.05
    assert gov.acquire(20, 5, 30.0) == 20
    gov.release(5, outcome="refused")
    assert gov.window == 10 and gov.stale
    assert gov.acquire(5, 5, 30.0) == 0  # paused for overload_delay(0) = 1 s
    now[0] += 1.01
    assert gov.acquire(5, 5, 30.0) == 0  # 15 still out, window 10
    for _ in range(3):
        gov.release(5, outcome="ok", seconds=0.05)
    assert gov.in_flight == 0 and 10 < gov.window <= 20


# --------------------------------------------------------------------------- batch()


async def test_chunks_follow_the_pool_size_from_health(runner: Runner, mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=health(max_workers=3))
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    prompts = [f"p{i}" for i in range(10)]
    result = await runner.call(runner.client(), "batch", prompts)
    assert sorted(sizes(route)) == [1, 3, 3, 3]
    assert [r.prompt for r in result.results] == prompts and result.failed == 0


async def test_without_health_the_documented_default_applies(
    runner: Runner, mock: MockRouter
) -> None:
    mock.get("/health").mock(return_value=httpx2.Response(404, json={"detail": "Not Found"}))
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    result = await runner.call(runner.client(), "batch", [f"p{i}" for i in range(12)])
    assert sorted(sizes(route)) == [2, 5, 5] and result.completed == 12


async def test_a_chunk_never_exceeds_what_the_pool_holds(runner: Runner, mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=health(max_workers=2))  # holds 22
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    result = await runner.call(
        runner.client(), "batch", [f"p{i}" for i in range(30)], chunk_size=100
    )
    assert max(sizes(route)) <= 22 and sum(sizes(route)) == 30 and result.completed == 30


async def test_a_refused_chunk_is_sent_again_after_a_pause(
    runner: Runner, mock: MockRouter
) -> None:
    mock.get("/health").mock(return_value=health())
    answers = iter([overloaded()])

    def answer(request: httpx2.Request) -> httpx2.Response:
        return next(answers, None) or batch_answer(request)

    route = mock.post("/v1/batch").mock(side_effect=answer)
    items = [{"prompt": f"p{i}", "id": f"i{i}"} for i in range(5)]
    result = await runner.call(runner.client(), "batch", items, parallel=False)
    assert route.call_count == 2 and sizes(route) == [5, 5]
    assert [r.id for r in result.results] == [f"i{i}" for i in range(5)]
    assert result.completed == 5 and result.failed == 0
    # The pause is the overload backoff (seconds), not the transport's retry.
    assert len(runner.sleeps) == 1 and 0.5 <= runner.sleeps[0] <= 1.0


async def test_refused_chunks_fail_their_items_when_retries_are_off(
    runner: Runner, mock: MockRouter
) -> None:
    mock.get("/health").mock(return_value=health())
    route = mock.post("/v1/batch").mock(return_value=overloaded())
    result = await runner.call(runner.client(), "batch", ["a", "b"], max_retries=0)
    assert route.call_count == 1 and result.failed == 2
    assert "Worker pool overloaded" in result.results[0].error


async def test_model_auto_is_never_sent(runner: Runner, mock: MockRouter) -> None:
    """The service routes only a null/absent model; the name "auto" fails there."""
    mock.get("/health").mock(return_value=health())
    chat = mock.post("/v1/chat/completions").mock(return_value=httpx2.Response(200, json=CHAT_BODY))
    batch = mock.post("/v1/batch").mock(side_effect=batch_answer)
    task = mock.post("/v1/task").mock(return_value=httpx2.Response(200, json=TASK_BODY))
    client = runner.client()
    for model in ("auto", "AUTO", None):
        await runner.call(client, "complete", "Hi", model=model)
        await runner.call(client, "batch", ["Hi"], model=model)
        await runner.call(client, "agentic_task", "do it", model=model)
    for route in (chat, batch, task):
        for call in route.calls:
            assert "model" not in json.loads(call.request.content)
    await runner.call(client, "complete", "Hi", model="haiku")
    assert json.loads(chat.calls.last.request.content)["model"] == "haiku"


# --------------------------------------------------------------------------- single calls


async def test_complete_rides_out_a_full_pool_beyond_max_retries(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").mock(
        side_effect=[overloaded()] * 4 + [httpx2.Response(200, json=CHAT_BODY)]
    )
    result = await runner.call(runner.client(max_retries=2), "complete", "Hi")
    assert result.content == "Hello there" and route.call_count == 5
    # 1, 2, 4, 8 s ceilings, jittered down to half; max_retries (2) is not what limits them
    assert len(runner.sleeps) == 4
    for n, slept in enumerate(runner.sleeps):
        assert 0.5 * min(2**n, 8) <= slept <= min(2**n, 8)


async def test_process_rides_out_a_full_pool(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/process").mock(
        side_effect=[overloaded()] * 3 + [httpx2.Response(200, json=PROCESS_BODY)]
    )
    result = await runner.call(runner.client(max_retries=1), "process", user_message="Hi")
    assert result.content == "processed" and route.call_count == 4
    assert len(runner.sleeps) == 3 and min(runner.sleeps) >= 0.5


async def test_pool_refusals_are_bounded_and_max_retries_zero_disables_them(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").mock(return_value=overloaded())
    with pytest.raises(cc.ServerError, match="Worker pool overloaded"):
        await runner.call(runner.client(timeout=1000), "complete", "Hi")
    assert route.call_count == 1 + _retry.MAX_OVERLOAD_RETRIES
    with pytest.raises(cc.ServerError):
        await runner.call(runner.client(), "complete", "Hi", max_retries=0)
    assert route.call_count == 2 + _retry.MAX_OVERLOAD_RETRIES


async def test_pool_refusals_stop_at_the_deadline(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(return_value=overloaded())
    with pytest.raises(cc.ServerError):
        await runner.call(runner.client(), "complete", "Hi", timeout=5)
    # The call's deadline (5 s + 1.5 s margin) ends the waits long before the allowance.
    assert 2 <= route.call_count <= 4 and sum(runner.sleeps) < 6.5


async def test_a_task_the_pool_refused_is_retried(runner: Runner, mock: MockRouter) -> None:
    refused: dict[str, Any] = {
        "task_id": "t0",
        "status": "failed",
        "result": {"error": OVERLOADED},
        "execution_log": [],
        "artifacts": [],
        "usage": {},
    }
    route = mock.post("/v1/task").mock(
        side_effect=[
            httpx2.Response(200, json=refused),
            httpx2.Response(503, json={"detail": OVERLOADED}),
            httpx2.Response(200, json=TASK_BODY),
        ]
    )
    result = await runner.call(runner.client(), "agentic_task", "do it")
    assert result.status == "completed" and route.call_count == 3
    assert len(runner.sleeps) == 2 and runner.sleeps[0] >= 0.5


async def test_a_task_refused_until_the_end_raises_task_failed(
    runner: Runner, mock: MockRouter
) -> None:
    refused = {
        "task_id": "t0",
        "status": "failed",
        "result": {"error": OVERLOADED},
        "execution_log": [],
        "artifacts": [],
        "usage": {},
    }
    route = mock.post("/v1/task").mock(return_value=httpx2.Response(200, json=refused))
    with pytest.raises(cc.TaskFailedError, match="Worker pool overloaded") as info:
        await runner.call(runner.client(max_retries=1), "agentic_task", "do it", timeout=600)
    assert route.call_count == 1 + _retry.MAX_OVERLOAD_RETRIES
    assert info.value.task_result["status"] == "failed"
    # Other failed tasks are final (they may have run).
    other = dict(refused, result={"error": "Insufficient budget"})
    route.mock(return_value=httpx2.Response(200, json=other))
    with pytest.raises(cc.BudgetExceededError):
        await runner.call(runner.client(), "agentic_task", "do it")
    assert route.call_count == 2 + _retry.MAX_OVERLOAD_RETRIES
