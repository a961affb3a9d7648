"""Construction, closing, user http clients, import cost and batch chunking (sync and async)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import BASE, CHAT_BODY, HEALTH_BODY, KEY, Runner, batch_answer


async def test_close_twice_and_use_after_close(runner: Runner, mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=httpx2.Response(200, json=HEALTH_BODY))
    client = runner.client()
    await runner.call(client, "health")
    await runner.close(client)
    await runner.close(client)
    assert client.closed and "closed" in repr(client)
    with pytest.raises(cc.ClientClosedError):
        await runner.call(client, "health")
    with pytest.raises(cc.ClientClosedError):
        _ = client.generated
    assert mock.calls.call_count == 1


def test_sync_context_manager(mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=httpx2.Response(200, json=HEALTH_BODY))
    with cc.ClaudeClient(BASE, api_key=KEY, transport=mock.transport) as client:
        assert client.health().status == "healthy"
    assert client.closed


async def test_async_context_manager(mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=httpx2.Response(200, json=HEALTH_BODY))
    async with cc.AsyncClaudeClient(BASE, api_key=KEY, transport=mock.transport) as client:
        assert (await client.health()).status == "healthy"
    assert client.closed
    await client.aclose()  # idempotent alias


def test_no_del_that_touches_an_event_loop() -> None:
    assert "__del__" not in vars(cc.AsyncClaudeClient)
    assert "__del__" not in vars(cc.ClaudeClient)


def test_clients_cannot_be_pickled() -> None:
    import pickle

    with cc.ClaudeClient(BASE, api_key=KEY) as client, pytest.raises(TypeError):
        pickle.dumps(client)


def test_user_http_client_gets_our_transport_and_stays_open(mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(
        side_effect=[httpx2.Response(502), httpx2.Response(200, json=CHAT_BODY)]
    )
    sleeps: list[float] = []
    http = httpx2.Client(headers={"X-Mine": "1"}, transport=mock.transport)
    client = cc.ClaudeClient(BASE, api_key=KEY, http_client=http, sleep=sleeps.append)
    assert client.complete("Hi").content == "Hello there"
    assert route.call_count == 2 and len(sleeps) == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-mine"] == "1"
    client.close()
    assert not http.is_closed  # the caller owns it
    http.close()


async def test_user_async_http_client(mock: MockRouter) -> None:
    mock.get("/health").mock(return_value=httpx2.Response(200, json=HEALTH_BODY))
    http = httpx2.AsyncClient(transport=mock.transport)
    async with cc.AsyncClaudeClient(BASE, api_key=KEY, http_client=http) as client:
        assert (await client.health()).status == "healthy"
    assert not http.is_closed
    await http.aclose()


def test_custom_inner_transport() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"ready": False, "reason": "warming up"})

    with cc.ClaudeClient(BASE, api_key=KEY, transport=httpx2.MockTransport(handler)) as client:
        ready = client.ready()
    assert not ready and ready.reason == "warming up"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


def test_streaming_hooks() -> None:
    with cc.ClaudeClient(
        "https://h.example/api", api_key={"p": KEY}, default_headers={"X-Team": "t"}
    ) as client:
        assert client.base_url == "https://h.example/api"
        assert client._key_for("p") == KEY
        headers = client._auth_headers("p")
        assert headers["Authorization"] == f"Bearer {KEY}" and headers["X-Team"] == "t"
        assert client.timeout == 300.0 and client.max_retries == 2


def test_import_is_light() -> None:
    code = (
        "import sys, claude_client\n"
        "bad = [m for m in sys.modules if m.startswith(('claude_client.generated', 'websockets',"
        " 'fastapi', 'uvicorn', 'claude_client.testing', 'claude_client._streaming', 'asyncio'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- batch


async def test_batch_chunks_in_order_with_progress(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    prompts = [f"p{i}" for i in range(10)]
    progress: list[tuple[int, int]] = []
    result = await runner.call(
        runner.client(),
        "batch",
        prompts,
        chunk_size=3,
        max_concurrency=2,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert route.call_count == 4
    sizes = sorted(len(json.loads(c.request.content)["prompts"]) for c in route.calls)
    assert sizes == [1, 3, 3, 3]
    assert [r.prompt for r in result.results] == prompts
    assert (result.total, result.completed, result.failed) == (10, 10, 0)
    assert result.total_tokens == 30 and result.total_cost == pytest.approx(0.01)
    assert progress[-1] == (10, 10) and len(progress) == 4


async def test_batch_failed_chunk_marks_its_items(runner: Runner, mock: MockRouter) -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        prompts = json.loads(request.content)["prompts"]
        if prompts[0]["prompt"] == "p2":
            return httpx2.Response(500, json={"detail": "boom"})
        return batch_answer(request)

    mock.post("/v1/batch").mock(side_effect=answer)
    items = [{"prompt": f"p{i}", "id": f"i{i}"} for i in range(6)]
    result = await runner.call(runner.client(max_retries=1), "batch", items, chunk_size=2)
    assert [r.id for r in result.results] == [f"i{i}" for i in range(6)]
    assert [r.status for r in result.results] == ["completed"] * 2 + ["failed"] * 2 + [
        "completed"
    ] * 2
    assert "ServerError" in result.results[2].error and "boom" in result.results[2].error
    assert result.failed == 2 and result.completed == 4


async def test_batch_auth_error_is_raised(runner: Runner, mock: MockRouter) -> None:
    mock.post("/v1/batch").mock(
        return_value=httpx2.Response(401, json={"detail": "Invalid or revoked API key"})
    )
    with pytest.raises(cc.AuthenticationError):
        await runner.call(runner.client(), "batch", ["a", "b", "c"], chunk_size=1)


async def test_batch_wrong_result_count_fails_the_chunk(runner: Runner, mock: MockRouter) -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        resp = batch_answer(request)
        body = json.loads(resp.content)
        body["results"] = body["results"][:1]
        return httpx2.Response(200, json=body)

    mock.post("/v1/batch").mock(side_effect=answer)
    result = await runner.call(runner.client(), "batch", ["a", "b"])
    assert result.failed == 2 and "2 prompts" in result.results[0].error


def test_sync_parallel_batch_uses_threads(mock: MockRouter) -> None:
    threads: set[str] = set()

    def answer(request: httpx2.Request) -> httpx2.Response:
        threads.add(threading.current_thread().name)
        return batch_answer(request)

    mock.post("/v1/batch").mock(side_effect=answer)
    with cc.ClaudeClient(BASE, api_key=KEY, transport=mock.transport) as client:
        result = client.batch([f"p{i}" for i in range(8)], chunk_size=2, max_concurrency=4)
    assert result.completed == 8
    assert all(name.startswith("claude-batch") for name in threads)


def test_batch_model_and_timeout_sent(mock: MockRouter) -> None:
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    with cc.ClaudeClient(BASE, api_key=KEY, transport=mock.transport) as client:
        client.batch(["a"], model="haiku", timeout=45)
    body: Any = json.loads(route.calls.last.request.content)
    # the batch's deadline is 45 s: its items are asked for what remains - 2.25 s
    assert body["model"] == "haiku" and 42 <= body["timeout"] <= 42.7
