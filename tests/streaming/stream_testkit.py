"""Test kit for tests/streaming: a scriptable WebSocket server on 127.0.0.1 for the streaming tests.

It is a real ``websockets`` asyncio server running in a background thread. Each
test sets what the next connections do:

* ``server.script``: the frames answering each request, a list of actions or a
  callable ``request -> actions``. Actions: ``("token", text)``, ``("frame", dict)``,
  ``("raw", str | bytes)``, ``("sleep", seconds)``, ``("drop",)`` (TCP reset, no
  close frame: the client sees 1006), ``("close", code, reason)``, ``("silent",)``
  (say nothing until the client leaves).
* ``server.refuse``: HTTP statuses for the next upgrade attempts (consumed one per
  attempt), with ``server.refuse_headers``.

It records the handshake headers, the request path, every request received and
when each connection ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

API_KEY = "cc_test_SECRET_key_0123456789"

Action = tuple[Any, ...]
Script = Union[list[Action], Callable[[dict[str, Any]], list[Action]]]


def chat_script(
    tokens: list[str],
    *,
    usage: Optional[dict[str, int]] = None,
    cost: float = 0.0012,
    model: str = "haiku",
) -> list[Action]:
    """Token frames then a ``done`` frame, as the service answers a chat."""
    done = {
        "type": "done",
        "usage": usage
        or {"input_tokens": 7, "output_tokens": len(tokens), "total_tokens": 7 + len(tokens)},
        "cost": cost,
        "model": model,
    }
    return [("token", t) for t in tokens] + [("frame", done)]


def task_result_body(status: str = "completed", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "result",
        "status": status,
        "result": {"summary": "3 files", "full_output": "a\nb\nc", "workspace_directory": "/tmp/w"},
        "execution_log": [{"step": 1, "action": "Bash", "output": "3"}],
        "artifacts": [],
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "total_tokens": 15,
            "total_cost": 0.01,
            "model_used": "sonnet",
            "duration_seconds": 1.5,
        },
    }
    body.update(overrides)
    return body


DEFAULT_TOKENS = ["Once", " upon", " a", " time", "."]


@dataclass
class ConnectionRecord:
    path: str
    headers: Headers
    requests: list[Any] = field(default_factory=list)
    ended_at: Optional[float] = None
    close_code: Optional[int] = None


class _ServerLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


class ScriptedServer:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True, name="ws-test-server"
        )
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        self.reset()

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/stream"

    def reset(self) -> None:
        self.script: Script = chat_script(DEFAULT_TOKENS)
        self.refuse: list[int] = []
        self.refuse_headers: dict[str, str] = {}
        self.upgrade_attempts = 0
        self.connections: list[ConnectionRecord] = []

    @property
    def requests(self) -> list[Any]:
        return [r for c in self.connections for r in c.requests]

    def wait_all_ended(self, timeout: float = 5.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(c.ended_at is not None for c in self.connections):
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        async def _stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    # ------------------------------------------------------------------ server side

    async def _start(self) -> int:
        self.server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=None,
            close_timeout=1,
            # The server side of the test would log the handshake's Authorization
            # header at DEBUG; the tests check the *client* never does.
            logger=_ServerLogger(logging.getLogger("stream_testkit.server"), {}),
        )
        sock = next(iter(self.server.sockets))
        port: int = sock.getsockname()[1]
        return port

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Optional[Response]:
        self.upgrade_attempts += 1
        if self.refuse:
            status = self.refuse.pop(0)
            body = json.dumps({"detail": f"refused with {status}"}).encode()
            headers = Headers({"Content-Type": "application/json", **self.refuse_headers})
            return Response(status, "Refused", headers, body)
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        record = ConnectionRecord(path=ws.request.path, headers=ws.request.headers)
        self.connections.append(record)
        try:
            async for message in ws:
                try:
                    request = json.loads(message)
                except ValueError:
                    request = message
                record.requests.append(request)
                script = self.script(request) if callable(self.script) else self.script
                try:
                    if not await self._play(ws, script):
                        return
                except ConnectionClosed:  # the client left mid-script: fine
                    return
        finally:
            record.close_code = ws.protocol.close_code  # ws.close_code: websockets >= 13.1
            record.ended_at = time.monotonic()

    async def _play(self, ws: ServerConnection, script: list[Action]) -> bool:
        """Run the actions; False when the connection is gone afterwards."""
        for action in script:
            kind = action[0]
            if kind == "token":
                await ws.send(json.dumps({"type": "token", "content": action[1]}))
            elif kind == "frame":
                await ws.send(json.dumps(action[1]))
            elif kind == "raw":
                await ws.send(action[1])
            elif kind == "sleep":
                await asyncio.sleep(action[1])
            elif kind == "drop":
                ws.transport.abort()
                return False
            elif kind == "close":
                await ws.close(action[1], action[2])
                return False
            elif kind == "silent":
                await ws.wait_closed()
                return False
            else:  # pragma: no cover - a typo in a test
                raise AssertionError(f"unknown action {action!r}")
        return True


class SleepRecorder:
    """Stands in for ``time.sleep`` / ``asyncio.sleep`` between connection attempts."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class Outcome:
    """What a driven stream produced: its items, the error it raised, the stream."""

    items: list[Any]
    error: Optional[BaseException]
    stream: Any

    @property
    def text(self) -> str:
        return "".join(self.items)


class Driver:
    """Runs the same case through ``ChatStream``/``TaskStream`` or their asyncio twins."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def __repr__(self) -> str:
        return self.mode

    def chat(self, settings: Any, *, limit: Optional[int] = None, **kwargs: Any) -> Outcome:
        from claude_client._streaming import AsyncChatStream, ChatStream

        kwargs.setdefault("messages", [{"role": "user", "content": "Tell me a story"}])
        kwargs.setdefault("model", "haiku")
        if self.mode == "sync":
            return _drain_sync(ChatStream(settings, **kwargs), limit)
        return asyncio.run(_drain_async(AsyncChatStream(settings, **kwargs), limit))

    def task(self, settings: Any, *, limit: Optional[int] = None, **kwargs: Any) -> Outcome:
        from claude_client._streaming import AsyncTaskStream, TaskStream

        kwargs.setdefault("description", "Count the files")
        kwargs.setdefault("allow_tools", ["Bash"])
        if self.mode == "sync":
            return _drain_sync(TaskStream(settings, **kwargs), limit)
        return asyncio.run(_drain_async(AsyncTaskStream(settings, **kwargs), limit))


def _drain_sync(stream: Any, limit: Optional[int]) -> Outcome:
    from claude_client import _exceptions

    items: list[Any] = []
    error: Optional[BaseException] = None
    try:
        with stream:
            for item in stream:
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
    except _exceptions.ClaudeAPIError as exc:
        error = exc
    return Outcome(items, error, stream)


async def _drain_async(stream: Any, limit: Optional[int]) -> Outcome:
    from claude_client import _exceptions

    items: list[Any] = []
    error: Optional[BaseException] = None
    try:
        async with stream:
            async for item in stream:
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
    except _exceptions.ClaudeAPIError as exc:
        error = exc
    return Outcome(items, error, stream)
