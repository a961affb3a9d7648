"""Spans, attempt events, trace context and metrics of every kind of call (issue 16).

Each operation runs against the fake service with test-local SDK providers, for the
sync and the async client, and the exported spans are checked: name, kind, the GenAI
and SDK attributes, status, parent/child shape, and that the ``traceparent`` the fake
received is the span's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from otel_kit import Telemetry, async_no_sleep, no_sleep, traceparent_of

from claude_client import AsyncClaudeClient, ClaudeAPIError, ClaudeClient, StreamInterruptedError
from claude_client.testing import FakeService

PROMPT = "Name three rivers of Peru"


def _client(fake: FakeService, otel: Telemetry, **kwargs: Any) -> ClaudeClient:
    return ClaudeClient(**fake.client_kwargs(), **otel.kwargs(), sleep=no_sleep, **kwargs)


def _aclient(fake: FakeService, otel: Telemetry, **kwargs: Any) -> AsyncClaudeClient:
    return AsyncClaudeClient(
        **fake.client_kwargs(), **otel.kwargs(), sleep=async_no_sleep, **kwargs
    )


def _gen_ai(span: Any, operation: str, *, model: str | None) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == operation
    assert attrs["gen_ai.provider.name"] == "claude_code_api"
    assert attrs["server.address"] == "127.0.0.1"
    assert isinstance(attrs["server.port"], int)
    if model is not None:
        assert attrs["gen_ai.request.model"] == model
    return attrs


# --------------------------------------------------------------------------- complete


def _check_complete(otel: Telemetry, fake: FakeService, result: Any) -> None:
    span = otel.span("chat haiku")
    attrs = _gen_ai(span, "chat", model="haiku")
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None
    assert attrs["gen_ai.response.id"] == result.id
    assert attrs["gen_ai.response.model"] == result.model
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.input_tokens
    assert attrs["gen_ai.usage.output_tokens"] == result.usage.output_tokens
    assert attrs["claude_client.cost_usd"] == pytest.approx(result.cost)
    assert attrs["claude_client.retry_count"] == 0
    assert attrs["http.response.status_code"] == 200
    [recorded] = fake.requests_to("/v1/chat/completions")
    assert attrs["claude_client.request_id"] == recorded.request_id
    assert recorded.traceparent == traceparent_of(span)
    [event] = span.events
    assert event.name == "claude_client.attempt"
    assert dict(event.attributes or {}) == {
        "claude_client.attempt": 1,
        "http.response.status_code": 200,
    }


def test_complete_span_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.complete(PROMPT, model="haiku")
    _check_complete(otel, claude_fake, result)


async def test_complete_span_async(claude_fake: FakeService, otel: Telemetry) -> None:
    async with _aclient(claude_fake, otel) as client:
        result = await client.complete(PROMPT, model="haiku")
    _check_complete(otel, claude_fake, result)


def test_auto_model_is_the_request_model(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.complete(PROMPT)
    attrs = _gen_ai(otel.span("chat auto"), "chat", model="auto")
    assert attrs["gen_ai.response.model"] == result.model


# --------------------------------------------------------------------------- retries, errors


def _check_retried(otel: Telemetry, fake: FakeService) -> None:
    span = otel.span("chat haiku")
    attrs = dict(span.attributes or {})
    assert attrs["claude_client.retry_count"] == 1
    assert span.status.status_code is StatusCode.UNSET
    first, second = span.events
    assert first.name == second.name == "claude_client.attempt"
    a1, a2 = dict(first.attributes or {}), dict(second.attributes or {})
    assert a1["claude_client.attempt"] == 1
    assert a1["http.response.status_code"] == 503
    assert a1["error.type"] == "ServerError"  # what the transport mapped the 503 to
    assert a1["claude_client.backoff_s"] >= 0
    assert a2 == {"claude_client.attempt": 2, "http.response.status_code": 200}
    # Events, not child spans: one span for the call; both attempts carry its context.
    assert len(otel.spans()) == 1
    sent = fake.requests_to("/v1/chat/completions")
    assert [r.traceparent for r in sent] == [traceparent_of(span)] * 2


def test_retries_are_attempt_events_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    claude_fake.fail_next(1, status=503)
    with _client(claude_fake, otel) as client:
        client.complete(PROMPT, model="haiku")
    _check_retried(otel, claude_fake)


async def test_retries_are_attempt_events_async(claude_fake: FakeService, otel: Telemetry) -> None:
    claude_fake.fail_next(1, status=503)
    async with _aclient(claude_fake, otel) as client:
        await client.complete(PROMPT, model="haiku")
    _check_retried(otel, claude_fake)


def _check_failed(otel: Telemetry, error: BaseException) -> None:
    span = otel.span("chat haiku")
    attrs = dict(span.attributes or {})
    error_type = type(error).__name__
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == error_type
    assert attrs["error.type"] == error_type
    assert attrs["http.response.status_code"] == 503
    assert attrs["claude_client.retry_count"] == 1
    assert dict(span.events[-1].attributes or {}).get("claude_client.backoff_s") is None
    [point] = otel.metrics()["gen_ai.client.operation.duration"][1]
    assert point.attributes["error.type"] == error_type
    assert "gen_ai.client.token.usage" not in otel.metrics()


def test_failure_sets_error_type_and_status_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    claude_fake.fail_next(2, status=503)
    with (
        _client(claude_fake, otel, max_retries=1) as client,
        pytest.raises(ClaudeAPIError) as caught,
    ):
        client.complete(PROMPT, model="haiku")
    _check_failed(otel, caught.value)


async def test_failure_sets_error_type_and_status_async(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    claude_fake.fail_next(2, status=503)
    async with _aclient(claude_fake, otel, max_retries=1) as client:
        with pytest.raises(ClaudeAPIError) as caught:
            await client.complete(PROMPT, model="haiku")
    _check_failed(otel, caught.value)


# --------------------------------------------------------------------------- agentic tasks


def _check_task(otel: Telemetry, fake: FakeService, result: Any) -> None:
    span = otel.span("invoke_agent")
    attrs = _gen_ai(span, "invoke_agent", model=None)
    assert "gen_ai.request.model" not in attrs
    assert attrs["gen_ai.response.id"] == result.task_id
    assert attrs["gen_ai.response.model"] == result.usage.model_used
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.input_tokens
    assert attrs["claude_client.cost_usd"] == pytest.approx(result.usage.total_cost)
    [recorded] = fake.requests_to("/v1/task")
    assert recorded.traceparent == traceparent_of(span)


def test_agentic_task_span_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.agentic_task("List the files")
    _check_task(otel, claude_fake, result)


async def test_agentic_task_span_async(claude_fake: FakeService, otel: Telemetry) -> None:
    async with _aclient(claude_fake, otel) as client:
        result = await client.agentic_task("List the files")
    _check_task(otel, claude_fake, result)


def test_task_with_a_model_names_it(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        client.agentic_task("List the files", model="haiku")
    _gen_ai(otel.span("invoke_agent haiku"), "invoke_agent", model="haiku")


# --------------------------------------------------------------------------- streams


def _ws_traceparent(fake: FakeService) -> str | None:
    [message] = fake.requests_to("/v1/stream", "WS")
    return message.traceparent


def _check_chat_stream(otel: Telemetry, fake: FakeService, stream: Any) -> None:
    span = otel.span("chat haiku")
    attrs = _gen_ai(span, "chat", model="haiku")
    assert attrs["claude_client.streaming"] is True
    assert attrs["gen_ai.response.model"] == stream.model
    assert attrs["gen_ai.usage.output_tokens"] == stream.usage.output_tokens
    assert attrs["claude_client.cost_usd"] == pytest.approx(stream.cost)
    assert 0 < attrs["claude_client.time_to_first_chunk"] < 60
    assert span.status.status_code is StatusCode.UNSET
    assert _ws_traceparent(fake) == traceparent_of(span)


def test_stream_span_covers_the_stream_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        stream = client.stream(PROMPT, model="haiku")
        assert otel.spans() == []  # stream() sends nothing: the span starts with the socket
        text = "".join(stream)
    assert text == stream.content
    _check_chat_stream(otel, claude_fake, stream)


async def test_stream_span_covers_the_stream_async(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    async with _aclient(claude_fake, otel) as client:
        stream = client.stream(PROMPT, model="haiku")
        assert otel.spans() == []
        text = "".join([chunk async for chunk in stream])
    assert text == stream.content
    _check_chat_stream(otel, claude_fake, stream)


def _check_interrupted(otel: Telemetry) -> None:
    span = otel.span("chat haiku")
    attrs = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == "StreamInterruptedError"
    assert attrs["claude_client.time_to_first_chunk"] > 0


def test_interrupted_stream_ends_span_with_error_sync(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    claude_fake.drop_stream_after(3)
    with _client(claude_fake, otel) as client, pytest.raises(StreamInterruptedError):
        for _ in client.stream(PROMPT, model="haiku"):
            pass
    _check_interrupted(otel)


async def test_interrupted_stream_ends_span_with_error_async(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    claude_fake.drop_stream_after(3)
    async with _aclient(claude_fake, otel) as client:
        with pytest.raises(StreamInterruptedError):
            async for _ in client.stream(PROMPT, model="haiku"):
                pass
    _check_interrupted(otel)


def test_leaving_a_stream_early_ends_its_span(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        for _ in client.stream(PROMPT, model="haiku"):
            break
    span = otel.span("chat haiku")
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {})["claude_client.stream.closed_early"] is True


def test_auto_stream_route_call_is_a_child(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        "".join(client.stream(PROMPT))
    stream_span = otel.span("chat auto")
    route_span = otel.span("POST /v1/route")
    assert route_span.parent is not None
    assert route_span.parent.span_id == stream_span.context.span_id
    [route] = claude_fake.requests_to("/v1/route")
    assert route.traceparent == traceparent_of(route_span)
    assert _ws_traceparent(claude_fake) == traceparent_of(stream_span)


def _check_task_stream(otel: Telemetry, fake: FakeService, result: Any) -> None:
    span = otel.span("invoke_agent")
    attrs = _gen_ai(span, "invoke_agent", model=None)
    assert attrs["claude_client.streaming"] is True
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.input_tokens
    assert attrs["claude_client.time_to_first_chunk"] > 0
    assert _ws_traceparent(fake) == traceparent_of(span)


def test_stream_task_span_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        events = list(client.stream_task("List the files"))
    _check_task_stream(otel, claude_fake, events[-1])


async def test_stream_task_span_async(claude_fake: FakeService, otel: Telemetry) -> None:
    async with _aclient(claude_fake, otel) as client:
        events = [event async for event in client.stream_task("List the files")]
    _check_task_stream(otel, claude_fake, events[-1])


# --------------------------------------------------------------------------- batch


def _check_batch(otel: Telemetry, fake: FakeService, result: Any) -> None:
    parent = otel.span("batch haiku")
    assert parent.kind is SpanKind.INTERNAL
    attrs = dict(parent.attributes or {})
    assert "gen_ai.operation.name" not in attrs  # the children are the chat operations
    assert attrs["claude_client.batch.size"] == 5
    assert attrs["claude_client.batch.chunks"] == 3
    assert attrs["claude_client.batch.completed"] == 5
    assert attrs["claude_client.cost_usd"] == pytest.approx(result.total_cost)
    chunks = [s for s in otel.spans() if s.name == "chat haiku"]
    assert len(chunks) == 3
    assert sorted(dict(s.attributes or {})["claude_client.batch.size"] for s in chunks) == [1, 2, 2]
    for chunk in chunks:
        _gen_ai(chunk, "chat", model="haiku")
        assert chunk.parent is not None and chunk.parent.span_id == parent.context.span_id
        assert chunk.context.trace_id == parent.context.trace_id
    total_in = sum(dict(s.attributes or {})["gen_ai.usage.input_tokens"] for s in chunks)
    assert attrs["gen_ai.usage.input_tokens"] == total_in
    health = [s for s in otel.spans() if s.name == "GET /health"]
    assert health and all(s.parent.span_id == parent.context.span_id for s in health)  # type: ignore[union-attr]
    sent = {r.traceparent for r in fake.requests_to("/v1/batch")}
    assert sent == {traceparent_of(s) for s in chunks}


def test_batch_parent_and_chunk_children_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.batch([f"prompt {i}" for i in range(5)], model="haiku", chunk_size=2)
    _check_batch(otel, claude_fake, result)


async def test_batch_parent_and_chunk_children_async(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    async with _aclient(claude_fake, otel) as client:
        result = await client.batch([f"prompt {i}" for i in range(5)], model="haiku", chunk_size=2)
    _check_batch(otel, claude_fake, result)


# --------------------------------------------------------------------------- other routes


def _check_plain(otel: Telemetry, fake: FakeService, name: str) -> None:
    span = otel.span(name)
    attrs = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert not any(key.startswith("gen_ai.") for key in attrs)
    assert attrs["http.request.method"] == "GET"
    assert attrs["http.response.status_code"] == 200
    assert attrs["claude_client.retry_count"] == 0
    [recorded] = fake.requests_to("/v1/usage")
    assert recorded.traceparent == traceparent_of(span)
    assert "gen_ai.client.operation.duration" not in otel.metrics()


def test_generated_endpoint_via_call_sync(claude_fake: FakeService, otel: Telemetry) -> None:
    from claude_client.generated.api.api import get_usage

    with _client(claude_fake, otel) as client:
        client.call(get_usage.sync_detailed, period="week")
    _check_plain(otel, claude_fake, "GET /v1/usage")


async def test_generated_endpoint_via_call_async(claude_fake: FakeService, otel: Telemetry) -> None:
    from claude_client.generated.api.api import get_usage

    async with _aclient(claude_fake, otel) as client:
        await client.call(get_usage.asyncio_detailed, period="week")
    _check_plain(otel, claude_fake, "GET /v1/usage")


def test_usage_is_a_plain_http_span(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        client.get_usage()
    _check_plain(otel, claude_fake, "GET /v1/usage")
    assert dict(otel.span("GET /v1/usage").attributes or {})["url.template"] == "/v1/usage"


def test_provider_models_span_name_has_the_template(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    with _client(claude_fake, otel) as client:
        client.provider_models("claudecode")
    otel.span("GET /v1/providers/{provider}/models")


def test_process_is_a_chat(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.process(PROMPT, model_name="haiku")
    attrs = _gen_ai(otel.span("chat haiku"), "chat", model="haiku")
    assert attrs["gen_ai.response.model"] == result.model


def test_caller_span_is_the_parent(claude_fake: FakeService, otel: Telemetry) -> None:
    tracer = otel.tracer_provider.get_tracer("app")
    with _client(claude_fake, otel) as client, tracer.start_as_current_span("handler") as outer:
        client.complete(PROMPT, model="haiku")
    span = otel.span("chat haiku")
    assert span.parent is not None and span.parent.span_id == outer.get_span_context().span_id


# --------------------------------------------------------------------------- metrics


def test_metrics_follow_the_conventions(claude_fake: FakeService, otel: Telemetry) -> None:
    with _client(claude_fake, otel) as client:
        result = client.complete(PROMPT, model="haiku")
    metrics = otel.metrics()
    unit, [duration] = metrics["gen_ai.client.operation.duration"]
    assert unit == "s"
    assert duration.count == 1 and duration.sum > 0
    assert duration.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "claude_code_api",
        "gen_ai.request.model": "haiku",
        "gen_ai.response.model": result.model,
        "server.address": "127.0.0.1",
        "server.port": duration.attributes["server.port"],
    }
    unit, tokens = metrics["gen_ai.client.token.usage"]
    assert unit == "{token}"
    by_type = {p.attributes["gen_ai.token.type"]: p.sum for p in tokens}
    assert by_type == {"input": result.usage.input_tokens, "output": result.usage.output_tokens}
    unit, [cost] = metrics["claude_client.cost"]
    assert unit == "USD"
    assert cost.value == pytest.approx(result.cost)
