"""The WebSocket /v1/stream of the fake against STREAMING.md, with the websockets client."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from claude_client.testing import FakeService, Fault, stream_chunks


@pytest.fixture
def ws(claude_fake: FakeService) -> Iterator[ClientConnection]:
    with connect(
        claude_fake.ws_url, additional_headers=claude_fake.auth_headers(), open_timeout=5
    ) as conn:
        yield conn


def send(conn: ClientConnection, message: Any) -> None:
    conn.send(json.dumps(message) if not isinstance(message, (str, bytes)) else message)


def frame(conn: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    value = json.loads(conn.recv(timeout=timeout))
    assert isinstance(value, dict)
    return value


def until_final(conn: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while True:
        f = frame(conn)
        frames.append(f)
        if f["type"] in ("done", "error", "result"):
            return frames


def chat(prompt: str = "Write a poem", **extra: Any) -> dict[str, Any]:
    return {"type": "chat", "messages": [{"role": "user", "content": prompt}], **extra}


def test_chat_tokens_then_done(claude_fake: FakeService, ws: ClientConnection) -> None:
    send(ws, chat("Write a short poem", model="haiku", project_id="my-app"))
    frames = until_final(ws)
    tokens, done = frames[:-1], frames[-1]
    assert all(f["type"] == "token" for f in tokens) and len(tokens) == 5
    text = "".join(f["content"] for f in tokens)
    assert text == claude_fake.expected_answer("Write a short poem")
    assert [f["content"] for f in tokens] == stream_chunks(text)
    assert done == {
        "type": "done",
        "model": "haiku",
        "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10},
        "cost": pytest.approx((5 * 0.25 + 5 * 1.25) / 1e6),
    }
    assert claude_fake.tokens_used("my-app") == 10  # billed to the message's project


def test_same_answer_as_rest(claude_fake: FakeService, ws: ClientConnection) -> None:
    import httpx

    prompt = "Explain   recursion briefly"
    send(ws, chat(prompt, model="sonnet"))
    frames = until_final(ws)
    rest = httpx.post(
        f"{claude_fake.base_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": prompt}], "model": "sonnet"},
        headers=claude_fake.auth_headers(),
    ).json()
    assert "".join(f["content"] for f in frames[:-1]) == rest["content"]
    assert frames[-1]["usage"] == rest["usage"] and frames[-1]["cost"] == rest["cost"]


def test_model_defaults_to_sonnet_and_messages_are_flattened(ws: ClientConnection) -> None:
    send(
        ws,
        {
            "type": "chat",
            "messages": [
                {"role": "system", "content": "be terse"},
                {"role": "user", "content": "hi"},
            ],
        },
    )
    done = until_final(ws)[-1]
    assert done["model"] == "sonnet"
    assert done["usage"]["input_tokens"] == len(["system:", "be", "terse", "user:", "hi"])


def test_several_requests_on_one_connection(ws: ClientConnection) -> None:
    for prompt in ("one", "two", "three"):
        send(ws, chat(prompt, model="haiku"))
        frames = until_final(ws)
        assert "".join(f["content"] for f in frames[:-1]) == f"Answer: {prompt}"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "chat", "messages": []}, "No messages provided"),
        ({"type": "chat"}, "No messages provided"),
        (chat(model="auto"), "Invalid model: auto. Must be haiku, sonnet, or opus"),
        (chat(model="gpt-4"), "Invalid model: gpt-4. Must be haiku, sonnet, or opus"),
        ("not json", "Invalid JSON format"),
        ({"type": "poem"}, "Unknown message type: poem"),
        ({"type": "agentic_task", "description": "x"}, "api_key required for agentic tasks"),
        (chat("please [fail]", model="haiku"), "Streaming error: simulated failure"),
    ],
)
def test_error_frames_keep_the_connection_usable(
    ws: ClientConnection, message: Any, error: str
) -> None:
    send(ws, message)
    assert frame(ws) == {"type": "error", "error": error}
    send(ws, chat("again", model="haiku"))
    assert until_final(ws)[-1]["type"] == "done"


def test_budget_exceeded_frame(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.set_budget("capped", 0)
    send(ws, chat(project_id="capped"))
    assert frame(ws) == {"type": "error", "error": "Budget exceeded for project capped"}


@pytest.mark.parametrize("bad", [b"\x00\x01", "[1, 2]", '"text"', "42"])
def test_binary_or_non_object_frame_is_server_error_then_1006(
    ws: ClientConnection, bad: str | bytes
) -> None:
    send(ws, bad)
    f = frame(ws)
    assert f["type"] == "error" and f["error"].startswith("Server error: ")
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is None  # no close frame: 1006
    assert ws.close_code == 1006


def test_agentic_task_without_description_is_server_error_then_1006(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, {"type": "agentic_task", "api_key": claude_fake.api_key})
    assert frame(ws)["error"].startswith("Server error: ")
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1006


def test_agentic_task_thinking_then_result(claude_fake: FakeService, ws: ClientConnection) -> None:
    send(
        ws,
        {
            "type": "agentic_task",
            "api_key": claude_fake.api_key,
            "description": "Count files",
            "allow_tools": ["Bash"],
            "allow_agents": [],
            "allow_skills": [],
            "timeout": 300,
            "max_cost": 1.0,
        },
    )
    assert frame(ws) == {"type": "thinking", "content": "Starting task execution..."}
    result = frame(ws)
    assert result["type"] == "result" and result["status"] == "completed"
    assert set(result) == {"type", "status", "result", "execution_log", "artifacts", "usage"}
    assert result["artifacts"] == []  # only files really found in the workspace
    assert [e["action"] for e in result["execution_log"]] == ["task_completed"]
    assert claude_fake.tokens_used("default") == result["usage"]["total_tokens"]


@pytest.mark.parametrize(
    ("forced", "status"),
    [("failed", "failed"), ("overloaded", "failed"), ("cost_exceeded", "cost_exceeded")],
)
def test_agentic_task_other_statuses(
    claude_fake: FakeService, ws: ClientConnection, forced: str, status: str
) -> None:
    claude_fake.next_task_status(forced)  # "timeout" is declared but never produced
    send(ws, {"type": "agentic_task", "api_key": claude_fake.api_key, "description": "x"})
    assert frame(ws)["type"] == "thinking"
    result = frame(ws)
    assert (result["type"], result["status"]) == ("result", status)
    assert "error" in result["result"]


def test_agentic_task_permission_denied_without_thinking(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, {"type": "agentic_task", "api_key": claude_fake.free_key, "description": "x"})
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: Requested timeout (300s) exceeds limit (60s)",
    }
    send(ws, {"type": "agentic_task", "api_key": "cc_" + "1" * 40, "description": "x"})
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: No permission profile found for API key",
    }


def test_agentic_task_execution_error(claude_fake: FakeService, ws: ClientConnection) -> None:
    send(
        ws,
        {
            "type": "agentic_task",
            "api_key": claude_fake.enterprise_key,
            "description": "x",
            "allow_agents": ["ghost"],
        },
    )
    assert frame(ws)["type"] == "thinking"
    assert frame(ws) == {
        "type": "error",
        "error": "Task execution error: Unknown agents requested: ghost",
    }
    send(ws, chat(model="haiku"))
    assert until_final(ws)[-1]["type"] == "done"


def test_agentic_task_reads_only_its_fields(claude_fake: FakeService, ws: ClientConnection) -> None:
    send(
        ws,
        {
            "type": "agentic_task",
            "api_key": claude_fake.api_key,
            "description": "x",
            "project_id": "ignored",
            "model": "opus",
        },
    )
    frame(ws)
    result = frame(ws)
    # auto-selected (§5.1 task rule: "x" has no keyword -> sonnet), not the message's model
    assert result["usage"]["model_used"] == "sonnet"
    assert claude_fake.tokens_used("ignored") == 0


def test_handshake_is_not_authenticated(claude_fake: FakeService) -> None:
    with connect(claude_fake.ws_url, open_timeout=5) as conn:
        send(conn, chat(model="haiku"))
        assert until_final(conn)[-1]["type"] == "done"


def test_messages_are_recorded_with_the_key_redacted(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, {"type": "agentic_task", "api_key": claude_fake.api_key, "description": "x"})
    until_final(ws)
    (rec,) = claude_fake.requests_to("/v1/stream", "WS")
    assert rec.body["api_key"] == "cc_<redacted>"
    assert claude_fake.api_key not in repr(claude_fake.requests)
    assert rec.header("authorization") == "Bearer <redacted>"


# --------------------------------------------------------------------------- faults


def test_drop_stream_after(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.drop_stream_after(2)
    send(ws, chat("a b c d e", model="haiku"))
    got = [frame(ws), frame(ws)]
    assert [f["type"] for f in got] == ["token", "token"]
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1006


def test_error_frame_fault(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.inject(Fault.WS_ERROR_FRAME, after=1, detail="Streaming error: boom")
    send(ws, chat("a b c", model="haiku"))
    assert frame(ws)["type"] == "token"
    assert frame(ws) == {"type": "error", "error": "Streaming error: boom"}
    send(ws, chat("a b c", model="haiku"))
    assert until_final(ws)[-1]["type"] == "done"


def test_silent_server(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.inject(Fault.WS_SILENT, after=1)
    send(ws, chat("a b c", model="haiku"))
    assert frame(ws)["type"] == "token"
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.5)  # the socket stays open and says nothing
    ws.close()


def test_close_1001_mid_stream(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.inject(Fault.WS_CLOSE_1001, after=2)
    send(ws, chat("a b c d", model="haiku"))
    frame(ws), frame(ws)
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert (ws.close_code, ws.close_reason) == (1001, "Server shutting down")


def test_done_without_tokens_defect(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.inject(Fault.WS_NO_TOKENS)
    send(ws, chat("a b c", model="haiku"))
    f = frame(ws)
    assert f["type"] == "done" and f["usage"]["output_tokens"] == 4


def test_refused_upgrade(claude_fake: FakeService) -> None:
    claude_fake.inject(Fault.WS_REFUSE, status=503, retry_after=2)
    with pytest.raises(InvalidStatus) as info, connect(claude_fake.ws_url, open_timeout=5):
        pass
    response = info.value.response
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert json.loads(response.body)["detail"]
    with connect(claude_fake.ws_url, open_timeout=5):  # only once
        pass


def test_long_answers_for_benchmarks(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.set_answer_words(2000)
    send(ws, chat("one two", model="haiku"))
    frames = until_final(ws)
    assert len(frames) == 2001
    assert frames[-1]["usage"]["output_tokens"] == 2000
    assert "".join(f["content"] for f in frames[:-1]) == claude_fake.expected_answer("one two")


def test_token_delay_and_latency(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.latency(0.2)
    claude_fake.set_token_delay(0.05)
    started = time.monotonic()
    send(ws, chat("a b c d", model="haiku"))  # 5 frames -> 4 gaps
    first = frame(ws)
    first_at = time.monotonic() - started
    until_final(ws)
    total = time.monotonic() - started
    assert first["type"] == "token" and 0.18 < first_at < 1.0
    assert total >= first_at + 0.18


def test_streamed_chat_over_the_cli_limit_is_a_streaming_error(
    claude_fake: FakeService, ws: ClientConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service's limit is 30 s ("Request timed out after 30 seconds"); shortened here.
    from claude_client.testing import _app

    monkeypatch.setattr(_app, "STREAM_RUN_TIMEOUT", 0.3)
    claude_fake.latency(5)
    started = time.monotonic()
    send(ws, chat(model="haiku"))
    assert frame(ws) == {
        "type": "error",
        "error": "Streaming error: Request timed out after 0.3 seconds",
    }
    assert time.monotonic() - started < 2


def test_shutdown_closes_open_sockets_with_1001() -> None:
    from claude_client.testing import serve

    with contextlib.ExitStack() as stack:
        with serve() as fake:
            conn = stack.enter_context(connect(fake.ws_url, open_timeout=5))
            fake.set_token_delay(0.2)
            send(conn, chat("a b c d e f g h", model="haiku"))
            assert frame(conn)["type"] == "token"
            idle = stack.enter_context(connect(fake.ws_url, open_timeout=5))
        _check_closed_1001(conn, idle)


def _check_closed_1001(conn: ClientConnection, idle: ClientConnection) -> None:
    with pytest.raises(ConnectionClosed):
        while True:
            conn.recv(timeout=5)
    assert (conn.close_code, conn.close_reason) == (1001, "Server shutting down")
    with pytest.raises(ConnectionClosed):
        idle.recv(timeout=5)
    assert idle.close_code == 1001


def test_invalid_json_frames_are_recorded_too(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, "not json " + claude_fake.api_key)
    assert frame(ws)["error"] == "Invalid JSON format"
    (rec,) = claude_fake.requests_to("/v1/stream")
    assert rec.body == "not json cc_<redacted>" and rec.key_found_in == ("body",)


def test_deeply_nested_frame_is_a_server_error_then_1006(ws: ClientConnection) -> None:
    send(ws, "[" * 100_000 + "]" * 100_000)
    assert frame(ws)["error"].startswith("Server error: ")
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1006
