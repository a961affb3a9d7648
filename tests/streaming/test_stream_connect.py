"""Opening the socket: handshake headers, retries on the upgrade, model resolution."""

from __future__ import annotations

import socket
from typing import Optional

import pytest
from stream_testkit import API_KEY, Driver, ScriptedServer, SleepRecorder

from claude_client._exceptions import (
    APIConnectionError,
    PermissionError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from claude_client._streaming import StreamSettings


def test_handshake_sends_authorization_and_default_headers(
    drive: Driver, server: ScriptedServer, settings: StreamSettings
) -> None:
    drive.chat(settings)
    (conn,) = server.connections
    assert conn.headers["Authorization"] == f"Bearer {API_KEY}"
    assert conn.headers["X-Client-Name"] == "streaming-tests"
    assert conn.headers.get_all("User-Agent") == ["claude-client-tests/1"]
    assert conn.path == "/v1/stream"
    assert API_KEY not in conn.path
    assert API_KEY not in settings.ws_url


def test_refused_upgrade_is_retried_with_backoff(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.refuse = [503, 502]
    out = drive.chat(settings)
    assert out.error is None
    assert out.text == "Once upon a time."
    assert server.upgrade_attempts == 3
    assert len(sleeps.calls) == 2
    assert 0.375 <= sleeps.calls[0] <= 0.5  # backoff_delay(0): 0.5 s with jitter
    assert 0.75 <= sleeps.calls[1] <= 1.0  # backoff_delay(1)


def test_retry_after_on_the_upgrade_is_honoured(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.refuse = [503]
    server.refuse_headers = {"Retry-After": "2"}
    out = drive.chat(settings)
    assert out.error is None
    assert sleeps.calls == [2.0]


def test_refused_upgrade_surfaces_after_the_last_retry(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.refuse = [503] * 10
    out = drive.chat(settings)
    assert type(out.error) is ServerError
    assert out.error.status_code == 503
    assert "refused with 503" in str(out.error)
    assert out.error.method == "GET" and out.error.url == settings.ws_url
    assert settings.ws_url in str(out.error)
    assert server.upgrade_attempts == 3  # 1 + max_retries
    assert len(sleeps.calls) == 2
    assert server.connections == []


def test_a_retry_that_cannot_fit_the_deadline_is_not_made(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.refuse = [503] * 3
    server.refuse_headers = {"Retry-After": "5"}
    short = settings.with_timeout(2.0)
    out = drive.chat(short)
    assert type(out.error) is ServerError
    assert out.error.retry_after == 5.0
    assert server.upgrade_attempts == 1
    assert sleeps.calls == []


def test_retry_after_beyond_the_cap_gives_up(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.refuse = [429] * 3
    server.refuse_headers = {"Retry-After": "3600"}
    out = drive.chat(settings)
    assert type(out.error) is RateLimitError
    assert server.upgrade_attempts == 1


@pytest.mark.parametrize(("status", "expected"), [(403, PermissionError), (501, ServerError)])
def test_final_statuses_are_not_retried(
    drive: Driver,
    server: ScriptedServer,
    settings: StreamSettings,
    sleeps: SleepRecorder,
    status: int,
    expected: type[Exception],
) -> None:
    server.refuse = [status] * 3
    out = drive.chat(settings)
    assert type(out.error) is expected
    assert server.upgrade_attempts == 1
    assert sleeps.calls == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_connection_refused_is_retried_then_raised(drive: Driver, sleeps: SleepRecorder) -> None:
    settings = StreamSettings(
        ws_url=f"ws://127.0.0.1:{_closed_port()}/v1/stream",
        max_retries=2,
        timeout=5,
        sleep=sleeps,
        async_sleep=sleeps.async_sleep,
    )
    out = drive.chat(settings)
    assert type(out.error) is APIConnectionError
    assert out.error.status_code is None
    assert out.error.url == settings.ws_url and settings.ws_url in str(out.error)
    assert len(sleeps.calls) == 2


def test_nothing_is_retried_once_a_frame_arrived(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    server.script = [("token", "one"), ("drop",)]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert len(server.connections) == 1
    assert server.upgrade_attempts == 1
    assert sleeps.calls == []


def test_a_drop_before_any_frame_is_not_retried_either(
    drive: Driver, server: ScriptedServer, settings: StreamSettings, sleeps: SleepRecorder
) -> None:
    # The request was sent: the service may have started (and billed) it.
    server.script = [("drop",)]
    out = drive.chat(settings)
    assert isinstance(out.error, StreamInterruptedError)
    assert server.upgrade_attempts == 1


def test_model_auto_is_resolved_before_connecting_sync(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    from claude_client._streaming import ChatStream

    calls: list[Optional[float]] = []

    def resolve(timeout: Optional[float]) -> str:
        calls.append(timeout)
        assert server.upgrade_attempts == 0
        return "opus"

    stream = ChatStream(
        settings, messages=[{"role": "user", "content": "x"}], model="auto", resolve_model=resolve
    )
    assert "".join(stream) == "Once upon a time."
    assert server.requests[0]["model"] == "opus"
    assert calls and calls[0] is not None and 0 < calls[0] <= 10


async def test_model_auto_is_resolved_before_connecting_async(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    from claude_client._streaming import AsyncChatStream

    calls: list[Optional[float]] = []

    async def resolve(timeout: Optional[float]) -> str:
        calls.append(timeout)
        return "haiku"

    chunks = [
        c
        async for c in AsyncChatStream(
            settings,
            messages=[{"role": "user", "content": "x"}],
            model="auto",
            resolve_model=resolve,
        )
    ]
    assert "".join(chunks) == "Once upon a time."
    assert server.requests[0]["model"] == "haiku"
    assert len(calls) == 1


def test_an_explicit_model_is_never_resolved(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    from claude_client._streaming import ChatStream

    def resolve(timeout: Optional[float]) -> str:  # pragma: no cover - must not run
        raise AssertionError("resolver called for an explicit model")

    stream = ChatStream(
        settings, messages=[{"role": "user", "content": "x"}], model="haiku", resolve_model=resolve
    )
    assert list(stream)
    assert server.requests[0]["model"] == "haiku"


def test_settings_from_a_real_client_stream_end_to_end(server: ScriptedServer) -> None:
    from claude_client import ClaudeClient
    from claude_client._streaming import ChatStream

    with ClaudeClient(base_url=server.base_url, api_key=API_KEY, timeout=10) as client:
        settings = StreamSettings.for_client(client, project_id=None)
        stream = ChatStream(settings, messages=[{"role": "user", "content": "hi"}], model="haiku")
        assert "".join(stream) == "Once upon a time."
    headers = server.connections[0].headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["User-Agent"] == client._auth_headers()["User-Agent"]
