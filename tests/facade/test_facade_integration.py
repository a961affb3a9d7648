"""The user documentation's examples, run against the embedded fake service (sync and async)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import claude_client as cc
from claude_client.testing import FakeService, Fault

from .conftest import Runner


def make(runner: Runner, fake: FakeService, **kwargs: Any) -> Any:
    kwargs.setdefault("base_url", fake.base_url)
    kwargs.setdefault("api_key", fake.api_key)
    kwargs.setdefault("clock", time.monotonic)  # real time; sleeps are recorded, not slept
    return runner.client(**kwargs)


async def test_quickstart_complete(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake)
    prompt = "Explain Python decorators in one sentence"
    response = await runner.call(client, "complete", prompt)
    assert response.content == claude_fake.expected_answer(prompt)
    assert response["content"] == response.content
    assert response.model == claude_fake.expected_model(prompt)
    usage = claude_fake.expected_usage(prompt)
    assert response.usage.total_tokens == usage["total_tokens"]
    assert response.cost == pytest.approx(claude_fake.expected_cost(prompt, response.model))
    assert response.project_id == "default"


async def test_complete_with_model_and_timeout(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake)
    r = await runner.call(client, "complete", "Write a haiku about tests", model="opus", timeout=60)
    assert r.model == "opus"
    body = claude_fake.requests_to("/v1/chat/completions")[-1].body
    # timeout=60 is the call's deadline: the service is asked for 60 - 3 s (5 % margin)
    assert body["model"] == "opus" and body["timeout"] == 57


async def test_agentic_task_with_artifact(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake)
    result = await runner.call(
        client,
        "agentic_task",
        "Analyse the repository and write a report",
        allow_tools=["Read", "Grep"],
        timeout=120,
        max_cost=0.5,
    )
    assert result["status"] == "completed" and result.status == "completed"
    assert isinstance(result["result"]["summary"], str) and result.result.summary
    assert result["usage"]["total_cost"] == result.usage.total_cost
    for artifact in result.get("artifacts", []):
        assert artifact["path"] == artifact.path


async def test_free_key_permission_error_is_handled(
    runner: Runner, claude_fake: FakeService
) -> None:
    client = make(runner, claude_fake, api_key=claude_fake.free_key)
    with pytest.raises(cc.PermissionDeniedError) as info:
        await runner.call(client, "agentic_task", "Refactor", allow_tools=["Bash"])
    assert "Permission denied" in str(info.value)
    assert info.value.request_id and info.value.status_code == 403
    assert not isinstance(info.value, PermissionError)  # not the builtin (an OSError)
    # the default deadline (300 s) derives a task timeout of 285 s, over the free cap
    with pytest.raises(cc.PermissionDeniedError, match="exceeds limit"):
        await runner.call(client, "agentic_task", "Refactor", max_cost=0.1)
    # a timeout within the cap derives a task timeout within it too
    result = await runner.call(client, "agentic_task", "Refactor", timeout=60, max_cost=0.1)
    assert result.status == "completed"
    assert claude_fake.requests_to("/v1/task")[-1].body["timeout"] == 47


@pytest.mark.parametrize(
    ("forced", "status", "expected"),
    [
        ("cost_exceeded", "cost_exceeded", cc.BudgetExceededError),
        ("failed", "failed", cc.BudgetExceededError),  # "Insufficient budget"
        ("overloaded", "failed", cc.TaskFailedError),  # "Worker pool overloaded: ..."
    ],
)
async def test_task_statuses_raise(
    runner: Runner, claude_fake: FakeService, forced: str, status: str, expected: type
) -> None:
    # The service never produces status "timeout" (an overrun is a 500); enough forced
    # outcomes that a client retrying a refused task still sees one.
    claude_fake.next_task_status(forced, times=10)
    with pytest.raises(expected) as info:
        await runner.call(make(runner, claude_fake), "agentic_task", "Do something")
    assert info.value.task_result["status"] == status


async def test_batch_in_chunks_keeps_order(runner: Runner, claude_fake: FakeService) -> None:
    prompts: list[Any] = [f"Summarise document number {i}" for i in range(12)]
    prompts[3] = {"prompt": "Translate [fail] this", "id": "bad-one"}
    progress: list[tuple[int, int]] = []
    client = make(runner, claude_fake)
    batch = await runner.call(
        client, "batch", prompts, chunk_size=5, on_progress=lambda d, t: progress.append((d, t))
    )
    assert batch.total == 12 and batch.completed == 11 and batch.failed == 1
    assert len(claude_fake.requests_to("/v1/batch")) == 3
    for i, item in enumerate(batch.results):
        text = prompts[i] if isinstance(prompts[i], str) else prompts[i]["prompt"]
        assert item.prompt == text and item["prompt"] == text
        if i != 3:
            assert item.content == claude_fake.expected_answer(text)
    assert batch.results[3].status == "failed" and batch.results[3].id == "bad-one"
    assert progress[-1] == (12, 12) and sorted(progress) == progress
    assert batch.total_tokens == sum(r.usage.total_tokens for r in batch.results if r.usage)


async def test_batch_sequential(runner: Runner, claude_fake: FakeService) -> None:
    batch = await runner.call(
        make(runner, claude_fake), "batch", ["a b", "c d", "e f"], parallel=False, chunk_size=1
    )
    assert [r.content for r in batch.results] == [
        claude_fake.expected_answer(p) for p in ("a b", "c d", "e f")
    ]


async def test_usage_health_ready_route_capabilities(
    runner: Runner, claude_fake: FakeService
) -> None:
    client = make(runner, claude_fake)
    await runner.call(client, "complete", "Count my tokens please", model="haiku")
    stats = await runner.call(client, "get_usage")
    assert stats.project_id == "default" and stats.period == "month"
    assert stats.by_model["haiku"]["tokens"] == stats.by_model["haiku"].tokens > 0
    week = await runner.call(client, "get_usage", "week")
    assert week.period == "week"
    health = await runner.call(client, "health")
    assert health["status"] == health.status and isinstance(health["services"], dict)
    ready = await runner.call(client, "ready")
    assert ready.ready is True
    route = await runner.call(client, "route", "Hi there")
    assert route.recommended_model in ("haiku", "sonnet", "opus")
    caps = await runner.call(client, "capabilities")
    assert caps.agents_count == len(caps.agents) and caps.skills_count == len(caps.skills)


async def test_providers_and_models(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake, api_key=None)  # unauthenticated routes
    providers = await runner.call(client, "providers")
    assert "anthropic" in json.dumps(providers, default=lambda o: o.to_dict())
    models = await runner.call(client, "provider_models", "anthropic")
    assert models is not None
    with pytest.raises(cc.NotFoundError, match="not supported"):
        await runner.call(client, "provider_models", "openai")


async def test_process_route(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake)
    r = await runner.call(client, "process", "Say hello", model_name="haiku")
    assert r.content == claude_fake.expected_answer("Say hello")
    with pytest.raises(cc.ServerError) as info:
        await runner.call(client, "process", "x", additional_params={"stream": True})
    assert info.value.status_code == 501


async def test_retries_recover_from_injected_failures(
    runner: Runner, claude_fake: FakeService
) -> None:
    claude_fake.fail_next(2, status=503, retry_after=1, category="overloaded")
    r = await runner.call(make(runner, claude_fake), "complete", "Are you there")
    assert r.content == claude_fake.expected_answer("Are you there")
    assert runner.sleeps == [1.0, 1.0]
    assert len(claude_fake.requests_to("/v1/chat/completions")) == 3


async def test_non_iana_and_html_errors(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake, max_retries=0)
    claude_fake.fail_next(1, status=520)
    with pytest.raises(cc.ServerError) as info:
        await runner.call(client, "complete", "x")
    assert info.value.status_code == 520
    claude_fake.fail_next(1, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
    with pytest.raises(cc.ServerError, match="Bad Gateway"):
        await runner.call(client, "complete", "x")


async def test_budget_exceeded_on_chat(runner: Runner, claude_fake: FakeService) -> None:
    # The pre-check refuses when month usage + 2 x prompt words would pass the limit:
    # the first call ("user: use up ..." = 7 words, estimate 14) bills 14 tokens; then
    # "user: one more" (estimate 6) would make 20 > 19.
    claude_fake.set_budget("default", 19)
    client = make(runner, claude_fake)
    await runner.call(client, "complete", "use up the budget now please")
    with pytest.raises(cc.BudgetExceededError):
        await runner.call(client, "complete", "one more")
    assert runner.sleeps == []  # budget is never retried


async def test_generated_endpoint_against_the_fake(
    runner: Runner, claude_fake: FakeService
) -> None:
    from claude_client.generated.api.api import get_capabilities

    client = make(runner, claude_fake)
    if runner.is_async:
        resp = await get_capabilities.asyncio_detailed(client=client.generated)
    else:
        resp = get_capabilities.sync_detailed(client=client.generated)
    caps = cc.unwrap(resp)
    assert caps.agents_count >= 1


async def test_connection_refused(runner: Runner) -> None:
    from claude_client.testing import unused_url

    client = runner.client(base_url=unused_url(), clock=time.monotonic)
    with pytest.raises(cc.APIConnectionError):
        await runner.call(client, "health")
    assert len(runner.sleeps) == 2


def test_readme_sync_quickstart(claude_fake: FakeService) -> None:
    with cc.ClaudeClient(base_url=claude_fake.base_url, api_key=claude_fake.api_key) as client:
        response = client.complete("Hello")
        print(response.content)
        usage = client.get_usage()
        assert usage["total_tokens"] >= response.usage.total_tokens


async def test_readme_async_quickstart(claude_fake: FakeService) -> None:
    import asyncio

    async with cc.AsyncClaudeClient(**claude_fake.client_kwargs()) as client:
        answers = await asyncio.gather(*(client.complete(f"question {i}") for i in range(20)))
    assert [a.content for a in answers] == [
        claude_fake.expected_answer(f"question {i}") for i in range(20)
    ]


def test_threads_share_one_sync_client(claude_fake: FakeService) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with cc.ClaudeClient(**claude_fake.client_kwargs()) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: client.complete(f"thread {i}").content, range(40)))
    assert answers == [claude_fake.expected_answer(f"thread {i}") for i in range(40)]


async def test_slow_service_hits_the_call_deadline(
    runner: Runner, claude_fake: FakeService
) -> None:
    # /v1/usage runs no model (instant on the service): make the service hang instead.
    claude_fake.inject(Fault.HANG, path="/v1/usage", times=None)
    client = make(runner, claude_fake)
    start = time.monotonic()
    with pytest.raises(cc.TimeoutError, match="timeout of 1 s"):
        await runner.call(client, "get_usage", timeout=1)
    assert time.monotonic() - start < 3  # one deadline, not 3 x timeout


async def test_chat_timeout_gives_the_services_504_first(
    runner: Runner, claude_fake: FakeService
) -> None:
    claude_fake.latency(5)
    client = make(runner, claude_fake)
    start = time.monotonic()
    with pytest.raises(cc.APITimeoutError) as info:
        await runner.call(client, "complete", "Slow question", timeout=4)
    # the deadline is 4 s; the service is asked for 3 s (1 s margin) and answers first
    assert info.value.status_code == 504  # the service's answer, not a client-side cut
    assert "Task timed out" in info.value.message
    assert claude_fake.requests_to("/v1/chat/completions")[-1].body["timeout"] == 3
    assert time.monotonic() - start < 4
