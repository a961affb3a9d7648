"""The API key never reaches a log record, a repr, or an exception text."""

from __future__ import annotations

import dataclasses
import logging
import traceback

import pytest
from stream_testkit import API_KEY, Driver, ScriptedServer, chat_script, task_result_body

from claude_client import AuthenticationError
from claude_client._config import KeyRing
from claude_client._streaming import (
    AsyncChatStream,
    AsyncTaskStream,
    ChatStream,
    StreamSettings,
    TaskStream,
    _core,
)


def _all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


def _exception_text(exc: BaseException) -> str:
    return "\n".join(
        [str(exc), repr(exc), *traceback.format_exception(type(exc), exc, exc.__traceback__)]
    )


@pytest.fixture
def debug_everything(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # root: websockets' own loggers included
    caplog.set_level(logging.DEBUG, logger="claude_client")
    caplog.set_level(logging.DEBUG, logger="claude_client.websockets")
    caplog.set_level(logging.DEBUG, logger="websockets")
    return caplog


def test_chat_debug_logs_never_hold_the_key(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    debug_everything: pytest.LogCaptureFixture,
) -> None:
    server.refuse = [503]
    out = drive.chat(settings)
    assert out.error is None
    text = _all_log_text(debug_everything)
    assert API_KEY not in text
    assert "Bearer" not in text
    # ... and the log says something useful: connecting, retrying, frames, close code.
    ours = [r.getMessage() for r in debug_everything.records if r.name == "claude_client"]
    assert any("connecting to ws://127.0.0.1" in m for m in ours)
    assert any("retry 1" in m for m in ours)
    assert any("finished after 6 frames" in m for m in ours)
    assert any("close code 1000" in m for m in ours)


def test_task_debug_logs_never_hold_the_key(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    debug_everything: pytest.LogCaptureFixture,
) -> None:
    server.script = [
        ("frame", {"type": "thinking", "content": "Starting task execution..."}),
        ("frame", task_result_body()),
    ]
    out = drive.task(settings)
    assert out.error is None
    assert server.requests[0]["api_key"] == API_KEY  # it was sent, as the protocol requires
    text = _all_log_text(debug_everything)
    assert API_KEY not in text
    assert "agentic task" in text


@pytest.mark.parametrize(
    "script",
    [
        [("token", "a"), ("drop",)],
        [("frame", {"type": "error", "error": "Permission denied: no"})],
        [("frame", {"type": "thinking", "content": "..."}), ("silent",)],
        [("raw", "not json")],
    ],
    ids=["drop", "error-frame", "idle-timeout", "bad-frame"],
)
def test_failures_keep_the_key_out_of_logs_and_exceptions(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    debug_everything: pytest.LogCaptureFixture,
    script: list[tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_core, "TASK_IDLE_GRACE", 0.1)  # idle limit: the task's 1 s + 0.1 s
    server.script = script
    quick = StreamSettings(**{**settings.__dict__, "timeout": 0.5})  # the stream's deadline
    out = drive.task(quick, timeout=1)
    assert out.error is not None
    assert API_KEY not in _exception_text(out.error)
    assert API_KEY not in _all_log_text(debug_everything)
    assert API_KEY not in repr(out.stream) and API_KEY not in str(out.stream)


def test_refused_upgrade_error_has_no_key(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    debug_everything: pytest.LogCaptureFixture,
) -> None:
    server.refuse = [401] * 3
    out = drive.chat(settings)
    assert out.error is not None and out.error.status_code == 401
    assert API_KEY not in _exception_text(out.error)
    assert API_KEY not in _all_log_text(debug_everything)


def test_reprs_hide_the_key(settings: StreamSettings, server: ScriptedServer) -> None:
    assert settings.api_key == API_KEY
    extra, _ = settings.handshake_headers()
    assert extra["Authorization"] == f"Bearer {API_KEY}"
    assert "Authorization" not in settings.headers  # the key lives in settings.keys only
    assert API_KEY not in repr(extra) and API_KEY not in repr(dict(extra))
    for obj in (
        settings,
        ChatStream(settings, messages=[{"role": "user", "content": "x"}]),
        AsyncChatStream(settings, messages=[{"role": "user", "content": "x"}]),
        TaskStream(settings, description="x"),
        AsyncTaskStream(settings, description="x"),
    ):
        assert API_KEY not in repr(obj)
        assert API_KEY not in str(obj)
    assert "ws://127.0.0.1" in repr(settings)


def test_finished_stream_repr(server: ScriptedServer, settings: StreamSettings) -> None:
    server.script = chat_script(["x"])
    stream = ChatStream(settings, messages=[{"role": "user", "content": "x"}])
    list(stream)
    assert "finished" in repr(stream) and "2 frames" in repr(stream)
    assert API_KEY not in repr(stream)


def test_a_key_provider_is_asked_for_each_connection(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    keys = iter(["cc_" + f"k{n}" * 20 for n in range(1, 10)])
    asked: list[str] = []

    def provider() -> str:
        asked.append(next(keys))
        return asked[-1]

    rotating = dataclasses.replace(settings, keys=KeyRing(provider, default_project=None))
    server.refuse = [503]  # the first upgrade is refused: the retry connects again
    out = drive.chat(rotating)
    assert out.error is None
    # One key per connection (the refused upgrade's, then the retry's): asked again.
    assert len(asked) == 2
    assert server.connections[-1].headers.get("Authorization") == f"Bearer {asked[-1]}"
    server.reset()
    server.script = [("frame", task_result_body())]
    out = drive.task(rotating)
    assert out.error is None and server.requests[0]["api_key"] == asked[-1]


def test_a_failing_key_provider_is_an_authentication_error(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    def provider() -> str:
        raise OSError("vault unreachable")

    broken = dataclasses.replace(settings, keys=KeyRing(provider, default_project=None))
    out = drive.chat(broken)
    assert isinstance(out.error, AuthenticationError), repr(out.error)
    assert "api_key" in str(out.error) and isinstance(out.error.__cause__, OSError)
