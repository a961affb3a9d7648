"""Trace context: the configured global propagator is the one used (REST and the
WebSocket handshake), and concurrent calls each carry their own span's context."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Optional

import pytest
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import (
    CarrierT,
    Setter,
    TextMapPropagator,
    default_setter,
)
from opentelemetry.trace import get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from otel_kit import Telemetry, traceparent_of

from claude_client import AsyncClaudeClient, ClaudeClient
from claude_client.testing import FakeService


class SpanIdHeader(TextMapPropagator):
    """A propagator of the test's own: ``x-test-span: <span id>``."""

    def inject(
        self,
        carrier: CarrierT,
        context: Optional[Context] = None,
        setter: Setter[Any] = default_setter,
    ) -> None:
        span_id = get_current_span(context).get_span_context().span_id
        setter.set(carrier, "x-test-span", f"{span_id:016x}")

    def extract(
        self, carrier: CarrierT, context: Optional[Context] = None, getter: Any = None
    ) -> Context:
        return context or Context()

    @property
    def fields(self) -> set[str]:
        return {"x-test-span"}


@pytest.fixture
def own_propagator() -> Iterator[None]:
    before = propagate.get_global_textmap()
    propagate.set_global_textmap(
        CompositePropagator([TraceContextTextMapPropagator(), SpanIdHeader()])
    )
    yield
    propagate.set_global_textmap(before)


def test_the_global_propagator_is_used(
    claude_fake: FakeService, otel: Telemetry, own_propagator: None
) -> None:
    with ClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:
        client.complete("hello", model="haiku")
        "".join(client.stream("hello", model="haiku"))
    rest_span, stream_span = otel.spans()
    [rest] = claude_fake.requests_to("/v1/chat/completions")
    [ws] = claude_fake.requests_to("/v1/stream", "WS")
    assert rest.header("x-test-span") == f"{rest_span.context.span_id:016x}"
    assert ws.header("x-test-span") == f"{stream_span.context.span_id:016x}"
    assert ws.traceparent == traceparent_of(stream_span)


async def test_concurrent_calls_carry_their_own_context(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    prompts = [f"question {i}" for i in range(6)]
    async with AsyncClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:
        await asyncio.gather(*(client.complete(p, model="haiku") for p in prompts))
    spans = otel.spans()
    assert len(spans) == 6
    sent = [r.traceparent for r in claude_fake.requests_to("/v1/chat/completions")]
    assert sorted(sent) == sorted(traceparent_of(s) for s in spans)  # type: ignore[type-var]
    assert len({s.context.trace_id for s in spans}) == 6  # six roots, no accidental nesting
    for span in spans:
        [event] = span.events
        assert dict(event.attributes or {})["claude_client.attempt"] == 1


def test_sync_client_threads_carry_their_own_context(
    claude_fake: FakeService, otel: Telemetry
) -> None:
    import threading

    tracer = otel.tracer_provider.get_tracer("app")
    with ClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:

        def work(i: int) -> None:
            with tracer.start_as_current_span(f"job {i}"):
                client.complete(f"question {i}", model="haiku")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    jobs = {s.context.span_id: s for s in otel.spans() if s.name.startswith("job")}
    chats = [s for s in otel.spans() if s.name == "chat haiku"]
    assert len(jobs) == 4 and len(chats) == 4
    assert {c.parent.span_id for c in chats if c.parent} == set(jobs)
    sent = {r.traceparent for r in claude_fake.requests_to("/v1/chat/completions")}
    assert sent == {traceparent_of(c) for c in chats}
