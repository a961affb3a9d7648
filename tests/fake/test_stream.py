"""The WebSocket /v1/stream of the fake against STREAMING.md, with the websockets client."""

from __future__ import annotations

import contextlib
import json
import threading
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
    text = "".join(f["content"] for f in tokens)
    assert text == claude_fake.expected_answer("Write a short poem") == "Answer: Write a short poem"
    # 26 characters: cut into pieces of 26 // 20 = 1 character.
    assert all(f["type"] == "token" for f in tokens) and len(tokens) == 26
    assert [f["content"] for f in tokens] == stream_chunks(text) == list(text)
    assert done == {
        "type": "done",
        "model": "haiku",
        "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10},
        "cost": pytest.approx((5 * 0.25 + 5 * 1.25) / 1e6),
    }
    assert claude_fake.tokens_used("my-app") == 10  # billed to the message's project


def test_same_answer_as_rest(claude_fake: FakeService, ws: ClientConnection) -> None:
    import httpx2

    prompt = "Explain   recursion briefly"
    send(ws, chat(prompt, model="sonnet"))
    frames = until_final(ws)
    rest = httpx2.post(
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
        ({"type": "chat", "messages": None}, "No messages provided"),
        ({"type": "chat"}, "No messages provided"),
        (chat(model="auto"), "Invalid model: auto. Must be haiku, sonnet, or opus"),
        (chat(model=None), "Invalid model: None. Must be haiku, sonnet, or opus"),
        (chat(model="gpt-4"), "Invalid model: gpt-4. Must be haiku, sonnet, or opus"),
        (
            chat(model="claude-3-5-haiku-20241022"),
            "Invalid model: claude-3-5-haiku-20241022. Must be haiku, sonnet, or opus",
        ),
        ("not json", "Invalid JSON format"),
        ({"type": "poem"}, "Unknown message type: poem"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "Unknown message type: None"),
        ({"type": "agentic_task", "description": "x"}, "api_key required for agentic tasks"),
        (
            {"type": "agentic_task", "api_key": "", "description": "x"},
            "api_key required for agentic tasks",
        ),
        (chat("please [fail]", model="haiku"), "Streaming error: Claude CLI exited with code 1"),
        (chat("[fail:overloaded]"), "Streaming error: Claude CLI exited with code 1"),
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
    assert claude_fake.tokens_used("capped") == 0  # the model never ran


@pytest.mark.parametrize(("used", "refused"), [(995, True), (993, True), (992, False)])
def test_budget_pre_check_is_usage_plus_twice_the_prompt_words(
    claude_fake: FakeService, ws: ClientConnection, used: int, refused: bool
) -> None:
    # BEHAVIOUR.md §5.5: "user: a b c" = 4 words -> estimate 8; usage + 8 > 1000 refuses
    # (equal passes), although usage is below the limit.
    claude_fake.set_budget("capped", 1000)
    claude_fake.add_usage("capped", "haiku", used)
    send(ws, chat("a b c", model="haiku", project_id="capped"))
    final = until_final(ws)[-1]
    if refused:
        assert final == {"type": "error", "error": "Budget exceeded for project capped"}
    else:
        assert final["type"] == "done"
        assert claude_fake.tokens_used("capped") == used + final["usage"]["total_tokens"]


def test_project_defaults_to_default(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.set_budget("default", 0)
    send(ws, chat(model="haiku"))
    assert frame(ws) == {"type": "error", "error": "Budget exceeded for project default"}


def test_null_project_streams_then_a_streaming_error_and_no_usage(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, chat("a b c", model="haiku", project_id=None))
    frames = until_final(ws)
    assert frames[-1]["type"] == "done"
    assert "".join(f["content"] for f in frames[:-1]) == claude_fake.expected_answer("a b c")
    extra = frame(ws)
    assert extra["type"] == "error" and extra["error"].startswith("Streaming error: ")
    assert claude_fake.usage_records("default") == []
    send(ws, chat("again", model="haiku"))  # the socket stays usable
    assert until_final(ws)[-1]["type"] == "done"


def test_list_content_is_flattened_as_its_python_text(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    content = [{"type": "text", "text": "hi there"}]
    prompt = "user: [{'type': 'text', 'text': 'hi there'}]"  # 6 words -> estimate 12
    claude_fake.set_budget("capped", 11)
    message = {"type": "chat", "model": "haiku", "project_id": "capped"}
    send(ws, {**message, "messages": [{"role": "user", "content": content}]})
    assert frame(ws) == {"type": "error", "error": "Budget exceeded for project capped"}
    claude_fake.set_budget("capped", 12)
    send(ws, {**message, "messages": [{"content": content}]})  # role defaults to "user"
    done = until_final(ws)[-1]
    assert done["type"] == "done" and done["usage"]["input_tokens"] == len(prompt.split())


@pytest.mark.parametrize(
    ("length", "frames"), [(0, 0), (5, 5), (19, 19), (20, 20), (39, 39), (40, 20), (100, 20)]
)
def test_the_service_cuts_an_answer_into_20_to_39_pieces(length: int, frames: int) -> None:
    answer = "".join(chr(ord("a") + i % 26) for i in range(length))
    pieces = stream_chunks(answer)
    assert len(pieces) == frames and "".join(pieces) == answer
    assert all(len(p) == max(1, length // 20) for p in pieces[:-1])


@pytest.mark.parametrize(("length", "frames"), [(19, 19), (20, 20), (41, 21), (100, 20)])
def test_token_frames_over_the_socket(
    claude_fake: FakeService, ws: ClientConnection, length: int, frames: int
) -> None:
    prompt = "x" * (length - len("Answer: "))
    answer = claude_fake.expected_answer(prompt)
    assert len(answer) == length
    send(ws, chat(prompt, model="haiku"))
    got = until_final(ws)
    assert [f["content"] for f in got[:-1]] == stream_chunks(answer)
    assert len(got) - 1 == frames and got[-1]["type"] == "done"


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (b"\x00\x01", "Server error: 'text'"),
        ("[1, 2]", "Server error: 'list' object has no attribute 'get'"),
        ('"text"', "Server error: 'str' object has no attribute 'get'"),
        ("42", "Server error: 'int' object has no attribute 'get'"),
        ("null", "Server error: 'NoneType' object has no attribute 'get'"),
    ],
)
def test_binary_or_non_object_frame_is_server_error_then_1006(
    ws: ClientConnection, bad: str | bytes, error: str
) -> None:
    send(ws, bad)
    assert frame(ws) == {"type": "error", "error": error}
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is None  # no close frame: 1006
    assert ws.close_code == 1006


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        (["hi"], "'str' object has no attribute 'get'"),
        ({"role": "user"}, "'str' object has no attribute 'get'"),
        (7, "'int' object is not iterable"),
    ],
)
def test_wrong_shaped_chat_is_server_error_then_1006(
    ws: ClientConnection, messages: Any, error: str
) -> None:
    send(ws, {"type": "chat", "model": "haiku", "messages": messages})
    assert frame(ws) == {"type": "error", "error": f"Server error: {error}"}
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
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
    no_profile = claude_fake.add_key(profile=None)
    send(ws, {"type": "agentic_task", "api_key": no_profile, "description": "x"})
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: No permission profile found for API key",
    }
    send(ws, chat(model="haiku"))  # the socket stays usable
    assert until_final(ws)[-1]["type"] == "done"


def task(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "agentic_task", "api_key": key, **fields}


@pytest.mark.parametrize(
    ("profile", "fields", "reason"),
    [
        ("pro", {"max_cost": 5}, "Requested max cost ($5) exceeds limit ($1.0)"),
        ("pro", {"max_cost": 5.0}, "Requested max cost ($5.0) exceeds limit ($1.0)"),
        (
            "free",
            {"timeout": 61.0, "max_cost": 0.1},
            "Requested timeout (61.0s) exceeds limit (60s)",
        ),
        (
            "free",
            {"timeout": 60, "max_cost": 0.2},
            "Requested max cost ($0.2) exceeds limit ($0.1)",
        ),
        ("pro", {"allow_tools": ["Read", "Write"]}, "Tool 'Write' is explicitly blocked"),
        ("pro", {"allow_tools": ["Task"]}, "Tool 'Task' is not in allowed list"),
        (
            "free",
            {"allow_agents": ["code-reviewer"]},
            "Agent 'code-reviewer' is not in allowed list",
        ),
        # The check sees raw values: a string is iterated character by character.
        ("pro", {"allow_tools": "Bash"}, "Tool 'B' is not in allowed list"),
    ],
)
def test_agentic_task_profile_check_on_the_raw_values(
    claude_fake: FakeService, ws: ClientConnection, profile: str, fields: Any, reason: str
) -> None:
    key = claude_fake.add_key(profile=profile)
    send(ws, task(key, description="x", **fields))
    assert frame(ws) == {"type": "error", "error": f"Permission denied: {reason}"}


def test_agentic_task_profile_check_comes_before_field_validation(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    # No description (a validation failure) but a profile refusal: the refusal wins.
    send(ws, task(claude_fake.free_key))
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: Requested timeout (300s) exceeds limit (60s)",
    }
    send(ws, chat(model="haiku"))
    assert until_final(ws)[-1]["type"] == "done"


@pytest.mark.parametrize(
    ("profile", "fields", "error"),
    [
        ("pro", {"description": "x", "allow_tools": None}, "'NoneType' object is not iterable"),
        ("enterprise", {"description": "x", "timeout": "300"}, "'>' not supported"),
        ("enterprise", {"description": ["x"]}, "1 validation error for AgenticTaskRequest"),
        ("enterprise", {"description": "x", "timeout": 1.5}, "validation error"),
    ],
)
def test_agentic_task_of_the_wrong_shape_is_server_error_then_1006(
    claude_fake: FakeService, ws: ClientConnection, profile: str, fields: Any, error: str
) -> None:
    send(ws, task(claude_fake.add_key(profile=profile), **fields))
    got = frame(ws)
    assert got["type"] == "error" and got["error"].startswith("Server error: ")
    assert error in got["error"]
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1006


def test_a_revoked_key_with_a_profile_runs_its_task(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    key = claude_fake.add_key(profile="enterprise", project_id="elsewhere")
    claude_fake.revoke_key(key)
    send(ws, task(key, description="Count files", timeout=60))
    assert frame(ws) == {"type": "thinking", "content": "Starting task execution..."}
    result = frame(ws)
    assert (result["type"], result["status"]) == ("result", "completed")
    # Billed to "default" (the socket's task project), not to the key's project.
    assert claude_fake.tokens_used("default") == result["usage"]["total_tokens"] > 0
    assert claude_fake.tokens_used("elsewhere") == 0


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


@pytest.mark.parametrize(
    ("fields", "model"),
    [
        ({"description": "list the files"}, "haiku"),  # short, a simple keyword
        ({"description": "list the files", "allow_agents": ["code-reviewer"]}, "sonnet"),
    ],
)
def test_agentic_task_model_follows_the_task_rule(
    claude_fake: FakeService, ws: ClientConnection, fields: Any, model: str
) -> None:
    send(ws, task(claude_fake.api_key, model="opus", **fields))
    frame(ws)
    assert frame(ws)["usage"]["model_used"] == model


def test_agentic_task_run_is_killed_at_the_messages_timeout(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    claude_fake.latency(1.5)
    send(ws, task(claude_fake.api_key, description="x", timeout=1))
    assert frame(ws)["type"] == "thinking"
    assert frame(ws) == {
        "type": "error",
        "error": "Task execution error: object of type 'NoneType' has no len()",
    }
    stats = claude_fake.pool_stats()
    assert (stats.runs_started, stats.runs_completed) == (1, 1)  # it went through the pool
    send(ws, chat(model="haiku"))  # the socket stays usable
    assert until_final(ws)[-1]["type"] == "done"


@pytest.fixture
def full_pool(claude_fake: FakeService) -> Iterator[None]:
    """One worker busy and its queue of 10 full (a batch of 11 one-second runs)."""
    import httpx2

    claude_fake.set_max_workers(1)
    claude_fake.latency(1.0)
    prompts = [{"prompt": f"filler {i}"} for i in range(11)]

    def batch() -> None:
        with contextlib.suppress(httpx2.HTTPError):
            httpx2.post(
                f"{claude_fake.base_url}/v1/batch",
                json={"prompts": prompts, "model": "haiku"},
                headers=claude_fake.auth_headers(),
                timeout=30,
            )

    thread = threading.Thread(target=batch, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while (claude_fake.pool_stats().active_workers, claude_fake.pool_stats().queued_tasks) != (
        1,
        10,
    ):
        assert time.monotonic() < deadline, claude_fake.pool_stats()
        time.sleep(0.005)
    yield
    claude_fake.reset()  # ends every run: the batch answers and its thread ends
    thread.join(10)


def test_agentic_task_refused_by_a_full_pool_is_a_failed_result(
    claude_fake: FakeService, ws: ClientConnection, full_pool: None
) -> None:
    send(ws, task(claude_fake.api_key, description="x", timeout=60))
    assert frame(ws) == {"type": "thinking", "content": "Starting task execution..."}
    assert frame(ws) == {
        "type": "result",
        "status": "failed",
        "result": {
            "error": "Worker pool overloaded: 1 active workers, 10 queued tasks. Try again later."
        },
        "execution_log": [],
        "artifacts": [],
        "usage": None,  # the service's {} becomes null on the socket
    }
    assert claude_fake.pool_stats().refused == 1


def test_socket_chat_runs_outside_the_worker_pool(
    claude_fake: FakeService, ws: ClientConnection, full_pool: None
) -> None:
    before = claude_fake.pool_stats()
    send(ws, chat("outside", model="haiku"))
    frames = until_final(ws)
    assert frames[-1]["type"] == "done"  # neither refused nor queued behind the pool
    after = claude_fake.pool_stats()
    assert after.refused == before.refused == 0
    assert claude_fake.prompt_runs()["user: outside"] == 0  # not a pool run


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
    answer = claude_fake.expected_answer("one two")
    assert 20 <= len(frames) - 1 <= 39  # however long the answer, 20 to 39 token frames
    assert frames[-1]["usage"]["output_tokens"] == 2000
    assert "".join(f["content"] for f in frames[:-1]) == answer


def test_default_pause_between_frames_is_the_services_10_ms(claude_fake: FakeService) -> None:
    from claude_client.testing._state import STREAM_TOKEN_DELAY

    assert STREAM_TOKEN_DELAY == 0.01
    assert claude_fake._stream_settings()[0] == STREAM_TOKEN_DELAY  # after reset() too


def test_token_delay_and_latency(claude_fake: FakeService, ws: ClientConnection) -> None:
    claude_fake.latency(0.2)
    claude_fake.set_token_delay(0.05)
    started = time.monotonic()
    send(ws, chat("a b c d", model="haiku"))  # 15 characters: 15 tokens, 15 pauses
    first = frame(ws)
    first_at = time.monotonic() - started
    until_final(ws)
    total = time.monotonic() - started
    assert first["type"] == "token" and 0.18 < first_at < 2.0
    assert total >= first_at + 14 * 0.05


def test_a_slow_socket_chat_is_silent_until_its_run_ends_then_streams(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    # The service's 30-second limit applies only once the CLI has closed its output: a long
    # run is no error, just silence (a client needs its own idle timeout).
    claude_fake.latency(0.8)
    send(ws, chat(model="haiku"))
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.3)
    frames = until_final(ws)
    assert frames[0]["type"] == "token" and frames[-1]["type"] == "done"


def test_shutdown_closes_open_sockets_with_1012() -> None:
    from claude_client.testing import serve

    with contextlib.ExitStack() as stack:
        with serve() as fake:
            conn = stack.enter_context(connect(fake.ws_url, open_timeout=5))
            fake.set_token_delay(0.2)
            send(conn, chat("a b c d e f g h", model="haiku"))
            assert frame(conn)["type"] == "token"
            idle = stack.enter_context(connect(fake.ws_url, open_timeout=5))
        _check_closed_1012(conn, idle)


def _check_closed_1012(conn: ClientConnection, idle: ClientConnection) -> None:
    with pytest.raises(ConnectionClosed):
        while True:
            conn.recv(timeout=5)  # in the middle of the answer
    assert conn.close_code == 1012
    with pytest.raises(ConnectionClosed):
        idle.recv(timeout=5)
    assert idle.close_code == 1012


# --------------------------------------------------------------------------- the stall


def _recorded_chat(fake: FakeService, n: int = 1) -> float:
    """Wait until the server has read ``n`` socket messages; the time it read the last."""
    deadline = time.monotonic() + 5
    while len(fake.requests_to("/v1/stream", "WS")) < n:
        assert time.monotonic() < deadline, "the socket message never arrived"
        time.sleep(0.002)
    return fake.requests_to("/v1/stream", "WS")[n - 1].time


def test_a_socket_chat_run_stalls_http_requests(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    import httpx2

    run = 0.6
    claude_fake.latency(run)
    send(ws, chat(model="haiku"))
    read_at = _recorded_chat(claude_fake)
    health = httpx2.get(f"{claude_fake.base_url}/health", timeout=10)
    answered_at = time.time()
    assert health.status_code == 200
    # The run starts after the message is read and lasts `run`: /health cannot answer sooner.
    assert answered_at - read_at >= run * 0.95
    assert until_final(ws)[-1]["type"] == "done"


def test_socket_chats_run_one_at_a_time(claude_fake: FakeService, ws: ClientConnection) -> None:
    run = 0.4
    claude_fake.latency(run)
    claude_fake.set_token_delay(0)
    with connect(claude_fake.ws_url, open_timeout=5) as other:
        send(ws, chat("first", model="haiku"))
        read_at = _recorded_chat(claude_fake)
        send(other, chat("second", model="haiku"))
        assert until_final(other)[-1]["type"] == "done"
        assert time.time() - read_at >= 2 * run * 0.95  # waited for the first run, then its own
        assert until_final(ws)[-1]["type"] == "done"


def test_the_stall_can_be_turned_off(claude_fake: FakeService, ws: ClientConnection) -> None:
    import httpx2

    claude_fake.set_stream_stall(False)
    claude_fake.latency(2.0)
    send(ws, chat(model="haiku"))
    _recorded_chat(claude_fake)
    assert httpx2.get(f"{claude_fake.base_url}/health", timeout=10).status_code == 200
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0)  # /health answered while the socket chat's model still ran
    assert until_final(ws)[-1]["type"] == "done"


def test_stop_during_a_stall_ends_it_and_closes_the_socket_with_1012() -> None:
    import httpx2

    from claude_client.testing import serve

    with contextlib.ExitStack() as stack:
        with serve() as fake:
            fake.latency(30)
            conn = stack.enter_context(connect(fake.ws_url, open_timeout=5))
            send(conn, chat(model="haiku"))
            _recorded_chat(fake)
            waiting: list[BaseException] = []

            def stalled_request() -> None:
                try:
                    httpx2.get(f"{fake.base_url}/health", timeout=20)
                except httpx2.HTTPError as exc:
                    waiting.append(exc)

            thread = threading.Thread(target=stalled_request)
            thread.start()
            started = time.monotonic()
        assert time.monotonic() - started < 15  # stop() did not sit out the 30 s run
        thread.join(20)
        assert not thread.is_alive()
        with pytest.raises(ConnectionClosed):
            conn.recv(timeout=5)
        assert conn.close_code == 1012


def test_reset_turns_the_stall_back_on(claude_fake: FakeService) -> None:
    claude_fake.set_stream_stall(False)
    claude_fake.reset()
    assert claude_fake._stream_settings()[1] is True


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
