"""openai-style controls: request ids, raw responses, with_options, extra_*, key providers."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc
from claude_client import AuthenticationError, ClientClosedError, InvalidInputError, RawResponse

from .conftest import BASE, CHAT_BODY, KEY, KEY_B, USAGE_BODY, Runner

# --------------------------------------------------------------------------- request id, headers


async def test_results_carry_the_request_id_and_headers(runner: Runner, mock: MockRouter) -> None:
    mock.post("/v1/chat/completions").respond(
        200, json=CHAT_BODY, headers={"X-Request-ID": "req-7", "X-Extra": "yes"}
    )
    mock.get("/v1/usage").respond(200, json=USAGE_BODY, headers={"X-Forgg-CCA-Request-Id": "r-9"})
    client = runner.client()
    r = await runner.call(client, "complete", "Hi")
    assert r.request_id == "req-7"
    assert r.http_headers["x-extra"] == "yes" and r.http_headers["X-Request-Id"] == "req-7"
    with pytest.raises(TypeError):
        r.http_headers["x-extra"] = "no"  # type: ignore[index]
    assert "request_id" not in r and "http_headers" not in r  # attributes, never body keys
    assert json.loads(json.dumps(r)) == CHAT_BODY
    usage = await runner.call(client, "get_usage", period="day")
    assert usage.request_id == "r-9"  # the newer header alone


async def test_a_result_without_the_header_has_no_request_id(
    runner: Runner, mock: MockRouter
) -> None:
    mock.post("/v1/chat/completions").respond(200, json=CHAT_BODY)
    r = await runner.call(runner.client(), "complete", "Hi")
    assert r.request_id is None and "content-type" in r.http_headers


# --------------------------------------------------------------------------- raw responses


async def test_with_raw_response_gives_status_headers_body_and_the_parsed_result(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").respond(
        200, json=CHAT_BODY, headers={"X-Request-ID": "req-1"}
    )
    client = runner.client()
    raw = await runner.call(client.with_raw_response, "complete", "Hi", model="haiku")
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200 and raw.request_id == "req-1"
    assert raw.method == "POST" and raw.url == f"{BASE}/v1/chat/completions"
    assert raw.headers["x-request-id"] == "req-1"
    assert json.loads(raw.content) == CHAT_BODY and raw.json() == CHAT_BODY
    assert json.loads(raw.text) == CHAT_BODY
    assert isinstance(raw.elapsed, datetime.timedelta)
    parsed = raw.parse()
    assert isinstance(parsed, cc.Response) and parsed.content == "Hello there"
    assert parsed.request_id == "req-1"
    assert route.call_count == 1
    assert "POST" in repr(raw) and KEY not in repr(raw)


async def test_with_raw_response_of_a_retried_call_is_the_last_attempt(
    runner: Runner, mock: MockRouter
) -> None:
    mock.get("/v1/usage").mock(
        side_effect=[
            httpx2.Response(503, json={"detail": "busy"}, headers={"X-Request-ID": "first"}),
            httpx2.Response(200, json=USAGE_BODY, headers={"X-Request-ID": "second"}),
        ]
    )
    raw = await runner.call(runner.client().with_raw_response, "get_usage", period="week")
    assert raw.request_id == "second" and raw.parse().total_tokens == USAGE_BODY["total_tokens"]


async def test_with_raw_response_still_raises_errors(runner: Runner, mock: MockRouter) -> None:
    mock.get("/v1/capabilities").respond(404, json={"detail": "Not Found"})
    with pytest.raises(cc.NotFoundError):
        await runner.call(runner.client().with_raw_response, "capabilities")


async def test_with_raw_response_call_of_a_generated_endpoint(
    runner: Runner, mock: MockRouter
) -> None:
    from claude_client.generated.api.api import get_usage
    from claude_client.generated.models.usage_response import UsageResponse

    mock.get("/v1/usage").respond(200, json=USAGE_BODY, headers={"X-Request-ID": "g-1"})
    client = runner.client()
    endpoint = get_usage.asyncio_detailed if runner.is_async else get_usage.sync_detailed
    raw = await runner.call(client.with_raw_response, "call", endpoint, period="day")
    assert raw.request_id == "g-1" and isinstance(raw.parse(), UsageResponse)
    assert raw.url == f"{BASE}/v1/usage?period=day"


# --------------------------------------------------------------------------- with_options


async def test_with_options_shares_the_pool_and_changes_only_what_is_given(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").respond(200, json=CHAT_BODY)
    client = runner.client(default_headers={"X-Team": "a"}, max_retries=3)
    view = client.with_options(timeout=12, default_headers={"X-Trace": "t"}, api_key=KEY_B)
    assert type(view) is type(client)
    # The same connection pool: the view's transport sends through the client's.
    assert view._http._transport._inner is client._http._transport._inner
    assert view.timeout == 12 and view.max_retries == 3 and view.project_id is None
    assert view.base_url == client.base_url and client.timeout != 12
    await runner.call(view, "complete", "Hi")
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {KEY_B}"
    assert sent.headers["x-team"] == "a" and sent.headers["x-trace"] == "t"
    await runner.call(client, "complete", "Hi")
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {KEY}" and "x-trace" not in sent.headers
    with pytest.raises(TypeError):
        client.with_options(temperature=1)
    with pytest.raises(InvalidInputError) as info:
        client.with_options(timeout=-1)
    assert info.value.param == "timeout"


async def test_closing_a_view_keeps_the_pool_closing_the_owner_closes_views(
    runner: Runner, mock: MockRouter
) -> None:
    mock.post("/v1/chat/completions").respond(200, json=CHAT_BODY)
    client = runner.client()
    view = client.with_options(max_retries=0)
    other = client.with_options(timeout=5)
    await runner.close(view)
    assert view.closed and not client.closed
    with pytest.raises(ClientClosedError):
        await runner.call(view, "complete", "Hi")
    assert (await runner.call(client, "complete", "Hi")).content == "Hello there"
    assert (await runner.call(other, "complete", "Hi")).content == "Hello there"
    await runner.close(client)
    assert other.closed
    with pytest.raises(ClientClosedError):
        await runner.call(other, "complete", "Hi")
    with pytest.raises(ClientClosedError):
        client.with_options(timeout=1)


async def test_with_options_keeps_per_project_keys() -> None:
    mock = MockRouter(BASE)
    route = mock.get("/v1/usage").respond(200, json=USAGE_BODY)
    with cc.ClaudeClient(
        base_url=BASE,
        api_key={"a": KEY, "b": KEY_B},
        project_id="a",
        transport=mock.transport,
    ) as c:
        c.with_options(project_id="b").get_usage()
        assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY_B}"
        with pytest.raises(InvalidInputError) as info:
            c.with_options(project_id="nope")
        assert info.value.param == "project_id"


def test_a_view_sends_no_new_connections() -> None:
    """Counted on the inner transport: the view's requests go through the client's pool."""
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["x-who"])
        return httpx2.Response(200, json=CHAT_BODY)

    inner = httpx2.MockTransport(handler)
    with cc.ClaudeClient(
        base_url=BASE, api_key=KEY, transport=inner, default_headers={"X-Who": "owner"}
    ) as client:
        view = client.with_options(default_headers={"X-Who": "view"})
        view.complete("Hi")
        client.complete("Hi")
        view.close()
        client.complete("Hi")
    assert seen == ["view", "owner", "owner"]


# --------------------------------------------------------------------------- extra_query / body


async def test_extra_query_and_extra_body_are_merged_last(runner: Runner, mock: MockRouter) -> None:
    chat = mock.post("/v1/chat/completions").respond(200, json=CHAT_BODY)
    usage = mock.get("/v1/usage").respond(200, json=USAGE_BODY)
    client = runner.client()
    await runner.call(
        client,
        "complete",
        "Hi",
        model="haiku",
        extra_query={"trace": "x1", "n": 2, "debug": True},
        extra_body={"model": "opus", "temperature": 0.2, "meta": {"k": [1]}},
    )
    sent = chat.calls.last.request
    assert sent.url.params["trace"] == "x1" and sent.url.params["n"] == "2"
    assert sent.url.params["debug"] == "true"
    body = json.loads(sent.content)
    assert body["model"] == "opus" and body["temperature"] == 0.2 and body["meta"] == {"k": [1]}
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert int(sent.headers["content-length"]) == len(sent.content)
    await runner.call(client, "get_usage", period="day", extra_query={"period": "week"})
    assert usage.calls.last.request.url.params["period"] == "week"  # extra_query wins


async def test_extra_body_on_a_get_and_bad_extras_fail_before_sending(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.route().respond(200, json=USAGE_BODY)
    client = runner.client()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("get_usage", {"extra_body": {"a": 1}}, "extra_body"),
        ("health", {"extra_body": {"a": 1}}, "extra_body"),
        ("complete", {"extra_body": {"a": object()}}, "extra_body"),
        ("complete", {"extra_body": ["a"]}, "extra_body"),
        ("complete", {"extra_query": {"a": [1]}}, "extra_query"),
        ("complete", {"extra_query": {"a": float("nan")}}, "extra_query"),
        ("complete", {"extra_query": "a=1"}, "extra_query"),
    ]
    for method, kwargs, param in cases:
        args = ("Hi",) if method == "complete" else ()
        with pytest.raises(InvalidInputError) as info:
            await runner.call(client, method, *args, **kwargs)
        assert info.value.param == param, (method, kwargs)
        assert param in str(info.value)
    assert route.call_count == 0


async def test_extra_body_reaches_a_batch_chunk(runner: Runner, mock: MockRouter) -> None:
    from .conftest import HEALTH_BODY, batch_answer

    mock.get("/health").respond(200, json=HEALTH_BODY)
    route = mock.post("/v1/batch").mock(side_effect=batch_answer)
    result = await runner.call(
        runner.client(), "batch", ["a", "b"], extra_body={"tag": "x"}, extra_query={"q": 1}
    )
    assert result.completed == 2
    sent = route.calls.last.request
    assert json.loads(sent.content)["tag"] == "x" and sent.url.params["q"] == "1"


# --------------------------------------------------------------------------- key providers


async def test_a_key_provider_is_asked_for_each_attempt(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(
        side_effect=[
            httpx2.Response(503, json={"detail": "busy"}),
            httpx2.Response(200, json=CHAT_BODY),
        ]
    )
    keys = iter([KEY, KEY_B])
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return next(keys)

    client = runner.client(api_key=provider)
    assert len(calls) == 0  # not asked when the client is built
    await runner.call(client, "complete", "Hi")
    sent = [c.request.headers["authorization"] for c in route.calls]
    assert sent == [f"Bearer {KEY}", f"Bearer {KEY_B}"] and len(calls) == 2
    assert KEY not in repr(client) and "provider" in repr(client._keys)


async def test_key_provider_failures_are_authentication_errors(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").respond(200, json=CHAT_BODY)
    secret = "cc_" + "s3" * 20

    def broken() -> str:
        raise RuntimeError(f"vault down (had {secret})")

    client = runner.client(api_key=broken)
    with pytest.raises(AuthenticationError) as info:
        await runner.call(client, "complete", "Hi")
    assert "api_key" in str(info.value) and isinstance(info.value.__cause__, RuntimeError)
    assert secret not in str(info.value)
    for bad in (lambda: None, lambda: "", lambda: "has space", lambda: 42):
        with pytest.raises(AuthenticationError) as info:
            await runner.call(runner.client(api_key=bad), "complete", "Hi")
        assert "api_key" in str(info.value)
    assert route.call_count == 0


async def test_key_providers_per_project(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/v1/usage").respond(200, json=copy.deepcopy(USAGE_BODY))
    client = runner.client(api_key={"default": lambda: KEY, "b": KEY_B})
    await runner.call(client, "get_usage", project_id="default")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY}"
    await runner.call(client, "get_usage", project_id="b")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY_B}"


# --------------------------------------------------------------------------- model ids


async def test_full_model_ids_go_to_rest_chat_task_and_batch_as_given(
    runner: Runner, mock: MockRouter
) -> None:
    from .conftest import HEALTH_BODY, TASK_BODY, batch_answer

    full = cc.ModelId("claude-3-5-sonnet-20241022")
    chat = mock.post("/v1/chat/completions").respond(200, json={**CHAT_BODY, "model": full})
    task = mock.post("/v1/task").respond(200, json=TASK_BODY)
    mock.get("/health").respond(200, json=HEALTH_BODY)
    batch = mock.post("/v1/batch").mock(side_effect=batch_answer)
    client = runner.client()
    r = await runner.call(client, "complete", "Hi", model=full)
    assert json.loads(chat.calls.last.request.content)["model"] == full and r.model == full
    await runner.call(client, "agentic_task", "x", model=full)
    assert json.loads(task.calls.last.request.content)["model"] == full
    await runner.call(client, "batch", ["a"], model=full)
    assert json.loads(batch.calls.last.request.content)["model"] == full
    # Anything else is still refused before sending; the socket takes aliases only.
    with pytest.raises(InvalidInputError) as info:
        await runner.call(client, "complete", "Hi", model="haiku-3")
    assert info.value.param == "model" and "claude-" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        client.stream("Hi", model=full)
    assert info.value.param == "model"


async def test_call_takes_the_extras_too(runner: Runner, mock: MockRouter) -> None:
    from claude_client.generated.api.api import get_usage, route_recommendation
    from claude_client.generated.models.route_request import RouteRequest

    from .conftest import ROUTE_BODY

    usage = mock.get("/v1/usage").respond(200, json=USAGE_BODY)
    route = mock.post("/v1/route").respond(200, json=ROUTE_BODY)
    client = runner.client()
    get = get_usage.asyncio_detailed if runner.is_async else get_usage.sync_detailed
    post = (
        route_recommendation.asyncio_detailed
        if runner.is_async
        else route_recommendation.sync_detailed
    )
    await runner.call(
        client, "call", get, period="day", extra_query={"x": 1}, extra_headers={"X-T": "1"}
    )
    sent = usage.calls.last.request
    assert sent.url.params["x"] == "1" and sent.url.params["period"] == "day"
    assert sent.headers["x-t"] == "1" and sent.headers["authorization"] == f"Bearer {KEY}"
    await runner.call(
        client, "call", post, body=RouteRequest(prompt="p"), extra_body={"context_size": 9}
    )
    assert json.loads(route.calls.last.request.content) == {"prompt": "p", "context_size": 9}
    with pytest.raises(InvalidInputError) as info:
        await runner.call(client, "call", get, extra_body={"a": 1})
    assert info.value.param == "extra_body"
    assert usage.call_count == 1


async def test_closing_the_owner_ends_the_streams_of_its_views(runner: Runner) -> None:
    client = runner.client()  # the stream never connects: it is closed before its first chunk
    view = client.with_options(timeout=3)
    stream = view.stream("Hi", model="haiku")
    assert stream in view._streams and stream not in client._streams
    await runner.close(client)
    assert view.closed
    chunks = [chunk async for chunk in stream] if runner.is_async else list(stream)
    assert chunks == []
