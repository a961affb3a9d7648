"""The API key never shows: not in logs (DEBUG), reprs, exception messages or request bodies."""

from __future__ import annotations

import logging
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import CHAT_BODY, KEY, KEY_B, TASK_BODY, Runner


def _all_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for rec in caplog.records:
        parts.append(rec.getMessage())
        parts.append(repr(rec.args))
        parts.append(repr(rec.__dict__))
    return "\n".join(parts)


async def test_key_absent_from_debug_logs_reprs_and_errors(
    runner: Runner, mock: MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.post("/v1/chat/completions").mock(
        side_effect=[
            httpx2.Response(503, json={"detail": "busy"}, headers={"Retry-After": "1"}),
            httpx2.Response(200, json=CHAT_BODY),
            httpx2.Response(401, json={"detail": "Invalid or revoked API key"}),
            httpx2.ConnectError("refused"),
            httpx2.ConnectError("refused"),
            httpx2.ConnectError("refused"),
        ]
    )
    mock.post("/v1/task").mock(
        return_value=httpx2.Response(200, json={**TASK_BODY, "status": "failed", "result": {}})
    )
    client = runner.client(api_key={"a": KEY, "b": KEY_B}, project_id="a")
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        await runner.call(client, "complete", "Hi")
        for method, args in (("complete", ("Hi",)), ("complete", ("Hi",))):
            try:
                await runner.call(client, method, *args, project_id="b")
            except cc.ClaudeAPIError as exc:
                errors.append(exc)
        try:
            await runner.call(client, "agentic_task", "x", project_id="b")
        except cc.ClaudeAPIError as exc:
            errors.append(exc)
    assert len(errors) == 3
    text = _all_text(caplog)
    assert "Retrying POST /v1/chat/completions" in text  # logging did happen
    assert "/v1/chat/completions -> 200" in text
    for secret in (KEY, KEY_B, KEY[3:]):
        assert secret not in text
        assert secret not in repr(client) and secret not in str(client)
        assert secret not in repr(client.generated)
        assert secret not in repr(client._http) and secret not in repr(client._keys)
        for exc in errors:
            assert secret not in str(exc) and secret not in repr(exc)
            assert secret not in repr(exc.__dict__)
    # the task body never carries the key (the generated model's api_key field stays "default")
    for call in mock.calls:
        assert KEY not in call.request.content.decode()
        assert KEY_B not in call.request.content.decode()


def test_claude_log_env_enables_stderr_logging(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    code = (
        "import httpx2, claude_client as cc\n"
        "def h(req): return httpx2.Response(200, json={'ready': True})\n"
        f"c = cc.ClaudeClient('http://x', api_key='{KEY}', transport=httpx2.MockTransport(h))\n"
        "c.ready(); c.close()\n"
    )
    env = {"CLAUDE_LOG": "debug", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "GET /ready -> 200" in out.stderr
    assert KEY not in out.stderr and KEY not in out.stdout


def test_keyring_repr_and_default_headers_hide_keys() -> None:
    client = cc.ClaudeClient("http://x", api_key={"a": KEY, "b": KEY_B}, project_id="b")
    try:
        assert "a" in repr(client._keys) and KEY not in repr(client._keys)
        assert "Authorization" not in client.default_headers
        assert client._auth_headers("a")["Authorization"] == f"Bearer {KEY}"
        assert client._auth_headers()["Authorization"] == f"Bearer {KEY_B}"
        headers: Any = client._http.headers
        assert "authorization" not in headers
    finally:
        client.close()
