"""Agentic task streams: thinking, then the typed result; errors; sync and asyncio."""

from __future__ import annotations

import time
from typing import Any

import pytest
from stream_testkit import API_KEY, Driver, ScriptedServer, task_result_body

from claude_client import TaskResult
from claude_client._exceptions import (
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    InvalidInputError,
    PermissionError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
    TimeoutError,
)
from claude_client._streaming import StreamSettings, ThinkingEvent, _core

THINKING = ("frame", {"type": "thinking", "content": "Starting task execution..."})


def test_thinking_then_result(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [THINKING, ("frame", task_result_body())]
    out = drive.task(settings)
    assert out.error is None
    assert len(out.items) == 2
    event = out.items[0]
    assert isinstance(event, ThinkingEvent)
    assert event == {"type": "thinking", "content": "Starting task execution..."}
    assert event["type"] == event.type == "thinking"
    assert event.content == "Starting task execution..."
    result = out.items[1]
    assert isinstance(result, TaskResult)  # the type `agentic_task` returns
    assert result.status == "completed"
    assert result.summary == "3 files"
    assert result.usage.total_cost == 0.01
    assert result["status"] == "completed"
    assert result["result"]["summary"] == "3 files"
    assert "type" not in result
    assert out.stream.result is result
    assert out.stream.finished


def test_request_carries_the_key_and_the_task_fields(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [THINKING, ("frame", task_result_body())]
    drive.task(
        settings,
        description="List files",
        allow_tools=["Read", "Bash"],
        allow_agents=["explorer"],
        allow_skills=["summarise"],
        timeout=60,
        max_cost=0.1,
    )
    assert server.requests == [
        {
            "type": "agentic_task",
            "api_key": API_KEY,
            "description": "List files",
            "allow_tools": ["Read", "Bash"],
            "allow_agents": ["explorer"],
            "allow_skills": ["summarise"],
            "timeout": 60,
            "max_cost": 0.1,
        }
    ]


def test_parse_result_hook_types_the_result(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    class Typed(dict[str, Any]):
        pass

    seen: list[dict[str, Any]] = []

    def parse(body: dict[str, Any]) -> Typed:
        seen.append(body)
        return Typed(body)

    server.script = [THINKING, ("frame", task_result_body())]
    out = drive.task(settings, parse_result=parse)
    assert isinstance(out.items[-1], Typed)
    assert seen[0]["status"] == "completed"


@pytest.mark.parametrize(
    ("status", "result", "expected"),
    [
        ("failed", {"error": "Tool crashed"}, TaskFailedError),
        ("failed", {"error": "Insufficient budget"}, BudgetExceededError),
        ("timeout", {"error": "Task exceeded timeout of 60s"}, TimeoutError),
        (
            "cost_exceeded",
            {"error": "Cost $2 exceeded limit $1", "output": "part"},
            BudgetExceededError,
        ),
    ],
)
def test_a_task_that_did_not_complete_raises_with_the_result(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    status: str,
    result: dict[str, Any],
    expected: type[ClaudeAPIError],
) -> None:
    body = task_result_body(status, result=result)
    server.script = [THINKING, ("frame", body)]
    out = drive.task(settings)
    assert type(out.error) is expected
    assert out.error.message == result["error"]
    assert out.error.task_result["status"] == status
    assert out.stream.result["status"] == status
    assert len(out.items) == 1 and isinstance(out.items[0], ThinkingEvent)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Permission denied: Tool 'Bash' is not in allowed list", PermissionError),
        ("api_key required for agentic tasks", AuthenticationError),
        ("Task execution error: Unknown agents requested: x", ServerError),
    ],
)
def test_error_frames(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    message: str,
    expected: type[ClaudeAPIError],
) -> None:
    server.script = [("frame", {"type": "error", "error": message})]
    out = drive.task(settings)
    assert type(out.error) is expected
    assert out.error.message == message


def test_wrong_shape_server_error_then_drop(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [
        ("frame", {"type": "error", "error": "Server error: 'description'"}),
        ("drop",),
    ]
    out = drive.task(settings)
    assert type(out.error) is ServerError


def test_drop_after_thinking_is_an_interruption(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [THINKING, ("drop",)]
    out = drive.task(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert [type(i) for i in out.items] == [ThinkingEvent]
    assert out.items[0].content == "Starting task execution..."


def test_shutdown_after_thinking_is_an_interruption(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [THINKING, ("close", 1001, "Server shutting down")]
    out = drive.task(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert "Server shutting down" in str(out.error)


def test_quiet_task_run_is_allowed_its_own_timeout(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    # idle_timeout 0.2 s, but the service is silent while the task runs (0.5 s here):
    # a task stream waits up to the task's own timeout (plus grace) between frames.
    quick = StreamSettings(**{**settings.__dict__, "idle_timeout": 0.2})
    server.script = [THINKING, ("sleep", 0.5), ("frame", task_result_body())]
    out = drive.task(quick, timeout=1)
    assert out.error is None
    assert out.items[-1]["status"] == "completed"


def test_the_stream_timeout_bounds_a_task(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The settings' timeout is the caller's deadline (the task's own timeout, sent
    # in the message, was derived from it, smaller): a silent task ends there.
    monkeypatch.setattr(_core, "TASK_IDLE_GRACE", 0.2)
    quick = StreamSettings(**{**settings.__dict__, "timeout": 0.3, "idle_timeout": 5.0})
    server.script = [THINKING, ("silent",)]
    started = time.monotonic()
    out = drive.task(quick, timeout=1)
    elapsed = time.monotonic() - started
    assert type(out.error) is TimeoutError
    assert "within its timeout of 0.3 s" in str(out.error)
    assert elapsed < 3


def test_a_task_may_be_silent_longer_than_the_idle_timeout(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The service says nothing while a task runs: the idle timeout stretches to the
    # task's own timeout (+ grace), within the stream's deadline.
    monkeypatch.setattr(_core, "TASK_IDLE_GRACE", 0.5)
    quick = StreamSettings(**{**settings.__dict__, "timeout": 5.0, "idle_timeout": 0.2})
    server.script = [THINKING, ("sleep", 0.6), ("frame", task_result_body())]
    out = drive.task(quick, timeout=1)
    assert out.error is None
    assert out.items[-1].status == "completed"


def test_the_socket_closes_as_soon_as_the_result_arrives(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    from claude_client._streaming import TaskStream

    server.script = [THINKING, ("frame", task_result_body())]
    stream = TaskStream(settings, description="x")
    items = [next(stream), next(stream)]  # the caller stops right after the result
    assert items[-1]["status"] == "completed"
    assert server.wait_all_ended(2.0)
    assert server.connections[0].close_code == 1000
    stream.close()


def test_no_key_no_task(server: ScriptedServer) -> None:
    from claude_client._streaming import AsyncTaskStream, TaskStream

    keyless = StreamSettings(ws_url=server.url)
    with pytest.raises(AuthenticationError):
        TaskStream(keyless, description="x")
    with pytest.raises(AuthenticationError):
        AsyncTaskStream(keyless, description="x")
    assert server.upgrade_attempts == 0


def test_a_malformed_result_frame_is_a_response_validation_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [THINKING, ("frame", {"type": "result", "status": "completed"})]
    out = drive.task(settings)
    assert type(out.error) is ResponseValidationError


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [({"description": ""}, "description"), ({"description": "   "}, "description")],
)
def test_bad_task_input_is_caught_before_connecting(
    server: ScriptedServer, settings: StreamSettings, kwargs: dict[str, Any], param: str
) -> None:
    from claude_client._streaming import AsyncTaskStream, TaskStream

    for cls in (TaskStream, AsyncTaskStream):
        with pytest.raises(InvalidInputError) as info:
            cls(settings, **kwargs)
        assert info.value.param == param
    assert server.upgrade_attempts == 0
