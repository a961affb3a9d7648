"""No prompt, completion or key in anything exported by default; the conventions' opt-in
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` with ``OTEL_SEMCONV_STABILITY_OPT_IN``)
turns content capture on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from otel_kit import Telemetry, exported_values, no_sleep

from claude_client import ClaudeAPIError, ClaudeClient
from claude_client._telemetry import (
    EVENT_ONLY,
    LEGACY_EVENTS,
    NO_CONTENT,
    SPAN_AND_EVENT,
    SPAN_ONLY,
    capture_mode,
)
from claude_client.testing import FakeService

SECRET_PROMPT = "zebra-quartz-marmalade"


def _run_everything(fake: FakeService, otel: Telemetry) -> list[str]:
    """Every kind of call with the secret prompt; returns what the answers contain."""
    answers: list[str] = []
    with ClaudeClient(**fake.client_kwargs(), **otel.kwargs(), sleep=no_sleep) as client:
        answers.append(client.complete(SECRET_PROMPT, model="haiku").content)
        answers.append(
            client.complete(messages=[{"role": "user", "content": SECRET_PROMPT}]).content
        )
        stream = client.stream(SECRET_PROMPT)
        answers.append("".join(stream))
        answers.append(str(client.agentic_task(SECRET_PROMPT).summary))
        for _ in client.stream_task(SECRET_PROMPT):
            pass
        batch = client.batch([SECRET_PROMPT, SECRET_PROMPT + " 2"], chunk_size=1)
        answers.extend(str(r.content) for r in batch.results)
        answers.append(client.process(SECRET_PROMPT).content)
        client.route(SECRET_PROMPT)
        fake.fail_next(1, status=422, detail=f"bad prompt {SECRET_PROMPT}")
        with pytest.raises(ClaudeAPIError):
            client.complete(SECRET_PROMPT, model="haiku")
    return [a for a in answers if a]


def test_no_prompt_completion_or_key_in_any_export(
    claude_fake: FakeService, otel: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    answers = _run_everything(claude_fake, otel)
    spans = otel.spans()
    assert len(spans) >= 10
    values = exported_values(spans)
    key = claude_fake.api_key
    for value in values:
        assert SECRET_PROMPT not in value
        assert key not in value and key[-12:] not in value
        for answer in answers:
            assert answer not in value
    metric_values = [str(p.attributes) for _, points in otel.metrics().values() for p in points]
    assert metric_values and not any(SECRET_PROMPT in v or key in v for v in metric_values)


@pytest.mark.parametrize(
    ("opt_in", "value", "mode"),
    [
        (None, None, NO_CONTENT),
        (None, "true", LEGACY_EVENTS),
        (None, "SPAN_ONLY", NO_CONTENT),
        ("gen_ai_latest_experimental", "true", NO_CONTENT),
        ("gen_ai_latest_experimental", "span_only", SPAN_ONLY),
        ("http,gen_ai_latest_experimental", "EVENT_ONLY", EVENT_ONLY),
        ("gen_ai_latest_experimental", "SPAN_AND_EVENT", SPAN_AND_EVENT),
        ("gen_ai_latest_experimental", "NO_CONTENT", NO_CONTENT),
    ],
)
def test_capture_mode_follows_the_conventions(
    opt_in: str | None, value: str | None, mode: str
) -> None:
    env: dict[str, str] = {}
    if opt_in is not None:
        env["OTEL_SEMCONV_STABILITY_OPT_IN"] = opt_in
    if value is not None:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = value
    assert capture_mode(env) == mode


def _messages(raw: Any) -> list[dict[str, Any]]:
    parsed = json.loads(str(raw))
    assert isinstance(parsed, list)
    return parsed


def test_span_only_capture_puts_messages_on_the_span(
    claude_fake: FakeService, otel: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    with ClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:
        result = client.complete(SECRET_PROMPT, model="haiku")
        stream = client.stream(SECRET_PROMPT, model="haiku")
        "".join(stream)
    rest, streamed = [s for s in otel.spans() if s.name == "chat haiku"]
    for span, answer in ((rest, result.content), (streamed, stream.content)):
        attrs = dict(span.attributes or {})
        assert _messages(attrs["gen_ai.input.messages"]) == [
            {"role": "user", "parts": [{"type": "text", "content": SECRET_PROMPT}]}
        ]
        assert _messages(attrs["gen_ai.output.messages"]) == [
            {"role": "assistant", "parts": [{"type": "text", "content": answer}]}
        ]
        assert [e.name for e in span.events] == (["claude_client.attempt"] if span is rest else [])


def test_event_only_capture_uses_the_details_event(
    claude_fake: FakeService, otel: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    with ClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:
        client.agentic_task(SECRET_PROMPT)
    span = otel.span("invoke_agent")
    assert "gen_ai.input.messages" not in dict(span.attributes or {})
    details = [e for e in span.events if e.name == "gen_ai.client.inference.operation.details"]
    assert len(details) == 2
    assert SECRET_PROMPT in str(dict(details[0].attributes or {})["gen_ai.input.messages"])
    assert "gen_ai.output.messages" in dict(details[1].attributes or {})


def test_legacy_boolean_capture_uses_content_events(
    claude_fake: FakeService, otel: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_SEMCONV_STABILITY_OPT_IN", raising=False)
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    with ClaudeClient(**claude_fake.client_kwargs(), **otel.kwargs()) as client:
        result = client.complete(SECRET_PROMPT, model="haiku")
    span = otel.span("chat haiku")
    events = {e.name: dict(e.attributes or {}) for e in span.events}
    assert SECRET_PROMPT in str(events["gen_ai.content.prompt"]["gen_ai.prompt"])
    assert result.content in str(events["gen_ai.content.completion"]["gen_ai.completion"])
    assert "gen_ai.input.messages" not in dict(span.attributes or {})
