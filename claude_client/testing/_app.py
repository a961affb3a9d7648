"""The fake service's ASGI application: every route of ``openapi.json`` plus ``/v1/stream``.

``create_app(controls)`` builds a FastAPI app whose behaviour follows
``shared/contract/BEHAVIOUR.md`` and ``STREAMING.md``; ``controls`` (a
:class:`~claude_client.testing._state.FakeControls`) holds its state and the injected
faults. The REST routes are in ``_rest``, the task runner in ``_tasks``, the worker pool
in ``_pool``; this module assembles the app and holds the WebSocket session.

Layers, outermost first (as the service's Starlette stack): :class:`_FaultMiddleware`
(the fake's own: records requests, applies injected REST faults, closes the connection
after a crash 500), Starlette's ``ServerErrorMiddleware`` (crash -> plain-text 500 without
``X-Request-ID`` or CORS headers), :class:`_CorsMiddleware` (answers preflights before
auth and routing), :class:`_RequestIdMiddleware` (``X-Request-ID`` and
``X-Forgg-CCA-Request-Id`` on every response the app produces), the routes.
"""

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any, Optional

from fastapi import FastAPI, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.websockets import WebSocketDisconnect

from . import _model
from ._rest import SERVICE_NAME, VERSION, ServiceCrash, add_rest_routes
from ._state import (
    CATEGORY_FOR_STATUS,
    KEY_RE,
    NGINX_502,
    REQUEST_ID_ALIAS,
    FakeControls,
    Fault,
    Injection,
    RecordedRequest,
    json_dumps,
    redact,
)
from ._tasks import TaskExecutionError, check_permission, run_task

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Paths of the fake's own tooling, never subject to faults.
TOOLING_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
CORS_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
MARKER_FAIL = "[fail]"
# The service's CLI limit for one streamed chat (STREAMING.md: "... after 30 seconds").
STREAM_RUN_TIMEOUT = 30.0


class DropConnection(Exception):
    """Raised inside the app to make uvicorn close the TCP connection without a
    response (HTTP) or without a close frame (WebSocket: the client sees 1006)."""


class ShuttingDown(DropConnection):
    """The server is stopping while a request waits (HTTP: drop; WebSocket: close 1001)."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for the drops we cause on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (DropConnection, ServiceCrash))


_quiet = _QuietDrops()
logging.getLogger("uvicorn.error").addFilter(_quiet)


def _fmt_seconds(t: float) -> str:
    return f"{t:g}"


def backend_error(
    status: int,
    detail: str,
    *,
    category: Optional[str] = None,
    retry_after: Optional[Any] = None,
    upstream_status: Optional[int] = None,
) -> JSONResponse:
    """A failed model run as the service reports it (BEHAVIOUR.md)."""
    headers: dict[str, str] = {}
    if category:
        headers["X-Error-Category"] = category
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if upstream_status is not None:
        headers["X-Upstream-Status"] = str(upstream_status)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _sleep(seconds: float, shutdown: asyncio.Event) -> None:
    """Sleep, but wake up when the server shuts down."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(shutdown.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise ShuttingDown("server shutting down")


# --------------------------------------------------------------------------- app


def create_app(controls: FakeControls, shutdown: Optional[asyncio.Event] = None) -> ASGIApp:
    """The fake service as an ASGI app (FastAPI wrapped in the fault middleware).

    ``shutdown`` is set by ``serve()`` when the server stops: hanging requests end and
    open sockets close with 1001. Without it (e.g. under ``httpx.ASGITransport``) an
    event is created on first use."""
    app = FastAPI(
        title=SERVICE_NAME,
        description="API wrapper around Claude Code CLI for rapid prototyping",
        version=VERSION,
    )
    app.state.controls = controls
    holder: dict[str, asyncio.Event] = {}
    if shutdown is not None:
        holder["event"] = shutdown

    def shutdown_event() -> asyncio.Event:
        if "event" not in holder:
            holder["event"] = asyncio.Event()
        return holder["event"]

    add_rest_routes(app, controls)
    app.add_middleware(_RequestIdMiddleware, controls=controls)
    app.add_middleware(_CorsMiddleware)

    # ------------------------------------------------------------------ WebSocket

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        refuse = controls._take_fault(True, "WS", "/v1/stream", handshake=True)
        if refuse is not None:
            controls._record(
                RecordedRequest(
                    "WS",
                    "/v1/stream",
                    "",
                    _headers(websocket.scope),
                    None,
                    refuse.status or 503,
                    time=time.time(),
                )
            )
            await websocket.send_denial_response(_fault_error_response(refuse, 503))
            return
        await websocket.accept()
        session = _StreamSession(controls, websocket, shutdown_event())
        await session.run()

    return _FaultMiddleware(app, controls, shutdown_event)


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} <redacted>".strip()
        elif KEY_RE.search(value):
            value = str(redact(value))
        out[name] = value
    return out


def _key_places(scope: Scope, query: str, body: bytes) -> tuple[str, ...]:
    """Where, besides the Authorization header, a key-looking string was sent."""
    places: list[str] = []
    if KEY_RE.search(query):
        places.append("query")
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        if name != "authorization" and KEY_RE.search(raw_value.decode("latin-1")):
            places.append(f"header {name}")
    if KEY_RE.search(body.decode("utf-8", errors="replace")):
        places.append("body")
    return tuple(places)


def _auth_key(scope: Scope) -> Optional[str]:
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == b"authorization":
            value: str = bytes(raw_value).decode("latin-1")
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    return None


def _fault_error_response(inj: Injection, default_status: int) -> Response:
    """The response of an ERROR-like injection (also used to refuse a WS upgrade)."""
    status = inj.status or default_status
    headers = dict(inj.headers)
    category = inj.category if inj.category is not None else CATEGORY_FOR_STATUS.get(status)
    if inj.fault is not Fault.ERROR and inj.fault is not Fault.WS_REFUSE:
        category = inj.category
    if category:
        headers["X-Error-Category"] = category
    if inj.retry_after is not None:
        headers["Retry-After"] = str(inj.retry_after)
    if inj.upstream_status is not None:
        headers["X-Upstream-Status"] = str(inj.upstream_status)
    body = inj.body
    if body is None:
        detail = inj.detail or _default_detail(status, category)
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    if isinstance(body, (Mapping, list)):
        return JSONResponse(body, status_code=status, headers=headers)
    raw = body.encode() if isinstance(body, str) else body
    return Response(raw, status_code=status, headers=headers, media_type=inj.content_type)


def _default_detail(status: int, category: Optional[str]) -> str:
    if category:
        return f"Claude API error ({category}): injected by the fake service"
    return f"HTTP {status}: injected by the fake service"


def _with_request_id(
    headers: Sequence[tuple[bytes, bytes]], request_id: str, alias: bool
) -> list[tuple[bytes, bytes]]:
    names = {b"x-request-id", REQUEST_ID_ALIAS.encode()}
    out = [(k, v) for k, v in headers if k.lower() not in names]
    out.append((b"x-request-id", request_id.encode("latin-1")))
    if alias:
        out.append((REQUEST_ID_ALIAS.encode(), request_id.encode("latin-1")))
    return out


def _request_id(scope: Scope) -> str:
    """The request's ``X-Request-ID`` verbatim, else a fresh uuid4 (kept in the scope, so
    the record and the response carry the same value)."""
    if "fake.request_id" not in scope:
        value = None
        for raw_name, raw_value in scope.get("headers", []):
            if raw_name.lower() == b"x-request-id":
                value = raw_value.decode("latin-1")
        scope["fake.request_id"] = value if value is not None else str(uuid.uuid4())
    return str(scope["fake.request_id"])


class _RequestIdMiddleware:
    """``X-Request-ID`` (and ``X-Forgg-CCA-Request-Id`` unless turned off) on every
    response the app produces; inside the CORS and crash layers, as in the service."""

    def __init__(self, app: ASGIApp, controls: FakeControls) -> None:
        self.app = app
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        alias = bool(self.controls._flags()["request_id_alias"])

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = _with_request_id(message.get("headers", []), request_id, alias)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class _CorsMiddleware:
    """CORS as the service configures it (any origin, credentials allowed; §1): a
    preflight is answered here, before auth and routing; other responses to a request
    with ``Origin`` get the origin echoed and ``Access-Control-Allow-Credentials``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        origin = headers.get(b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            out = [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ]
            requested = headers.get(b"access-control-request-headers")
            if requested is not None:
                out.append((b"access-control-allow-headers", requested))
            response = Response(b"OK", status_code=200, media_type="text/plain")
            response.raw_headers = [*response.raw_headers, *out]
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not k.lower().startswith(b"access-control-allow-")
                ]
                kept.append((b"access-control-allow-origin", origin))
                kept.append((b"access-control-allow-credentials", b"true"))
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_with_cors)


class _FaultMiddleware:
    """Records each request, applies injected REST faults, and closes the connection
    after a crash 500 (the service's uvicorn does)."""

    def __init__(
        self, app: FastAPI, controls: FakeControls, shutdown: Callable[[], asyncio.Event]
    ) -> None:
        self.app = app
        self.controls = controls
        self.shutdown = shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request_id = _request_id(scope)
        key = _auth_key(scope)
        info = self.controls.key_info(key) if key else None
        try:
            parsed: Any = json.loads(body) if body else None
        except (ValueError, RecursionError):
            parsed = body.decode("utf-8", errors="replace")
        query = scope.get("query_string", b"").decode("latin-1")
        record = RecordedRequest(
            method=method,
            path=path,
            query=str(redact(query)),
            headers=_headers(scope),
            body=redact(parsed),
            request_id=request_id,
            key_suffix=key[-4:] if key else None,
            project_id=info.project_id if info else None,
            time=time.time(),
            key_found_in=_key_places(scope, query, body),
        )
        self.controls._record(record)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        alias = bool(self.controls._flags()["request_id_alias"])

        async def send_with_id(message: Message) -> None:
            # Injected responses carry the request id like the app's own answers.
            if message["type"] == "http.response.start":
                headers = _with_request_id(message.get("headers", []), request_id, alias)
                message = {**message, "headers": headers}
            await send_recorded(message)

        inj = None if path in TOOLING_PATHS else self.controls._take_fault(False, method, path)
        if inj is not None:
            await self._apply(inj, scope, replay, receive, send_with_id)
            return
        try:
            await self.app(scope, replay, send_recorded)
        except ServiceCrash:
            # ServerErrorMiddleware has sent the plain-text 500; then the connection goes.
            transport = getattr(getattr(receive, "__self__", None), "transport", None)
            if transport is not None:
                transport.close()

    async def _apply(
        self, inj: Injection, scope: Scope, replay: Receive, receive: Receive, send: Send
    ) -> None:
        fault = inj.fault
        if fault is Fault.HANG:
            await self._hang(receive)
            return
        if fault is Fault.DISCONNECT:
            await _close_without_response(receive)
            return
        if fault is Fault.TCP_RESET:
            await _close_without_response(receive, rst=True)
            return
        if fault in (Fault.RESET, Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE):
            status, headers, body = await self._capture(scope, replay)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            if fault is Fault.RESET:
                headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                raise DropConnection("reset mid-response")
            if fault is Fault.TRUNCATED_JSON:
                body = body[: max(1, len(body) // 2)]
            else:
                try:
                    value = json.loads(body)
                except ValueError:
                    value = {}
                if isinstance(value, dict):
                    for name in inj.drop:
                        value.pop(name, None)
                    value.update(inj.replace)
                body = json_dumps(value)
            headers.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": inj.status or status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        response: Response
        if fault is Fault.HTML:
            page = inj.body if inj.body is not None else NGINX_502
            raw = page.encode() if isinstance(page, str) else page
            if not isinstance(raw, bytes):
                raw = json_dumps(raw)
            response = Response(
                raw, status_code=inj.status or 502, media_type="text/html", headers=inj.headers
            )
        elif fault is Fault.NOT_AUTHENTICATED_401:
            response = JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif fault is Fault.NOT_AUTHENTICATED_403:
            response = JSONResponse({"detail": "Not authenticated"}, status_code=403)
        elif fault is Fault.POOL_OVERLOADED:
            # As a full pool answers: every worker busy, the queue full.
            stats = self.controls.pool_stats()
            response = backend_error(
                503,
                inj.detail
                or f"Worker pool overloaded: {stats.max_workers} active workers, "
                f"{stats.max_queue} queued tasks. Try again later.",
                retry_after=inj.retry_after,
            )
        elif fault in (Fault.CLI_BREAKER_OPEN, Fault.UPSTREAM_BREAKER_OPEN):
            which = "CLI" if fault is Fault.CLI_BREAKER_OPEN else "Upstream API"
            response = backend_error(
                503,
                f"{which} circuit breaker open — too many recent failures",
                retry_after=inj.retry_after if inj.retry_after is not None else 30,
            )
        else:
            response = _fault_error_response(inj, 503)
        await response(scope, replay, send)

    async def _capture(
        self, scope: Scope, replay: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        return status, headers, b"".join(parts)

    async def _hang(self, receive: Receive) -> None:
        """Wait for the client to go away or the server to stop; never answer."""
        disconnected = asyncio.ensure_future(_wait_disconnect(receive))
        stopping = asyncio.ensure_future(self.shutdown().wait())
        try:
            await asyncio.wait({disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnected.cancel()
            stopping.cancel()
        await _close_without_response(receive)


async def _close_without_response(receive: Receive, *, rst: bool = False) -> None:
    """Close the TCP connection without sending anything.

    ASGI has no message for this; under uvicorn, ``receive`` is a bound method of the
    request cycle, which holds the transport. Elsewhere, fall back to DropConnection
    (uvicorn would then answer 500)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DropConnection("close without response")
    if rst:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER on with a 0 s timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server see the connection as lost, so it does not send its own 500.
    for _ in range(3):
        await asyncio.sleep(0)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


# --------------------------------------------------------------------------- WebSocket


class _Silent(Exception):
    pass


class _StreamSession:
    """One accepted ``/v1/stream`` connection (STREAMING.md)."""

    def __init__(
        self, controls: FakeControls, websocket: WebSocket, shutdown: asyncio.Event
    ) -> None:
        self.controls = controls
        self.ws = websocket
        self.shutdown = shutdown
        self.headers = _headers(websocket.scope)

    async def run(self) -> None:
        try:
            while True:
                message = await self._receive()
                if message is None:
                    await self._close_1001()
                    return
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    await self._server_error("binary frames are not supported")
                text = message.get("text") or ""
                try:
                    data: Any = json.loads(text)
                except ValueError:
                    self._record(text, text)
                    await self._send({"type": "error", "error": "Invalid JSON format"})
                    continue
                except RecursionError:
                    # Not a JSONDecodeError: the service's generic handler answers it.
                    self._record(text, text)
                    await self._server_error("maximum recursion depth exceeded")
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
            await self._close_1001()
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
            await self._close_1001()
            raise WebSocketDisconnect(1001)
        await self.ws.send_text(json.dumps(frame))

    async def _close_1001(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            await self.ws.close(code=1001, reason="Server shutting down")

    async def _server_error(self, detail: str) -> None:
        """The service's crash path: one ``Server error`` frame, then a TCP drop (1006)."""
        await self._send({"type": "error", "error": f"Server error: {detail}"})
        raise DropConnection(detail)

    async def _stay_silent(self) -> None:
        message = await self._receive_until_closed()
        if message is None:
            await self._close_1001()
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
    ) -> None:
        """Send ``frames`` then ``final``, honouring a WebSocket fault. ``before_final``
        runs just before the final frame goes out (billing is visible once it arrives)."""
        if inj is not None and inj.fault is Fault.WS_NO_TOKENS:
            frames = []
        for i, frame in enumerate(frames):
            if inj is not None and i == inj.after:
                await self._strike(inj)
                return
            if i and token_delay:
                await _sleep(token_delay, self.shutdown)
            await self._send(frame)
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        before_final()
        await self._send(final)

    async def _strike(self, inj: Injection) -> None:
        fault = inj.fault
        if fault is Fault.WS_ERROR_FRAME:
            await self._send(
                {"type": "error", "error": inj.detail or "Streaming error: simulated failure"}
            )
        elif fault is Fault.WS_DROP:
            raise DropConnection("drop_stream_after")
        elif fault is Fault.WS_SILENT:
            await self._stay_silent()
        elif fault is Fault.WS_CLOSE_1001:
            await self._close_1001()
            raise _Silent()

    async def _chat(self, data: Mapping[str, Any]) -> None:
        messages = data.get("messages")
        if not messages:
            await self._send({"type": "error", "error": "No messages provided"})
            return
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            await self._server_error("'str' object has no attribute 'get'")
        model = data.get("model") or "sonnet"
        if model not in _model.MODELS:
            await self._send(
                {
                    "type": "error",
                    "error": f"Invalid model: {model}. Must be haiku, sonnet, or opus",
                }
            )
            return
        project_id = str(data.get("project_id") or "default")
        estimate = 2 * _model.count_tokens(_model.flatten(messages))
        if self.controls.budget_exceeded(project_id, estimate):
            await self._send(
                {"type": "error", "error": f"Budget exceeded for project {project_id}"}
            )
            return
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        latency, token_delay, _, answer_words, _ = self.controls._settings()
        prompt = _model.last_user_text(messages)
        if latency >= STREAM_RUN_TIMEOUT:
            await _sleep(STREAM_RUN_TIMEOUT, self.shutdown)
            await self._send(
                {
                    "type": "error",
                    "error": "Streaming error: Request timed out after "
                    f"{_fmt_seconds(STREAM_RUN_TIMEOUT)} seconds",
                }
            )
            return
        await _sleep(latency, self.shutdown)
        if MARKER_FAIL in prompt:
            await self._send({"type": "error", "error": "Streaming error: simulated failure"})
            return
        answer = _model.expected_answer(prompt, answer_words)
        usage = _model.usage_for(messages, answer)
        cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
        frames = [{"type": "token", "content": c} for c in _model.stream_chunks(answer)]
        final = {"type": "done", "usage": usage, "cost": cost, "model": model}

        def bill() -> None:
            self.controls._bill(project_id, model, usage["total_tokens"], cost)

        await self._frames(frames, final, inj, token_delay, bill)

    async def _task(self, data: Mapping[str, Any]) -> None:
        key = data.get("api_key")
        if not key:
            await self._send({"type": "error", "error": "api_key required for agentic tasks"})
            return
        description = data.get("description")
        tools = data.get("allow_tools") or []
        agents = data.get("allow_agents") or []
        skills = data.get("allow_skills") or []
        timeout = data.get("timeout", 300)
        max_cost = data.get("max_cost", 1.0)
        shapes_ok = (
            isinstance(description, str)
            and all(
                isinstance(v, list) and all(isinstance(x, str) for x in v)
                for v in (tools, agents, skills)
            )
            and isinstance(timeout, (int, float))
            and not isinstance(timeout, bool)
            and isinstance(max_cost, (int, float))
            and not isinstance(max_cost, bool)
        )
        if not shapes_ok:
            await self._server_error("1 validation error for AgenticTaskRequest")
        assert isinstance(description, str)
        info = self.controls.key_info(str(key))
        reason = check_permission(info, tools, agents, skills, timeout, float(max_cost))
        if reason:
            await self._send({"type": "error", "error": f"Permission denied: {reason}"})
            return
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        frames: list[Mapping[str, Any]] = [
            {"type": "thinking", "content": "Starting task execution..."}
        ]
        if inj is not None and inj.after == 0 and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send(frames[0])
        try:
            body = await run_task(
                self.controls,
                description=description,
                tools=tools,
                agents=agents,
                skills=skills,
                timeout=timeout,
                max_cost=float(max_cost),
                model=None,
                project_id="default",
                working_directory="/project",
            )
        except TaskExecutionError as exc:
            await self._send({"type": "error", "error": f"Task execution error: {exc}"})
            return
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send({"type": "result", **body})
