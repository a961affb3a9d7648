"""Chat streams against a real WebSocket server, each case in sync and asyncio."""

from __future__ import annotations

import time

import pytest
from stream_testkit import API_KEY, DEFAULT_TOKENS, Driver, ScriptedServer, chat_script

from claude_client import Usage
from claude_client._exceptions import (
    APIConnectionError,
    BudgetExceededError,
    ClaudeAPIError,
    PermissionError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TimeoutError,
    ValidationError,
)
from claude_client._streaming import StreamNotFinishedError, StreamSettings


def test_chunks_arrive_in_order_and_concatenate(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    out = drive.chat(settings)
    assert out.error is None
    assert out.items == DEFAULT_TOKENS
    assert out.stream.content == "Once upon a time."
    assert out.stream.finished


def test_usage_cost_and_model_after_the_end(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = chat_script(
        ["a", "b"],
        usage={"input_tokens": 12, "output_tokens": 34, "total_tokens": 46},
        cost=0.0425,
        model="opus",
    )
    out = drive.chat(settings, model="opus")
    assert out.error is None
    usage = out.stream.usage
    assert isinstance(usage, Usage)  # the facade's type, as `complete()` returns
    assert usage == {"input_tokens": 12, "output_tokens": 34, "total_tokens": 46}
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (12, 34, 46)
    assert usage["total_tokens"] == 46
    assert out.stream.cost == pytest.approx(0.0425)
    assert out.stream.model == "opus"


def test_usage_before_the_done_frame_says_to_finish_the_stream(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    out = drive.chat(settings, limit=1)
    assert out.items == ["Once"]
    for name in ("usage", "cost", "model"):
        with pytest.raises(StreamNotFinishedError, match="until_done"):
            getattr(out.stream, name)
    assert issubclass(StreamNotFinishedError, RuntimeError)


def test_request_message_follows_the_protocol(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "A poem please"},
    ]
    drive.chat(settings, messages=messages, model="sonnet", project_id="my-app")
    assert server.requests == [
        {"type": "chat", "model": "sonnet", "messages": messages, "project_id": "my-app"}
    ]


def test_project_id_is_left_to_the_service_default_when_not_given(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    drive.chat(settings)
    assert "project_id" not in server.requests[0]
    assert "api_key" not in server.requests[0]


def test_known_defect_done_without_tokens_ends_cleanly_with_usage(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = chat_script(
        [], usage={"input_tokens": 9, "output_tokens": 0, "total_tokens": 9}, cost=0.0
    )
    out = drive.chat(settings)
    assert out.error is None
    assert out.items == []
    assert out.stream.content == ""
    assert out.stream.finished
    assert out.stream.usage == {"input_tokens": 9, "output_tokens": 0, "total_tokens": 9}
    assert out.stream.cost == 0.0


def test_total_tokens_is_derived_when_missing(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("frame", {"type": "done", "usage": {"input_tokens": 2, "output_tokens": 3}})]
    out = drive.chat(settings)
    assert out.stream.usage.total_tokens == 5
    assert out.stream.cost == 0.0  # as Response.cost when the service names none
    assert out.stream.model == "haiku"  # what was asked for, when `done` does not say


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Budget exceeded for project my-app", BudgetExceededError),
        ("Permission denied: Tool 'Bash' is not in allowed list", PermissionError),
        ("Invalid model: gpt. Must be haiku, sonnet, or opus", ValidationError),
        ("No messages provided", ValidationError),
        ("Streaming error: Request timed out after 30 seconds", ServerError),
        ("Task execution error: boom", ServerError),
        ("Server error: 'description'", ServerError),
        ("Invalid JSON format", ValidationError),
        ("Unknown message type: chatt", ValidationError),
    ],
)
def test_error_frames_map_to_the_hierarchy(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    message: str,
    expected: type[ClaudeAPIError],
) -> None:
    server.script = [("frame", {"type": "error", "error": message})]
    out = drive.chat(settings)
    assert type(out.error) is expected
    assert out.error.message == message
    assert out.items == []


def test_error_after_some_tokens_keeps_the_text_on_the_stream(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [
        ("token", "Half"),
        ("token", " a story"),
        ("frame", {"type": "error", "error": "Streaming error: CLI exited with 1"}),
    ]
    out = drive.chat(settings)
    assert isinstance(out.error, ServerError)
    assert out.items == ["Half", " a story"]
    assert out.stream.content == "Half a story"
    with pytest.raises(StreamNotFinishedError):
        out.stream.usage  # noqa: B018


def test_server_error_then_drop_raises_the_server_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    # A malformed request: one `Server error:` frame, then TCP dropped (1006).
    server.script = [("frame", {"type": "error", "error": "Server error: bad frame"}), ("drop",)]
    out = drive.chat(settings)
    assert type(out.error) is ServerError
    assert "Server error" in str(out.error)


def test_drop_mid_stream_raises_interrupted_with_the_partial_text(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "It was"), ("token", " a dark"), ("drop",)]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert isinstance(out.error, APIConnectionError)
    assert out.error.partial_content == "It was a dark"
    assert "1006" in str(out.error)
    assert out.items == ["It was", " a dark"]
    with pytest.raises(StreamNotFinishedError, match="without its 'done' frame"):
        out.stream.usage  # noqa: B018


def test_server_shutdown_1001_mid_stream_is_an_interruption(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "abc"), ("close", 1001, "Server shutting down")]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert out.error.partial_content == "abc"
    assert "1001" in str(out.error) and "Server shutting down" in str(out.error)


def test_a_normal_close_before_done_is_still_not_a_success(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "x"), ("close", 1000, "")]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert out.error.partial_content == "x"


def test_close_before_any_frame(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("drop",)]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert out.error.partial_content == ""


def test_silent_server_hits_the_idle_timeout(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]
    quick = settings.__class__(**{**settings.__dict__, "idle_timeout": 0.3})
    started = time.monotonic()
    out = drive.chat(quick)
    elapsed = time.monotonic() - started
    assert type(out.error) is TimeoutError
    assert "idle" in str(out.error)
    assert out.items == ["a"]
    assert out.stream.content == "a"
    assert elapsed < 3


def test_slow_server_hits_the_overall_timeout(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    # Frames keep coming (never idle for 1 s) but the whole stream takes too long.
    server.script = [item for _ in range(40) for item in (("token", "."), ("sleep", 0.05))]
    quick = settings.with_timeout(0.6)
    quick = quick.__class__(**{**quick.__dict__, "idle_timeout": 1.0})
    started = time.monotonic()
    out = drive.chat(quick)
    assert type(out.error) is TimeoutError
    assert "within its timeout of 0.6" in str(out.error)
    assert 0 < len(out.items) < 40
    assert time.monotonic() - started < 3


def test_timeout_is_an_api_timeout_error_not_an_os_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("silent",)]
    quick = settings.__class__(**{**settings.__dict__, "idle_timeout": 0.2})
    out = drive.chat(quick)
    from claude_client import APITimeoutError

    assert isinstance(out.error, APITimeoutError) and not isinstance(out.error, OSError)
    # the error names the socket it belongs to
    assert out.error.method == "GET" and out.error.url == settings.ws_url
    assert settings.ws_url in str(out.error)


def test_non_json_frame_is_a_response_validation_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "ok"), ("raw", "<html>oops</html>")]
    out = drive.chat(settings)
    assert type(out.error) is ResponseValidationError
    assert out.stream.content == "ok"


def test_unknown_frame_types_are_skipped(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [
        ("token", "a"),
        ("frame", {"type": "heartbeat"}),
        ("token", "b"),
        *chat_script([]),
    ]
    out = drive.chat(settings)
    assert out.error is None
    assert out.items == ["a", "b"]


def test_early_break_closes_the_socket_promptly(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    # The service would keep talking for 10 s: the client leaves after 2 chunks.
    server.script = [item for i in range(100) for item in (("token", f"t{i} "), ("sleep", 0.1))]
    started = time.monotonic()
    out = drive.chat(settings, limit=2)
    assert out.items == ["t0 ", "t1 "]
    assert out.error is None
    assert server.wait_all_ended(3.0)
    assert server.connections[0].ended_at is not None
    assert server.connections[0].ended_at - started < 3
    assert server.connections[0].close_code == 1000


def test_model_auto_without_a_resolver_is_sent_as_sonnet(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    drive.chat(settings, model="auto")
    assert server.requests[0]["model"] == "sonnet"


def test_every_stream_uses_its_own_connection(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    first = drive.chat(settings)
    second = drive.chat(settings)
    assert first.text == second.text == "Once upon a time."
    assert len(server.connections) == 2


def test_no_iteration_no_connection(server: ScriptedServer, settings: StreamSettings) -> None:
    from claude_client._streaming import ChatStream

    with ChatStream(settings, messages=[{"role": "user", "content": "x"}]) as stream:
        assert stream.content == ""
    assert list(stream) == []  # closed before use: nothing to iterate
    assert server.upgrade_attempts == 0


def test_settings_without_key_still_stream_chat(drive: Driver, server: ScriptedServer) -> None:
    keyless = StreamSettings(ws_url=server.url, timeout=5, idle_timeout=2)
    out = drive.chat(keyless)
    assert out.error is None and out.text == "Once upon a time."
    assert "authorization" not in {k.lower() for k in server.connections[0].headers}
    assert API_KEY not in str(server.requests)


def test_a_deeply_nested_frame_is_a_response_validation_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    # Within websockets' 1 MiB frame limit, but deeper than json's recursion limit.
    server.script = [("token", "ok"), ("raw", "[" * 200_000 + "]" * 200_000)]
    out = drive.chat(settings)
    assert type(out.error) is ResponseValidationError
    assert out.stream.content == "ok"
