"""The fake service's WebSocket ``/v1/stream`` (STREAMING.md): the route, one
:class:`_StreamSession` per accepted connection, and the :class:`StallGate` that models
the service's stall while a socket chat's model runs.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, NoReturn, Optional

from fastapi import FastAPI, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from . import _model
from ._asgi import (
    ASGIApp,
    DropConnection,
    Message,
    Receive,
    Scope,
    Send,
    ShuttingDown,
    recorded_headers,
    sleep_unless_shutdown,
)
from ._errors import marker_category
from ._faults import fault_error_response
from ._injections import Fault, Injection
from ._recording import KEY_RE, RecordedRequest, redact
from ._schemas import AgenticTaskRequest
from ._state import FakeControls
from ._tasks import TaskExecutionError, check_permission, run_task

#: Socket chat accepts only these names (STREAMING.md); no ``auto``, no default for ``null``.
SOCKET_MODELS = ("haiku", "sonnet", "opus")
#: What uvicorn closes the sockets still open at shutdown with (STREAMING.md "On shutdown").
SHUTDOWN_CLOSE_CODE = 1012
#: The fields of an ``agentic_task`` message the service reads (the rest is ignored).
SOCKET_TASK_FIELDS = (
    "description",
    "allow_tools",
    "allow_agents",
    "allow_skills",
    "timeout",
    "max_cost",
)
#: Why the service cannot record a chat's usage with ``"project_id": null`` (the fake's
#: wording: the service's text comes from its database; only the prefix is contractual).
NULL_PROJECT_DETAIL = "NOT NULL constraint failed: usage.project_id"


class StallGate:
    """The service's stall while a socket chat's model runs (STREAMING.md "How a socket
    chat runs"): it reads the CLI's output synchronously on its event loop, so nothing
    else is served until the run ends.

    The fake keeps its own loop free and closes this gate instead: HTTP requests wait at it
    before they are read and before each message of their response goes out, WebSocket
    connections before the handshake and around every frame (:class:`StallMiddleware`),
    and socket chats run their models one at a time. Model runs already in the worker
    pool keep running (CLI processes are not stalled); their answers leave after the stall.
    """

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def passage(self) -> None:
        """Return once no socket chat's model is running."""
        while not self._open.is_set():
            await self._open.wait()

    @contextlib.asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        """Hold the whole service while the block runs (after any stall already running)."""
        await self.passage()
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()


class StallMiddleware:
    """Makes HTTP requests and WebSocket traffic wait at the :class:`StallGate`."""

    def __init__(self, app: ASGIApp, gate: StallGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if not gate.is_open:
            await gate.passage()

        async def gated_send(message: Message) -> None:
            if not gate.is_open:
                await gate.passage()
            await send(message)

        if kind == "http":
            # ``receive`` stays the server's own: _faults closes the connection through it.
            await self.app(scope, receive, gated_send)
            return

        async def gated_receive() -> Message:
            message = await receive()
            if not gate.is_open:
                await gate.passage()
            return message

        await self.app(scope, gated_receive, gated_send)


class _Silent(Exception):
    pass


def socket_prompt(messages: Any) -> str:
    """The prompt of a socket chat as the service builds it: ``"role: content"`` joined by
    blank lines, ``role`` defaulting to ``user`` and the content inserted as is (a list of
    content blocks appears as its Python text form, ``null`` as ``None``).

    Raises TypeError / AttributeError for a ``messages`` value the service cannot
    iterate as objects (its ``Server error:`` case)."""
    return "\n\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in messages)


class _StreamSession:
    """One accepted ``/v1/stream`` connection (STREAMING.md)."""

    def __init__(
        self, controls: FakeControls, websocket: WebSocket, shutdown: asyncio.Event, gate: StallGate
    ) -> None:
        self.controls = controls
        self.ws = websocket
        self.shutdown = shutdown
        self.gate = gate
        self.headers = recorded_headers(websocket.scope)

    async def run(self) -> None:
        try:
            while True:
                message = await self._receive()
                if message is None:
                    await self._close_for_shutdown()
                    return
                if message["type"] == "websocket.disconnect":
                    return
                if "text" not in message:
                    # The service reads text frames (``message["text"]``): a KeyError.
                    await self._server_error(repr("text"))
                text = message["text"]
                try:
                    data: Any = json.loads(text)
                except ValueError:
                    self._record(text, text)
                    await self._send({"type": "error", "error": "Invalid JSON format"})
                    continue
                except RecursionError as exc:
                    # Not a JSONDecodeError: the service's generic handler answers it.
                    self._record(text, text)
                    await self._server_error(str(exc))
                self._record(data, text)
                if not isinstance(data, dict):
                    await self._server_error(
                        f"'{type(data).__name__}' object has no attribute 'get'"
                    )
                kind = data.get("type")
                if kind == "chat":
                    await self._chat(data)
                elif kind == "agentic_task":
                    await self._task(data)
                else:
                    await self._send({"type": "error", "error": f"Unknown message type: {kind}"})
        except ShuttingDown:
            await self._close_for_shutdown()
        except (WebSocketDisconnect, _Silent):
            return
        except (RuntimeError, OSError) as exc:  # client went away mid-send
            if "close" in str(exc).lower() or isinstance(exc, OSError):
                return
            raise

    def _record(self, body: Any, raw: str) -> None:
        key_found_in = ("body",) if KEY_RE.search(raw) else ()
        self.controls._record(
            RecordedRequest(
                "WS",
                "/v1/stream",
                "",
                self.headers,
                redact(body),
                time=time.time(),
                key_found_in=key_found_in,
            )
        )

    async def _receive(self) -> Optional[Message]:
        """The next ASGI message, or None when the server is shutting down."""
        if self.shutdown.is_set():
            return None
        receiving = asyncio.ensure_future(self.ws.receive())
        stopping = asyncio.ensure_future(self.shutdown.wait())
        done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if receiving in done:
            stopping.cancel()
            return receiving.result()
        receiving.cancel()
        return None

    async def _send(self, frame: Mapping[str, Any]) -> None:
        if self.shutdown.is_set():
            await self._close_for_shutdown()
            raise WebSocketDisconnect(SHUTDOWN_CLOSE_CODE)
        await self.ws.send_text(json.dumps(frame))

    async def _close_for_shutdown(self) -> None:
        """The server stops: close as uvicorn does (1012), even in the middle of a response."""
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.ws.close(code=SHUTDOWN_CLOSE_CODE)

    async def _close_1001(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.ws.close(code=1001, reason="Server shutting down")

    async def _error(self, text: str) -> None:
        await self._send({"type": "error", "error": text})

    async def _server_error(self, detail: str) -> NoReturn:
        """The service's crash path: one ``Server error`` frame, then a TCP drop (1006)."""
        await self._error(f"Server error: {detail}")
        raise DropConnection(detail)

    async def _stay_silent(self) -> None:
        message = await self._receive_until_closed()
        if message is None:
            await self._close_for_shutdown()
        raise _Silent()

    async def _receive_until_closed(self) -> Optional[Message]:
        while True:
            message = await self._receive()
            if message is None or message["type"] == "websocket.disconnect":
                return message

    async def _frames(
        self,
        frames: Sequence[Mapping[str, Any]],
        final: Mapping[str, Any],
        inj: Optional[Injection],
        token_delay: float,
        before_final: Callable[[], None],
    ) -> bool:
        """Send ``frames`` ``token_delay`` apart, then ``final``, honouring a WebSocket
        fault. ``before_final`` runs just before the final frame goes out (billing is
        visible once it arrives). False when a fault replaced the final frame."""
        if inj is not None and inj.fault is Fault.WS_NO_TOKENS:
            frames = []
        for i, frame in enumerate(frames):
            if inj is not None and i == inj.after:
                await self._strike(inj)
                return False
            if i and token_delay:
                await sleep_unless_shutdown(token_delay, self.shutdown)
            await self._send(frame)
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return False
        if frames and token_delay:
            await sleep_unless_shutdown(token_delay, self.shutdown)
        before_final()
        await self._send(final)
        return True

    async def _strike(self, inj: Injection) -> None:
        fault = inj.fault
        if fault is Fault.WS_ERROR_FRAME:
            await self._error(inj.detail or "Streaming error: simulated failure")
        elif fault is Fault.WS_DROP:
            raise DropConnection("drop_stream_after")
        elif fault is Fault.WS_SILENT:
            await self._stay_silent()
        elif fault is Fault.WS_CLOSE_1001:
            await self._close_1001()
            raise _Silent()

    async def _model_run(self) -> None:
        """The socket chat's CLI run: outside the worker pool, one run's ``latency``; while
        it runs the whole service stalls (unless ``set_stream_stall(False)``)."""
        duration = self.controls.pool.draw_duration()
        if duration <= 0:
            return
        if not self.controls._stream_settings()[1]:
            await sleep_unless_shutdown(duration, self.shutdown)
            return
        async with self.gate.closed():
            await sleep_unless_shutdown(duration, self.shutdown)

    async def _chat(self, data: Mapping[str, Any]) -> None:
        messages = data.get("messages")
        if not messages:
            await self._error("No messages provided")
            return
        model = data.get("model", "sonnet")
        if model not in SOCKET_MODELS:
            await self._error(f"Invalid model: {model}. Must be haiku, sonnet, or opus")
            return
        try:
            prompt = socket_prompt(messages)
        except (TypeError, AttributeError) as exc:
            await self._server_error(str(exc))
        project_id = data.get("project_id", "default")
        project = None if project_id is None else str(project_id)
        estimate = 2 * _model.count_tokens(prompt)
        if project is not None and self.controls.budget_exceeded(project, estimate):
            await self._error(f"Budget exceeded for project {project_id}")
            return
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        await self._model_run()
        answer_source = _model.last_user_text(messages)
        if marker_category(answer_source) is not None:
            # Whatever the CLI said on stderr, the socket reports only its exit code.
            await self._error("Streaming error: Claude CLI exited with code 1")
            return
        token_delay = self.controls._stream_settings()[0]
        answer = _model.expected_answer(answer_source, self.controls._flags()["answer_words"])
        usage = _model.usage_of(prompt, answer)
        cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
        frames = [{"type": "token", "content": c} for c in _model.stream_chunks(answer)]
        final = {"type": "done", "usage": usage, "cost": cost, "model": model}

        def bill() -> None:
            if project is not None:
                self.controls._bill(project, model, usage["total_tokens"], cost)

        finished = await self._frames(frames, final, inj, token_delay, bill)
        if finished and project is None:
            await self._error(f"Streaming error: {NULL_PROJECT_DETAIL}")

    async def _task(self, data: Mapping[str, Any]) -> None:
        key = data.get("api_key")
        if not key:
            await self._error("api_key required for agentic tasks")
            return
        # The key only finds a permission profile (not checked for validity or
        # revocation), and the check sees the raw JSON values: numbers print as sent.
        try:
            reason = check_permission(
                self.controls.key_info(key) if isinstance(key, str) else None,
                data.get("allow_tools", []),
                data.get("allow_agents", []),
                data.get("allow_skills", []),
                data.get("timeout", 300),
                data.get("max_cost", 1.0),
            )
        except TypeError as exc:  # e.g. a null list or a string timeout
            await self._server_error(str(exc))
        if reason:
            await self._error(f"Permission denied: {reason}")
            return
        try:
            request = AgenticTaskRequest(
                **{name: data[name] for name in SOCKET_TASK_FIELDS if name in data}
            )
        except ValidationError as exc:
            await self._server_error(str(exc))
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        if inj is not None and inj.after == 0 and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send({"type": "thinking", "content": "Starting task execution..."})
        try:
            # The fields the socket does not read keep their defaults: project
            # ``default``, the auto-selected model, ``/project``.
            body = await run_task(self.controls, request)
        except TaskExecutionError as exc:
            await self._error(f"Task execution error: {exc}")
            return
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send({"type": "result", **body, "usage": body.get("usage") or None})


def add_stream_route(
    app: FastAPI,
    controls: FakeControls,
    shutdown_event: Callable[[], asyncio.Event],
    gate: StallGate,
) -> None:
    """Register ``/v1/stream`` on ``app``: a refused upgrade (``WS_REFUSE``) or a session."""

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        refuse = controls._take_fault(True, "WS", "/v1/stream", handshake=True)
        if refuse is not None:
            controls._record(
                RecordedRequest(
                    "WS",
                    "/v1/stream",
                    "",
                    recorded_headers(websocket.scope),
                    None,
                    refuse.status or 503,
                    time=time.time(),
                )
            )
            await websocket.send_denial_response(fault_error_response(refuse, 503))
            return
        await websocket.accept()
        await _StreamSession(controls, websocket, shutdown_event(), gate).run()
